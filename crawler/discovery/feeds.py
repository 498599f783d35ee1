"""Article URLs from RSS 2.0 / Atom feeds and (news) sitemaps."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

_PARSER = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _root(body: bytes) -> etree._Element | None:
    try:
        return etree.fromstring(body, parser=_PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return None


def feed_links(body: bytes) -> list[str]:
    """Item links of an RSS 2.0 or Atom feed, in feed order."""
    root = _root(body)
    if root is None:
        return []
    links: list[str] = []
    for element in root.iter():
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


def sitemap_links(body: bytes) -> SitemapLinks:
    """Page URLs of a (news) sitemap, or the child sitemaps of a sitemap index."""
    root = _root(body)
    found = SitemapLinks(pages=[], sitemaps=[])
    if root is None:
        return found
    kind = _local(root.tag)
    for element in root:
        loc = next((c.text for c in element if _local(c.tag) == "loc" and c.text), None)
        if not loc:
            continue
        if kind == "sitemapindex":
            found.sitemaps.append(loc.strip())
        elif kind == "urlset":
            found.pages.append(loc.strip())
    return found


def iter_feed_or_sitemap(body: bytes) -> Iterator[str]:
    yield from feed_links(body)
    yield from sitemap_links(body).pages
