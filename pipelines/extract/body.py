"""Body text: trafilatura on a copy of the tree, then paragraph-level clean-up.

trafilatura finds the main content; the clean-up here removes what it lets through on news
pages: the title and byline at the top, image credit lines (returned, they become the
image credit), "Read also:" cross-links, and the tail furniture after an end marker
("You may also like", "Leave a Comment", …).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import trafilatura
from lxml import etree
from lxml.html import HtmlElement

from . import boilerplate, body_vote, rules
from .blocks import complete
from .images import credit_line
from .text_utils import clean, fold

# Blocks removed before trafilatura looks at the page (it keeps some of them otherwise).  The
# expressions start from attribute (or text) nodes: libxml2 then tests only the attributes that
# exist, two to three times faster than testing every element.
_BOILERPLATE_CLASS = (
    "contains(.,'sharedaddy') or contains(.,'share-buttons') or contains(.,'social-share') "
    "or contains(.,'jp-relatedposts') or contains(.,'yarpp') or contains(.,'related-posts') "
    "or contains(.,'author-box') or contains(.,'about-author') or contains(.,'newsletter') "
    "or contains(.,'cookie') or contains(.,'comment-respond')"
)
# Never a container of the article itself (class soup on <body> often says "cookies" or
# "newsletter"): no body/html/main/article, nothing holding the h1 or the articleBody.
# Hover cards inside a paragraph (a linked name that pops up a photo and headlines): the
# innermost card element holding an image goes, the name link stays.
_HOVER_CLASS = ("contains(@class,'rollover') or contains(@class,'tooltip') "
                "or contains(@class,'popover') or contains(@class,'hovercard') "
                "or contains(@class,'hover-card')")
# An empty element right before text (a table-of-contents anchor opening a heading:
# <h2><span id="toc-3"></span>Question?</h2>): trafilatura's precision mode deletes empty
# elements *with* their tail, which drops the heading's text; pruned here, the tail stays.
# (Found from the empty elements: from every text node, scripts' included, it took three
# times as long on the benchmark site's pages.)
_EMPTY_BEFORE_TEXT = ("(//span|//i|//em|//b|//strong|//q|//p|//div|//li|//dd|//dt)[not(node())]"
                      "[following-sibling::node()[1][self::text()][normalize-space()]]")
PRUNE_XPATH = [
    (f"(//@class[{_BOILERPLATE_CLASS}] | //@id[.='comments' or .='respond'])/parent::*"
     "[not(self::body or self::html or self::main or self::article)]"
     "[not(.//h1) and not(.//*[@itemprop='articleBody'])]"),
    f"//p//*[{_HOVER_CLASS}][.//img][not(.//*[{_HOVER_CLASS}][.//img])]",
    _EMPTY_BEFORE_TEXT,
]


@dataclass
class BodySettings:
    favor_precision: bool = True
    favor_recall: bool = False
    include_tables: bool = True
    deduplicate: bool = False
    prune: bool = True
    complete_blocks: bool = True
    vote: bool = True  # other extractors' vote where a cheap signal says it can help
    fast: bool = True  # skip trafilatura's own readability/justext comparison


@dataclass
class Body:
    paragraphs: list[str] = field(default_factory=list)
    credits: list[str] = field(default_factory=list)  # credit names from standalone lines

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


def _text_with_breaks(el: HtmlElement) -> str:
    """The element's text, a trafilatura ``<lb/>`` read as a space ("FL<lb/>June" is two
    words, as the browser shows them on two lines)."""
    out = [el.text or ""]
    for child in el:
        out.append(" " if child.tag == "lb" else _text_with_breaks(child))
        out.append(child.tail or "")
    return "".join(out)


def _paragraphs(body: HtmlElement) -> list[str]:
    text_of = _text_with_breaks if rules.enabled("line-breaks") else (
        lambda el: "".join(el.itertext()))
    out: list[str] = []
    for el in body:
        if el.tag == "list":
            items = [clean(text_of(item)) for item in el.iter("item")]
            out += [i for i in items if i]
        elif el.tag == "table":
            for row in el.iter("row"):
                cells = [clean(text_of(c)) for c in row.iter("cell")]
                line = " | ".join(c for c in cells if c)
                if line:
                    out.append(line)
        else:
            text = clean(text_of(el))
            if text:
                out.append(text)
    return out


# The <header> of the article holding the page's headline, with the lead paragraph in it:
# trafilatura's precision mode drops every <header>; read as a <div> for the extraction, the
# lead stays.  (Not the headers of articles an endless-scroll page appends after it.)
_LEAD_HEADERS = etree.XPath("(//h1)[1]/ancestor::article[1]"
                            "//header[.//p[string-length(normalize-space()) >= 80]]")


@contextmanager
def _leads_kept(tree: HtmlElement) -> Iterator[None]:
    headers = _LEAD_HEADERS(tree)
    for el in headers:
        el.tag = "div"
    try:
        yield
    finally:
        for el in headers:
            el.tag = "header"


def trafilatura_body(tree: HtmlElement, url: str, settings: BodySettings) -> HtmlElement | None:
    with warnings.catch_warnings(), _leads_kept(tree):
        warnings.simplefilter("ignore", DeprecationWarning)
        doc = trafilatura.bare_extraction(
            tree,
            url=url,
            include_comments=False,
            include_tables=settings.include_tables,
            favor_precision=settings.favor_precision,
            favor_recall=settings.favor_recall,
            fast=settings.fast,
            deduplicate=settings.deduplicate,
            with_metadata=False,
            prune_xpath=PRUNE_XPATH if settings.prune else [],
            # only .body is read: "txt" skips the plain-text rendering "python" adds (xmltotxt,
            # read-only without formatting); the extraction itself is the same for both
            output_format="txt",
        )
    if doc is None or isinstance(doc, dict):
        return None
    return doc.body


def clean_paragraphs(paragraphs: list[str], title: str | None, byline_texts: list[str]) -> Body:
    result = Body()
    head_keys = {fold(t) for t in [title, *byline_texts] if t}
    paragraphs = paragraphs[_head_end(paragraphs, head_keys):]
    skip_next = skip_links = False
    for i, line in enumerate(paragraphs):
        if skip_next:
            skip_next = False
            if len(line) <= 200:
                continue
        if not result.paragraphs and fold(line) in head_keys:
            continue
        credit = credit_line(line)
        if credit:
            result.credits.append(credit)
            continue
        if boilerplate.is_end_marker(line) and result.paragraphs:
            late = i >= len(paragraphs) * 0.5 or boilerplate.opens_author_bio(line)
            if late and not _article_continues(paragraphs[i + 1:]):
                break
            skip_links = True  # a "Don't miss" box inside the article: its links go
            continue
        if skip_links:
            if not boilerplate.is_prose(line):
                continue
            skip_links = False
        if boilerplate.is_label_only(line):
            skip_next = True
            continue
        at_edge = i < 2 or i >= len(paragraphs) - 2  # a date line inside is content ("Termin:")
        if (boilerplate.is_cross_link(line) or boilerplate.is_noise(line)
                or (at_edge and boilerplate.is_dateline(line))):
            continue
        result.paragraphs.append(line)
    tail = len(result.paragraphs) - 4
    result.paragraphs = [p for i, p in enumerate(result.paragraphs)
                         if i < max(tail, 1) or not boilerplate.is_tail_promo(p)]
    return result


def _head_end(paragraphs: list[str], head_keys: set[str]) -> int:
    """Index after the headline when it is repeated among the first lines with only short
    labels ("Top news", a kicker) before it; 0 when it is not."""
    for i, line in enumerate(paragraphs[:3]):
        if fold(line) in head_keys:
            return i + 1
        if len(line) >= 80 or boilerplate.is_prose(line, 40):
            return 0
    return 0


def _article_continues(rest: list[str]) -> bool:
    """Article prose after an end marker: three long paragraphs and most of what is left."""
    prose = [p for p in rest if boilerplate.is_prose(p)]
    return len(prose) >= 3 and sum(map(len, prose)) >= 0.7 * sum(map(len, rest))


def _paragraph_chars(tree: HtmlElement) -> int:
    """Characters of the page's ``<p>`` text."""
    return sum(len(clean(p.text_content())) for p in tree.iter("p"))


def _looks_short(paragraphs: list[str], page_chars: int) -> bool:
    """Is trafilatura's text well under the page's paragraph text?  Only then is a second
    opinion worth its cost."""
    return sum(len(p) for p in paragraphs) < 0.6 * page_chars


SHORT_TEXT_CHARS = 500


def _stopped_short(paragraphs: list[str], page_chars: int) -> bool:
    return sum(len(p) for p in paragraphs) < SHORT_TEXT_CHARS or _looks_short(paragraphs, page_chars)


def extract_body(tree: HtmlElement, url: str, title: str | None, byline_texts: list[str],
                 settings: BodySettings | None = None, article_body: object = None) -> Body:
    """``article_body``: the page's declared articleBody (JSON-LD), one more vote."""
    settings = settings or BodySettings()
    body = trafilatura_body(tree, url, settings)
    paragraphs = _paragraphs(body) if body is not None else []
    # trafilatura works on its own copy: the tree, and so its paragraph text, stays the same
    page_chars = _paragraph_chars(tree) if settings.fast or settings.vote else 0
    if settings.fast and _stopped_short(paragraphs, page_chars):
        # trafilatura's own rescue (its readability/justext comparison) on the few pages
        # where the fast pass found little
        body = trafilatura_body(tree, url, replace(settings, fast=False))
        paragraphs = _paragraphs(body) if body is not None else []
    precise = paragraphs
    if settings.complete_blocks:
        paragraphs = complete(paragraphs, tree)
    if settings.vote and rules.enabled("body-vote"):
        paragraphs = body_vote.voted(tree, precise, paragraphs, page_chars, article_body)
    return clean_paragraphs(paragraphs, title, byline_texts)
