"""URLs as pages write them: resolved, or None when Python cannot parse them.

``urljoin`` and ``urlsplit`` raise ``ValueError`` on what any page may contain
(``http://[harbour/x``, a port out of range); one such link must cost that link, not the page.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit


def parseable(url: str) -> bool:
    """Whether ``urlsplit`` reads ``url``, its host and port included."""
    try:
        urlsplit(url).port  # noqa: B018 - raises on a port out of range
    except ValueError:
        return False
    return True


def join_url(base: str, href: str) -> str | None:
    """``href`` resolved against ``base``, or None when either is not a parseable URL."""
    try:
        joined = urljoin(base, href.strip())
    except ValueError:
        return None
    return joined if parseable(joined) else None


def url_path(url: str) -> str:
    """The path of ``url``; "" when it is not a parseable URL."""
    try:
        return urlsplit(url).path
    except ValueError:
        return ""
