"""sections._topic_list places a link in, after or before the main article by XPath axes
instead of numbering every element: the same places as the numbering gave."""

from __future__ import annotations

from pipelines.extract.parse import parse_html
from pipelines.extract.sections import _ANCHORS, _ANCHORS_AFTER, _main_article, extract_tags
from pipelines.extract.structured import read_structured

PAGE = """<html><head><title>t</title>
<meta property="article:tag" content="Alpha"><meta property="article:tag" content="Beta">
<meta name="keywords" content="alpha, beta">
</head><body>
<a href="/tag/before-1/">Before one</a>
<div><a href="/tag/around/"><article><p>Short lead.</p>
  <a href="/tag/inside-1/">Inside one</a>
  <footer><a href="/tag/alpha/">Alpha</a> <a href="/tag/beta/">Beta</a></footer>
</article></a></div>
<article><p>A second, shorter article.</p><a href="/tag/second/">Second</a></article>
<aside><a href="/topics/after-1/">After one</a></aside>
<a href="/tag/after-2/">After two</a>
</body></html>"""


def _numbered_places(tree):
    """What _topic_list did before: every element numbered, the article's span compared."""
    main = _main_article(tree)
    order = {el: i for i, el in enumerate(tree.iter())}
    main_end = max(order[el] for el in main.iter())
    out = []
    for a in _ANCHORS(tree):
        inside = order[main] < order[a] <= main_end
        out.append((inside, not inside and order[a] < main_end))
    return out


def test_places_by_axes_are_the_numbered_ones() -> None:
    tree = parse_html(PAGE)
    main = _main_article(tree)
    inside, after = set(_ANCHORS(main)), set(_ANCHORS_AFTER(main))
    by_axes = [(a in inside, a not in inside and a not in after) for a in _ANCHORS(tree)]
    assert by_axes == _numbered_places(tree)
    assert any(i for i, _ in by_axes) and any(b for _, b in by_axes)


def test_tags_all_confirmed_by_another_list() -> None:
    tree = parse_html(PAGE)
    assert extract_tags(tree, read_structured(tree, "https://example.com/a")) == ["Alpha", "Beta"]
