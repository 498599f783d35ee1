"""Which WARC key a record points to: the running crawl's writer, or a warcinfo's site.

The key layout itself is owned by ``archive.layout``.
"""

from __future__ import annotations

import re
from typing import Any

from archive.warc_writer import RotatingWarcWriter


def key_in_this_crawl(crawler: Any, filename: str) -> str | None:
    """``key_in_crawl`` with the writer of ``crawler``'s capture middleware (if any)."""
    from archive.capture import capture_of

    capture = capture_of(crawler)
    return key_in_crawl(capture.writer if capture is not None else None, filename)


def key_in_crawl(writer: RotatingWarcWriter | None, filename: str) -> str | None:
    """The key of a WARC the running crawl's writer wrote or is writing, else None (a
    revisit's original in an earlier crawl).  Exact even when files rotated after midnight."""
    if writer is None:
        return None
    keys = [writer.current_key, *reversed(writer.closed_keys)]
    return next((k for k in keys if k and k.rsplit("/", 1)[-1] == filename), None)


# archive.capture.warcinfo_fields writes "newsarchive crawl of site '<name>'".
_WARCINFO_SITE = re.compile(r"^newsarchive crawl of site '([a-z0-9_-]+)'$")


def site_of_warcinfo(fields: dict[str, str]) -> str | None:
    """The site named by a newsarchive WARC's warcinfo record."""
    match = _WARCINFO_SITE.match(fields.get("description", ""))
    return match[1] if match else None
