"""Structured data: JSON-LD, microdata and OpenGraph through extruct, plus plain ``<meta>``.

Only the syntaxes the record needs are run (RDFa through rdflib costs more than the rest of
the extraction together and adds nothing OpenGraph does not already give).  Everything is
flattened into plain dicts in JSON-LD shape so the field rules read one form.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from extruct.jsonld import JsonLdExtractor
from extruct.opengraph import OpenGraphExtractor
from extruct.w3cmicrodata import MicrodataExtractor
from lxml import etree
from lxml.html import HtmlElement

logger = logging.getLogger(__name__)

ARTICLE_TYPES = frozenset(
    {
        "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle",
        "opinionnewsarticle", "backgroundnewsarticle", "reviewnewsarticle",
        "asktpublicnewsarticle", "askpublicnewsarticle", "blogposting", "liveblogposting",
        "techarticle", "scholarlyarticle", "report", "satiricalarticle", "socialmediaposting",
        "medicalscholarlyarticle", "advertisertcontentarticle", "advertisercontentarticle",
        "posting", "review", "creativework_article",
    }
)
NON_ARTICLE_PAGE_TYPES = {
    "collectionpage": "listing-page",
    "searchresultspage": "search-page",
    "profilepage": "author-page",
    "aboutpage": "about-page",
    "contactpage": "contact-page",
}

# Compiled, so libxml2 walks the tree (``find(".//*[@itemscope]")`` makes a Python object of
# every element).  Descendants only, as ``.//``: an ``itemscope`` on the root itself is not asked.
_HAS_ITEMSCOPE = etree.XPath("boolean(descendant::*[@itemscope])")

_JSONLD = JsonLdExtractor()
_MICRODATA = MicrodataExtractor()
_OPENGRAPH = OpenGraphExtractor()


def type_names(node: dict) -> set[str]:
    """The node's schema.org types, lower-cased, without namespace."""
    raw = node.get("@type") or node.get("type") or []
    if isinstance(raw, str):
        raw = [raw]
    out = set()
    for t in raw:
        if isinstance(t, str):
            out.add(t.rsplit("/", 1)[-1].rsplit(":", 1)[-1].strip().lower())
    return out


_NOT_YET = object()


def _walk(obj: Any) -> Iterator[dict]:
    if isinstance(obj, dict):
        yield obj
        for value in obj.values():
            yield from _walk(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from _walk(value)


def _microdata_to_ld(item: Any) -> Any:
    """extruct microdata ``{type, properties}`` → JSON-LD-shaped dict."""
    if isinstance(item, list):
        return [_microdata_to_ld(x) for x in item]
    if not isinstance(item, dict):
        return item
    if "properties" not in item:
        return item
    out: dict[str, Any] = {}
    if item.get("type"):
        out["@type"] = item["type"]
    for key, value in item["properties"].items():
        out[key] = _microdata_to_ld(value)
    if "value" in item and "name" not in out and isinstance(item["value"], str):
        out["name"] = item["value"]
    return out


@dataclass
class Structured:
    jsonld: list[dict] = field(default_factory=list)     # top-level items as found
    microdata: list[dict] = field(default_factory=list)  # converted to JSON-LD shape
    og: dict[str, list[str]] = field(default_factory=dict)
    meta: dict[str, list[str]] = field(default_factory=dict)  # name/property/itemprop → contents
    by_id: dict[str, dict] = field(default_factory=dict)
    # Set by read_structured once it has filled the items, which nothing changes afterwards:
    # the rules ask for the nodes and the article a dozen times a page.
    _node_list: list[dict] | None = field(default=None, init=False, repr=False, compare=False)
    _article: Any = field(default=_NOT_YET, init=False, repr=False, compare=False)

    def nodes(self) -> Iterator[dict]:
        """Every dict node, JSON-LD first, then microdata."""
        if self._node_list is not None:
            return iter(self._node_list)
        return self._walk_nodes()

    def _walk_nodes(self) -> Iterator[dict]:
        for item in self.jsonld:
            yield from _walk(item)
        for item in self.microdata:
            yield from _walk(item)

    def settle(self) -> None:
        """The items are complete: walk them once, for every later ``nodes()``/``article()``."""
        self._node_list = list(self._walk_nodes())
        self._article = _NOT_YET

    def resolve(self, value: Any) -> Any:
        """Follow a ``{"@id": …}`` reference to its full node when the page has it."""
        if isinstance(value, dict) and set(value) <= {"@id", "@type"} and "@id" in value:
            return self.by_id.get(str(value["@id"]), value)
        return value

    def article(self) -> dict | None:
        """The page's article node: the first node of an article type carrying a headline or
        body, else the first of an article type."""
        if self._node_list is None:
            return self._find_article()
        if self._article is _NOT_YET:
            self._article = self._find_article()
        return self._article

    def _find_article(self) -> dict | None:
        fallback = None
        for node in self.nodes():
            if type_names(node) & ARTICLE_TYPES:
                if node.get("headline") or node.get("articleBody") or node.get("name"):
                    return node
                fallback = fallback or node
        return fallback

    def types(self) -> set[str]:
        """Types of the page-level items (top level, ``@graph`` members, microdata roots)."""
        out: set[str] = set()
        for item in self.jsonld:
            out |= type_names(item)
            graph = item.get("@graph")
            for member in graph if isinstance(graph, list) else []:
                if isinstance(member, dict):
                    out |= type_names(member)
        for item in self.microdata:
            out |= type_names(item)
        return out

    def first_meta(self, *names: str) -> str | None:
        for name in names:
            for value in self.meta.get(name.lower(), []):
                if value and value.strip():
                    return value.strip()
        return None

    def all_meta(self, *names: str) -> list[str]:
        out: list[str] = []
        for name in names:
            out.extend(v.strip() for v in self.meta.get(name.lower(), []) if v and v.strip())
        return out


def _jsonld(tree: HtmlElement) -> list[dict]:
    items: list[dict] = []
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            items.extend(i for i in _JSONLD.extract_items(script) if isinstance(i, dict))
        except ValueError as exc:  # broken JSON in one script must not lose the others
            logger.debug("skipping unparsable JSON-LD: %s", exc)
    return items


def _meta(tree: HtmlElement) -> dict[str, list[str]]:
    meta: dict[str, list[str]] = {}
    for el in tree.iter("meta"):
        content = el.get("content")
        if content is None:
            continue
        for attr in ("name", "property", "itemprop", "http-equiv"):
            key = el.get(attr)
            if key:
                meta.setdefault(key.strip().lower(), []).append(content)
    return meta


def read_structured(tree: HtmlElement, url: str) -> Structured:
    data = Structured(jsonld=_jsonld(tree), meta=_meta(tree))
    if _HAS_ITEMSCOPE(tree):
        try:
            data.microdata = [_microdata_to_ld(i) for i in _MICRODATA.extract_items(tree, url)]
        except (ValueError, TypeError) as exc:
            logger.debug("microdata failed on %s: %s", url, exc)
    for item in _OPENGRAPH.extract_items(tree):
        for prop, value in item.get("properties", []):
            data.og.setdefault(prop.lower(), []).append(value)
    data.settle()
    for node in data.nodes():
        node_id = node.get("@id")
        if isinstance(node_id, str) and len(node) > 2:
            data.by_id.setdefault(node_id, node)
    return data
