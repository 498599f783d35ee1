"""Structured walks its items once read_structured has filled them: nodes() and article()
give what walking them each time gave."""

from __future__ import annotations

import json

from pipelines.extract.parse import parse_html
from pipelines.extract.structured import Structured, read_structured

LD = {"@context": "https://schema.org", "@graph": [
    {"@type": "WebSite", "@id": "#site", "name": "Site", "publisher": {"@id": "#org"}},
    {"@type": "Organization", "@id": "#org", "name": "Org", "logo": {"@type": "ImageObject"}},
    {"@type": "NewsArticle", "@id": "#a", "author": [{"@type": "Person", "name": "A B"}],
     "isPartOf": {"@id": "#site"}}]}
LD2 = {"@type": "Article", "headline": "Second", "image": [{"url": "x"}, {"url": "y"}]}
PAGE = f"""<html><head><script type="application/ld+json">{json.dumps(LD)}</script>
<script type="application/ld+json">{json.dumps(LD2)}</script></head>
<body><div itemscope itemtype="https://schema.org/Person"><span itemprop="name">C D</span></div>
<h1>t</h1></body></html>"""


def _walked(data: Structured) -> list[dict]:
    return list(data._walk_nodes())


def test_settled_nodes_are_the_walk() -> None:
    data = read_structured(parse_html(PAGE), "https://example.com/a")
    assert [id(n) for n in data.nodes()] == [id(n) for n in _walked(data)]
    assert [id(n) for n in data.nodes()] == [id(n) for n in data.nodes()]
    assert len(_walked(data)) >= 8


def test_settled_article_is_the_search() -> None:
    data = read_structured(parse_html(PAGE), "https://example.com/a")
    assert data.article() is data._find_article()
    assert data.article()["headline"] == "Second"  # the first with a headline, body or name


def test_unsettled_structured_walks_each_time() -> None:
    data = Structured(jsonld=[{"@type": "Article", "name": "n"}])
    assert data.article() == {"@type": "Article", "name": "n"}
    data.jsonld.append({"@type": "Person"})
    assert len(list(data.nodes())) == 2
