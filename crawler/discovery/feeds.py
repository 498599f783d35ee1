"""Article URLs from RSS 2.0 / Atom feeds and (news) sitemaps."""

from __future__ import annotations

import io
from dataclasses import dataclass

from lxml import etree

_PARSER_OPTIONS = {
    "recover": True, "resolve_entities": False, "no_network": True, "huge_tree": False,
}
_PARSER = etree.XMLParser(**_PARSER_OPTIONS)

# URLs read from one sitemap: the sitemaps protocol's own limit per file
# (NEWSARCHIVE_SITEMAP_MAX_URLS).
DEFAULT_MAX_SITEMAP_URLS = 50_000
# Item links read from one feed (NEWSARCHIVE_MAX_LINKS_PER_PAGE).
DEFAULT_MAX_FEED_LINKS = 5000


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _root(body: bytes) -> etree._Element | None:
    try:
        return etree.fromstring(body, parser=_PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return None


def feed_links(body: bytes, max_links: int = DEFAULT_MAX_FEED_LINKS) -> list[str]:
    """Item links of an RSS 2.0 or Atom feed, in feed order; at most ``max_links``."""
    root = _root(body)
    if root is None:
        return []
    links: list[str] = []
    for element in root.iter():
        if len(links) >= max_links:
            break
        name = _local(element.tag)
        if name == "item":  # RSS: <link>text</link>, else <guid isPermaLink>
            link = next((c.text for c in element if _local(c.tag) == "link" and c.text), None)
            if link is None:
                link = next(
                    (c.text for c in element if _local(c.tag) == "guid" and c.text
                     and c.get("isPermaLink", "true") != "false"),
                    None,
                )
            if link:
                links.append(link.strip())
        elif name == "entry":  # Atom: <link rel="alternate" href>
            for child in element:
                if _local(child.tag) == "link" and child.get("rel", "alternate") == "alternate":
                    if child.get("href"):
                        links.append(child.get("href").strip())
                        break
    return links


@dataclass
class SitemapLinks:
    pages: list[str]
    sitemaps: list[str]
    # True when the sitemap had more than ``max_urls`` entries and the rest were not read.
    truncated: bool = False


def sitemap_links(body: bytes, max_urls: int = DEFAULT_MAX_SITEMAP_URLS) -> SitemapLinks:
    """Page URLs of a (news) sitemap, or the child sitemaps of a sitemap index.

    Entries are read one at a time and dropped once read, and reading stops after
    ``max_urls``: a sitemap costs memory for the URLs taken, not for its whole tree.
    """
    found = SitemapLinks(pages=[], sitemaps=[])
    kind = ""
    depth = 0
    events = etree.iterparse(io.BytesIO(body), events=("start", "end"), **_PARSER_OPTIONS)
    try:
        for event, element in events:
            if event == "start":
                depth += 1
                kind = kind or _local(element.tag)
                continue
            depth -= 1
            if depth != 1:  # only the root's children are entries (<url>, <sitemap>)
                continue
            loc = next((c.text for c in element if _local(c.tag) == "loc" and c.text), None)
            element.clear()
            while element.getprevious() is not None:
                del element.getparent()[0]
            if not loc or kind not in ("sitemapindex", "urlset"):
                continue
            if len(found.pages) + len(found.sitemaps) >= max_urls:
                found.truncated = True
                break
            (found.sitemaps if kind == "sitemapindex" else found.pages).append(loc.strip())
    except (etree.XMLSyntaxError, ValueError):
        pass  # what was read before the document broke off is kept
    return found
