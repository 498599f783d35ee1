"""Page requisites: what an HTML page or a stylesheet needs to render, as absolute URLs.

Plain functions over (document, base URL), no Scrapy: lxml reads the HTML, tinycss2 the CSS.
Images, stylesheets, icons, scripts, posters and the ``og:image`` lead image come from HTML;
``@import`` and ``url()`` from CSS, inline ``<style>`` included. Only http(s) URLs count.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

STYLESHEET = "stylesheet"
IMAGE = "image"
SCRIPT = "script"
FONT = "font"
ICON = "icon"
MEDIA = "media"
OTHER = "other"
# Kinds whose responses are read for further requisites.
PARSED_KINDS = frozenset({STYLESHEET})

_PRELOAD_AS = {"style": STYLESHEET, "font": FONT, "image": IMAGE, "script": SCRIPT}
_ICON_RELS = {"icon", "shortcut", "apple-touch-icon", "apple-touch-icon-precomposed", "mask-icon"}
_DESCRIPTOR = re.compile(r"^(\d+(?:\.\d+)?)([wx])$")
_MAX_URL = 2048


@dataclass(frozen=True)
class Requisite:
    url: str
    kind: str


@dataclass
class Found:
    """Requisites of one document, in document order, each URL once; ``more`` counts those
    left out by the ``limit``."""

    requisites: list[Requisite]
    more: int = 0


def absolute(reference: str, base_url: str) -> str | None:
    """``reference`` resolved against ``base_url``, without fragment; None unless http(s)."""
    reference = reference.strip()
    if not reference or len(reference) > _MAX_URL or reference.startswith("#"):
        return None
    try:
        url = urljoin(base_url, reference)
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return url.split("#", 1)[0]


def srcset_candidates(srcset: str) -> list[tuple[str, float]]:
    """(URL, weight) of a srcset: the weight is the width (``w``) or density (``x``, scaled so
    any width descriptor outranks it); a candidate without descriptor is ``1x``."""
    candidates: list[tuple[str, float]] = []
    pos, size = 0, len(srcset)
    while pos < size:
        while pos < size and (srcset[pos].isspace() or srcset[pos] == ","):
            pos += 1
        start = pos
        while pos < size and not srcset[pos].isspace():
            pos += 1
        url = srcset[start:pos]
        descriptor = ""
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            start = pos
            while pos < size and srcset[pos] != ",":
                pos += 1
            descriptor = srcset[start:pos].strip()
        if not url:
            continue
        match = _DESCRIPTOR.match(descriptor.split()[0]) if descriptor else None
        if match is None:
            weight = 1.0
        elif match[2] == "w":
            weight = float(match[1]) * 1000
        else:
            weight = float(match[1])
        candidates.append((url, weight))
    return candidates


def largest_candidate(srcset: str) -> str | None:
    candidates = srcset_candidates(srcset)
    return max(candidates, key=lambda c: c[1])[0] if candidates else None


def _srcset_urls(srcset: str | None, all_candidates: bool) -> list[str]:
    if not srcset:
        return []
    if all_candidates:
        return [url for url, _ in srcset_candidates(srcset)]
    largest = largest_candidate(srcset)
    return [largest] if largest else []


def _html_references(root: object, all_srcset: bool) -> Iterator[tuple[str, str]]:
    """(reference, kind) in document order."""
    for element in root.iter("img", "source", "link", "script", "video", "meta"):  # type: ignore[attr-defined]
        get = element.get
        tag = element.tag
        if tag == "img":
            yield from ((url, IMAGE) for url in [get("src") or ""]
                        + _srcset_urls(get("srcset"), all_srcset))
        elif tag == "source":
            parent = element.getparent()
            if parent is not None and parent.tag == "picture":
                yield from ((url, IMAGE) for url in _srcset_urls(get("srcset"), all_srcset))
        elif tag == "link":
            rels = set((get("rel") or "").lower().split())
            if "stylesheet" in rels and "alternate" not in rels:
                yield get("href") or "", STYLESHEET
            elif rels & _ICON_RELS:
                yield get("href") or "", ICON
            elif "preload" in rels:
                yield get("href") or "", _PRELOAD_AS.get((get("as") or "").lower(), OTHER)
        elif tag == "script":
            if get("src"):
                yield get("src"), SCRIPT
        elif tag == "video":
            if get("poster"):
                yield get("poster"), MEDIA
        elif tag == "meta":
            name = (get("property") or get("name") or "").lower()
            if name in ("og:image", "og:image:url", "og:image:secure_url", "twitter:image"):
                yield get("content") or "", IMAGE


def _collect(references: Iterable[tuple[str, str]], base_url: str, limit: int) -> Found:
    found = Found([])
    seen: set[str] = set()
    for reference, kind in references:
        url = absolute(reference, base_url)
        if url is None or url in seen:
            continue
        seen.add(url)
        if len(found.requisites) >= limit:
            found.more += 1
            continue
        found.requisites.append(Requisite(url, kind))
    return found


def html_requisites(html: bytes | str, base_url: str, *, limit: int = 1000,
                    all_srcset: bool = False) -> Found:
    """The requisites of an HTML page (``<base href>`` honoured), at most ``limit``."""
    import lxml.etree
    import lxml.html

    if not html or not (html.strip() if isinstance(html, str) else html.strip()):
        return Found([])
    try:
        root = lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return Found([])
    base = root.find(".//base[@href]")
    if base is not None:
        base_url = absolute(base.get("href", ""), base_url) or base_url
    references = _html_references(root, all_srcset)
    styles = "\n".join(style.text or "" for style in root.iter("style"))
    # tinycss2 is pure Python: a large inline stylesheet without references is not parsed
    lowered = styles.lower()
    if "url(" in lowered or "@import" in lowered:
        references = itertools.chain(references, _inline_css_references(styles))
    return _collect(references, base_url, limit)


@functools.lru_cache(maxsize=64)
def _inline_css_references(text: str) -> tuple[tuple[str, str], ...]:
    """Cached: a site's pages mostly repeat the same inline stylesheet, and tinycss2 is
    pure Python (about 20 ms for 10 KB of CSS)."""
    import tinycss2

    return tuple(_css_rule_references(
        tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True)))


def _css_references(tokens: Iterable[object], kind: str) -> Iterator[tuple[str, str]]:
    import tinycss2.ast as css

    for token in tokens:
        if isinstance(token, css.URLToken):
            yield token.value, kind
        elif isinstance(token, css.FunctionBlock):
            if token.lower_name in ("url", "src"):
                strings = [t for t in token.arguments if isinstance(t, css.StringToken)]
                if strings:
                    yield strings[0].value, kind
            else:
                yield from _css_references(token.arguments, kind)
        elif isinstance(token, (css.ParenthesesBlock, css.SquareBracketsBlock,
                                css.CurlyBracketsBlock)):
            yield from _css_references(token.content, kind)


def _css_rule_references(rules: Iterable[object]) -> Iterator[tuple[str, str]]:
    import tinycss2
    import tinycss2.ast as css

    for rule in rules:
        if isinstance(rule, css.AtRule):
            if rule.lower_at_keyword == "import":
                for token in rule.prelude:
                    if isinstance(token, css.StringToken):
                        yield token.value, STYLESHEET
                        break
                    found = list(_css_references([token], STYLESHEET))
                    if found:
                        yield found[0]
                        break
            elif rule.lower_at_keyword == "font-face" and rule.content is not None:
                yield from _css_references(rule.content, FONT)
            elif rule.content is not None:
                # @media, @supports, @layer…: rules inside rules
                yield from _css_rule_references(tinycss2.parse_rule_list(
                    rule.content, skip_comments=True, skip_whitespace=True))
        elif isinstance(rule, css.QualifiedRule):
            yield from _css_references(rule.content, IMAGE)


def css_requisites(css_text: bytes | str, base_url: str, *, limit: int = 1000,
                   encoding: str | None = None) -> Found:
    """The requisites of a stylesheet: ``@import``\\ s and ``url()``\\ s, at most ``limit``."""
    import tinycss2

    if isinstance(css_text, bytes):
        rules, _ = tinycss2.parse_stylesheet_bytes(
            css_text, protocol_encoding=encoding, skip_comments=True, skip_whitespace=True)
    else:
        rules = tinycss2.parse_stylesheet(css_text, skip_comments=True, skip_whitespace=True)
    return _collect(_css_rule_references(rules), base_url, limit)
