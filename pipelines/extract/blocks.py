"""The page as text blocks, and completion of trafilatura's paragraphs from them.

trafilatura (precision settings) finds the article but drops some text inside it (loose text,
subheads, list items, embeds, sometimes the lead). The blocks it kept locate the article
container, and that container's dropped blocks are put back: between kept blocks anything but
page furniture, before the first or after the last only prose.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree
from lxml.html import HtmlElement

from .images import split_credit
from .text_utils import ascii_key, clean

# Elements that end a run of text.
_BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "br", "center", "dd", "details", "dialog", "div",
    "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
    "h5", "h6", "header", "hgroup", "hr", "li", "main", "nav", "ol", "output", "p", "pre",
    "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
})
# Never text: their content is skipped.
_SKIP_TAGS = frozenset({
    "script", "style", "noscript", "template", "svg", "iframe", "object", "embed", "video",
    "audio", "canvas", "select", "option", "button", "input", "textarea", "label", "head",
    "title", "meta", "link", "map",
})
# Furniture whose text need not even be read (it is never put back).
_SKIP_WALK = frozenset({"nav", "aside", "footer"})
# Page furniture: never put back, wherever it sits.  Tables are trafilatura's job
# (its rows become " | " lines), captions are the image record's.
_FURNITURE_TAGS = frozenset({"nav", "aside", "footer", "form", "figure", "figcaption",
                             "table", "h1", "menu", "dialog"})
# Words of class/id values that mark furniture (compared as whole words of the value).
_FURNITURE_WORDS = frozenset({
    "ad", "ads", "advert", "advertisement", "adsense", "adslot", "dfp", "banner", "sponsor",
    "sponsored", "promo", "promotion", "related", "recommended", "recirculation", "outbrain",
    "taboola", "share", "sharing", "sharebar", "social-share", "comment", "comments", "disqus",
    "respond", "reply", "newsletter", "subscribe", "subscription", "signup", "paywall",
    "byline", "author", "authors", "meta", "metadata", "dateline", "timestamp", "date", "tags",
    "tag", "breadcrumb", "breadcrumbs", "caption", "credit", "credits", "toolbar", "menu", "nav",
    "navigation", "footer", "sidebar", "widget", "popup", "modal", "overlay", "hidden", "hide",
    "sr-only", "visually-hidden", "screen-reader-text", "print-only", "cookie", "cookies",
    "consent", "gdpr", "masthead", "header", "pagination", "pager", "rating", "votes", "poll",
    "tooltip", "popover", "hovercard", "rollover", "disclaimer", "copyright", "skip", "jump",
    "toc", "more-stories", "trending", "most-read", "mostread", "popular", "teaser", "teasers",
    "card", "cards", "native", "outstream", "noscript", "nocontent", "slideshow", "gallery",
    "lightbox", "carousel", "slider", "factbox",
})
# Also found inside compound values ("news-letter-section", "relatedArticles").
_FURNITURE_STEMS = ("newsletter", "subscri", "related", "recommend", "comment", "advert",
                    "sponsor", "sharebar", "socialshare", "breadcrumb", "cookie", "paywall")
# Block elements whose short text is still article text (subheads, list items, quotes).
_HEADINGS = frozenset({"h2", "h3", "h4", "h5", "h6"})
_SHORT_OK = _HEADINGS | {"li", "dt", "dd", "blockquote", "pre"}
_WORDS = re.compile(r"\w+")
_WORD_SPLIT = re.compile(r"[\s_]+|(?<=[a-z])(?=[A-Z])")
_SENTENCE_END = re.compile(r"[.!?…:;\"”’»)]\s*$")
# Text nodes that are only separators.
_EMPTY = re.compile(r"^[\W_]*$")


def match_key(text: str) -> str:
    """Letters and digits only, case-folded: the same text as trafilatura gives it back."""
    if text.isascii():
        return ascii_key(text)
    # (what removing [\W_] leaves, a third faster than the regex)
    return "".join(filter(str.isalnum, text.casefold()))


@dataclass
class Block:
    text: str
    owner: HtmlElement  # the innermost block-level element holding the text
    key: str  # match_key(text)
    link_chars: int  # characters inside links
    furniture_chars: int  # characters inside inline furniture (a caption or credit span…)


def _attr_words(el: HtmlElement) -> set[str]:
    words: set[str] = set()
    for attr in ("class", "id", "role"):
        value = el.get(attr)
        if not value:
            continue
        for word in _WORD_SPLIT.split(value):
            word = word.lower()
            if word:
                words.add(word)
                words.update(p for p in word.split("-") if p)
    return words


def is_hidden(el: HtmlElement) -> bool:
    if el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return True
    style = (el.get("style") or "").replace(" ", "").lower()
    return "display:none" in style or "visibility:hidden" in style


def is_furniture(el: HtmlElement) -> bool:
    if el.tag in _FURNITURE_TAGS or is_hidden(el):
        return True
    if _attr_words(el) & _FURNITURE_WORDS:
        return True
    value = f"{el.get('class') or ''} {el.get('id') or ''}".lower().replace("-", "").replace("_", "")
    return any(stem in value for stem in _FURNITURE_STEMS)


_NO_ATTRS = (None, None, None)


def text_blocks(root: HtmlElement) -> list[Block]:
    """Runs of text in document order, split at block-level elements and ``<br>``."""
    blocks: list[Block] = []
    parts: list[str] = []
    link_chars = furniture_chars = 0
    owners: list[HtmlElement] = [root]
    # per open element: (inside a link, inside inline furniture)
    states: list[tuple[bool, bool]] = [(False, False)]
    furniture_memo: dict[tuple[str | None, str | None, str | None], bool] = {}

    def flush() -> None:
        nonlocal link_chars, furniture_chars
        if parts:
            text = clean("".join(parts))
            if text and not _EMPTY.match(text):
                blocks.append(Block(text, owners[-1], match_key(text), link_chars,
                                    furniture_chars))
            parts.clear()
        link_chars = furniture_chars = 0

    def add(text: str, state: tuple[bool, bool]) -> None:
        nonlocal link_chars, furniture_chars
        parts.append(text)
        if state[0] or state[1]:
            n = len(text.strip())
            link_chars += n if state[0] else 0
            furniture_chars += n if state[1] else 0

    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        tag = el.tag
        if tag.__class__ is not str:  # comment or processing instruction: only its tail
            if event == "end" and el.tail:
                add(el.tail, states[-1])
            continue
        if event == "start":
            if tag in _BLOCK_TAGS:
                if parts:  # (with nothing gathered the counts are zero already)
                    flush()
                owners.append(el)
                state = states[-1]
            elif tag in _SKIP_TAGS:
                state = states[-1]
            else:
                link, furniture = states[-1]
                if not furniture:
                    attrs = (el.get("class"), el.get("id"), el.get("style"))
                    if attrs != _NO_ATTRS:
                        if attrs not in furniture_memo:
                            furniture_memo[attrs] = is_furniture(el)
                        furniture = furniture_memo[attrs]
                state = (link or tag == "a", furniture)
            states.append(state)
            if tag in _SKIP_TAGS or tag in _SKIP_WALK:
                walker.skip_subtree()  # its end event still comes
            elif tag != "br":
                text = el.text
                if text:
                    add(text, state)
        else:
            states.pop()
            if tag in _BLOCK_TAGS:
                if parts:
                    flush()
                owners.pop()
            if el.tail and el is not root:
                add(el.tail, states[-1])
    flush()
    return blocks


def _ancestors(el: HtmlElement) -> Iterator[HtmlElement]:
    yield el
    yield from el.iterancestors()


def text_container(kept: list[Block], share: float) -> HtmlElement | None:
    """The deepest element holding ``share`` of the kept text."""
    weight: dict[HtmlElement, int] = {}
    total = 0
    for block in kept:
        n = len(block.key)
        total += n
        for anc in _ancestors(block.owner):
            weight[anc] = weight.get(anc, 0) + n
    if not total:
        return None
    best = None
    best_depth = -1
    for el, w in weight.items():
        if w >= share * total:
            depth = sum(1 for _ in el.iterancestors())
            if depth > best_depth:
                best, best_depth = el, depth
    return best


def _inside_furniture(el: HtmlElement, container: HtmlElement,
                      memo: dict[HtmlElement, bool]) -> bool:
    chain = []
    for anc in _ancestors(el):
        if anc is container:
            break
        if anc in memo:
            result = memo[anc]
            break
        chain.append(anc)
    else:
        return True  # not inside the container at all
    if anc is container:
        result = False
    for node in reversed(chain):
        result = result or is_furniture(node)
        memo[node] = result
    return result


class _Inside:
    """Whether an element is the container or inside it, for many elements of one tree: each
    ancestor is looked at once."""

    def __init__(self, container: HtmlElement):
        self.container = container
        self.memo: dict[HtmlElement, bool] = {container: True}

    def __call__(self, el: HtmlElement) -> bool:
        memo = self.memo
        chain = []
        result = False
        for anc in _ancestors(el):
            if anc in memo:
                result = memo[anc]
                break
            chain.append(anc)
        for node in chain:
            memo[node] = result
        return result


def is_prose(block: Block, min_chars: int = 100) -> bool:
    return (len(block.text) >= min_chars and block.link_chars <= 0.2 * len(block.text)
            and bool(_SENTENCE_END.search(block.text)))


def _trigrams(text: str) -> set[tuple[str, ...]]:
    words = _WORDS.findall(text.lower())
    return {tuple(words[i:i + 3]) for i in range(max(1, len(words) - 2))}


class _KeptGrams:
    """The trigrams of trafilatura's paragraphs, made when first asked for (most pages put
    back no block that needs them)."""

    def __init__(self, paragraphs: list[str]):
        self.paragraphs = paragraphs
        self._grams: set[tuple[str, ...]] | None = None

    @property
    def grams(self) -> set[tuple[str, ...]]:
        if self._grams is None:
            self._grams = set().union(*(_trigrams(p) for p in self.paragraphs))
        return self._grams


def _mostly_kept(block: Block, kept: _KeptGrams) -> bool:
    """trafilatura kept this block with some words changed or removed (a link, a span)."""
    grams = _trigrams(block.text)
    return len(grams & kept.grams) >= 0.5 * len(grams)


def complete(paragraphs: list[str], tree: HtmlElement, share: float = 0.8) -> list[str]:
    """trafilatura's paragraphs with the blocks it dropped from the article container."""
    if not paragraphs:
        return paragraphs
    keys = [match_key(p) for p in paragraphs]
    joined = "\n".join(keys)
    body = tree.find(".//body")
    blocks = text_blocks(body if body is not None else tree)
    kept_flags = [len(b.key) >= 1 and b.key in joined for b in blocks]
    anchors = [b for b, k in zip(blocks, kept_flags) if k and len(b.key) >= 20]
    container = text_container(anchors, share)
    if container is None:
        return paragraphs
    inside = _Inside(container)
    kept_idx = [i for i, k in enumerate(kept_flags) if k and len(blocks[i].key) >= 20
                and inside(blocks[i].owner)]
    if not kept_idx:
        return paragraphs
    first, last = kept_idx[0], kept_idx[-1]
    memo: dict[HtmlElement, bool] = {}
    kept_grams = _KeptGrams(paragraphs)
    # Document order up to the last kept block: (paragraph index the block follows, -1 for
    # none; the block; kept by trafilatura), or None for a block of the container left out.
    sequence: list[tuple[int, Block, bool] | None] = []
    para_pos = -1
    seen: set[str] = set()
    for i, block in enumerate(blocks[: last + 1]):
        if kept_flags[i]:
            if len(block.key) >= 20:
                para_pos = _locate(block.key, keys, max(para_pos, 0), para_pos)
                sequence.append((para_pos, block, True))
            continue
        if not block.key or not inside(block.owner):
            continue
        if _inside_furniture(block.owner, container, memo):
            continue
        ok = block.key not in seen and _worth_adding(block, i < first, kept_grams)
        sequence.append((para_pos, block, False) if ok else None)
        seen.add(block.key)
    inserts: dict[int, list[str]] = {}
    for k, item in enumerate(sequence):
        if item is None or item[2]:
            continue
        pos, block, _ = item
        if _is_heading(block) and not _followed_by_text(sequence, k):
            continue
        inserts.setdefault(pos, []).append(block.text)
    if not inserts:
        return paragraphs
    out = list(inserts.get(-1, []))
    for j, p in enumerate(paragraphs):
        out.append(p)
        out.extend(inserts.get(j, []))
    return out


def _worth_adding(block: Block, lead: bool, kept_grams: _KeptGrams) -> bool:
    n = len(block.text)
    if block.furniture_chars > 0.5 * n or block.link_chars > 0.5 * n:
        return False
    if n < 40 and block.owner.tag not in _SHORT_OK and not _in_quote(block.owner):
        return False
    if lead and not is_prose(block):
        return False
    if split_credit(block.text)[1]:
        return False  # a caption with its credit
    return not _mostly_kept(block, kept_grams)


def _in_quote(el: HtmlElement) -> bool:
    parent = el.getparent()
    return parent is not None and parent.tag == "blockquote"


def _is_heading(block: Block) -> bool:
    return block.owner.tag in _HEADINGS or (len(block.text) < 40
                                            and not _SENTENCE_END.search(block.text))


def _followed_by_text(sequence: list[tuple[int, Block, bool] | None], k: int) -> bool:
    """A subhead is text only when article text follows it (not a list of links)."""
    following = sequence[k + 1] if k + 1 < len(sequence) else None
    return following is not None and not _is_heading(following[1])


def _locate(key: str, keys: list[str], start: int, current: int) -> int:
    """Index of the paragraph holding ``key``, searching forward from ``start``."""
    for j in range(start, len(keys)):
        if key in keys[j]:
            return j
    return current
