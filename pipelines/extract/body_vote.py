"""The body as a vote of several extractors, asked only where they can change the result.

Our text (trafilatura's precision mode, completed from the page's blocks) is the base.  The
other opinions are jusText (as trafilatura runs it) and the page's declared ``articleBody``.
jusText costs about as much as the base, so the vote runs only on a cheap signal that the base
lost text: it is short against the page's ``<p>`` text, or the declared articleBody is longer or
holds text we lack.

Paragraphs are compared by their letters and digits (``match_key``): one is in a candidate when
its key occurs in the candidate's joined keys, or most of its word 4-grams do.  Then
- short-text fallback: a candidate with several times our text that holds most of ours wins;
- otherwise a paragraph we lack comes in, after the paragraph it follows in its candidate,
  when it is a sentence of prose and the weights of the candidates holding it reach ``ADD``.
Either way only text that sits in our article (``Places``) comes in.  Measured and left out:
trafilatura's recall mode as a candidate (it changed no dev page), readability-lxml as a
candidate whenever the vote runs (no news-dev page changed, extraction-dev body F1 0.9833 →
0.9824), and dropping the paragraphs only the block completion added unless a candidate
agrees (no tune page better, extraction-dev worse).
"""

from __future__ import annotations

import html
import re
import warnings
from copy import deepcopy
from dataclasses import dataclass, field

import lxml.html
from lxml.html import HtmlElement

from . import boilerplate
from .blocks import is_hidden, match_key, text_blocks, text_container
from .text_utils import clean

# Weights of the other extractors, learned on news-dev's tune half and the older sets.
WEIGHTS: dict[str, float] = {"justext": 1.0, "article_body": 2.0}
ADD = 2.0  # weight that brings in a paragraph we lack
ADD_MIN_CHARS = 100  # shorter paragraphs (or not sentences) of other extractors stay out
# Short-text fallback: a candidate with this many times our text, holding this share of it.
FALLBACK_RATIO = 2.0
FALLBACK_COVER = 0.8
# Gates: run the other extractors only when one holds.
SHORT_SHARE = 0.6  # our text is under this share of the page's <p> text
BODY_LONGER = 1.2  # the declared articleBody is this many times our text
BODY_HELD = 0.8  # or we hold less than this share of its word 4-grams
_WORD = re.compile(r"\w+")


@dataclass
class Candidate:
    name: str
    paragraphs: list[str]
    keys: list[str] = field(init=False)
    joined: str = field(init=False)
    grams: set[tuple[str, ...]] = field(init=False)

    def __post_init__(self) -> None:
        self.keys = [match_key(p) for p in self.paragraphs]
        self.joined = "\n".join(self.keys)
        self.grams = set().union(*map(_grams, self.paragraphs)) if self.paragraphs else set()

    @property
    def chars(self) -> int:
        return sum(len(p) for p in self.paragraphs)

    def holds(self, paragraph: str, key: str | None = None) -> bool:
        key = match_key(paragraph) if key is None else key
        if not key:
            return False
        if key in self.joined:
            return True
        grams = _grams(paragraph)
        return len(grams) >= 3 and len(grams & self.grams) >= 0.7 * len(grams)


class Places:
    """Where a paragraph sits in the page: only text inside the article our own paragraphs
    sit in (its <article> or <main>), outside furniture, may come in from another extractor.
    (jusText knows no container: without this it brings cookie notices, ad labels and the
    next article of an endless-scroll page.)"""

    def __init__(self, tree: HtmlElement, precise: list[str]) -> None:
        body = tree.find(".//body")
        self.blocks = [b for b in text_blocks(body if body is not None else tree) if b.key]
        keys = "\n".join(match_key(p) for p in precise)
        anchors = [b for b in self.blocks if len(b.key) >= 20 and b.key in keys]
        container = text_container(anchors, 0.8)
        self.home = None if container is None else next(
            (el for el in container.iterancestors() if el.tag in ("article", "main")),
            container.getparent() if container.getparent() is not None else container)
        if container is not None and container.tag in ("article", "main"):
            self.home = container

    def at_home(self, paragraph: str) -> bool:
        if self.home is None:
            return False
        owner = self._owner(match_key(paragraph))
        if owner is None:
            return False
        for el in [owner, *owner.iterancestors()]:
            if el is self.home:
                return True
            if _is_furniture(el):
                return False
        return False

    def _owner(self, key: str) -> HtmlElement | None:
        for block in self.blocks:
            if (len(block.key) >= 15 and block.key in key) or block.key == key:
                return block.owner
        return None


# Furniture inside an article.  Narrower than blocks.is_furniture: sites mark article
# paragraphs "paywall" and article columns "sidebar-grid", and those must come in.
_FURNITURE_TAGS = frozenset({"aside", "nav", "footer", "form", "figure", "figcaption", "menu",
                             "dialog", "button", "header"})
_FURNITURE_WORD = re.compile(r"(?:^|[\s_-])(?:ad|ads|advert\w*|promo\w*|sponsor\w*|related|"
                             r"recommend\w*|newsletter|share|sharing|social|cookie\w*|consent|"
                             r"comments?|teasers?|outbrain|taboola|video-?player)(?:$|[\s_-])",
                             re.IGNORECASE)


def _is_furniture(el: HtmlElement) -> bool:
    if el.tag in _FURNITURE_TAGS or is_hidden(el):
        return True
    return bool(_FURNITURE_WORD.search(f"{el.get('class') or ''} {el.get('id') or ''}"))


def _grams(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.casefold())
    return {tuple(words[i:i + 4]) for i in range(max(1, len(words) - 3))}


def article_body_paragraphs(value: object) -> list[str]:
    """The declared articleBody as paragraphs (its line breaks, or its blocks when it is
    markup, as some sites declare it), or [] when there is none."""
    if isinstance(value, list):
        value = "\n".join(v for v in value if isinstance(v, str))
    if not isinstance(value, str) or not value.strip():
        return []
    if "&lt;/" in value:  # escaped once more
        value = html.unescape(value)
    if "</" in value:
        root = lxml.html.fragment_fromstring(value, create_parent="div")
        for el in root.iter("p", "div", "li", "h2", "h3", "h4", "blockquote", "br"):
            el.tail = "\n" + (el.tail or "")
        value = root.text_content()
    return [p for p in (clean(line) for line in value.splitlines()) if p]


def voted(tree: HtmlElement, precise: list[str], completed: list[str], page_chars: int,
          article_body: object) -> list[str]:
    """``completed`` after the vote; ``precise``: trafilatura's paragraphs before the block
    completion; ``page_chars``: characters of the page's <p> text; ``article_body``: the
    declared articleBody as found in the JSON-LD."""
    declared = article_body_paragraphs(article_body)
    if not needs_vote(completed, page_chars, declared):
        return completed
    others = [Candidate("justext", justext_paragraphs(tree)),
              Candidate("article_body", declared)]
    return vote(completed, others, Places(tree, precise))


def needs_vote(completed: list[str], page_chars: int, article_body: list[str]) -> bool:
    """Cheap signals that the other extractors can change the result: our text is short
    against the page's <p> text, or the declared articleBody holds text we lack."""
    ours = sum(map(len, completed))
    if ours < SHORT_SHARE * page_chars:
        return True
    if not article_body:
        return False
    if sum(map(len, article_body)) > BODY_LONGER * max(ours, 1):
        return True
    declared = Candidate("article_body", article_body).grams
    mine = Candidate("ours", completed).grams
    return len(declared & mine) < BODY_HELD * len(declared)


def justext_paragraphs(tree: HtmlElement) -> list[str]:
    """jusText's good paragraphs, as trafilatura runs it (its cleaning, all stop lists)."""
    from trafilatura.external import try_justext
    from trafilatura.htmlprocessing import tree_cleaning
    from trafilatura.settings import Extractor

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cleaned = tree_cleaning(deepcopy(tree), Extractor())
        body = try_justext(cleaned, None, None)
    return [t for t in (clean(p.text_content() if hasattr(p, "text_content") else p.text)
                        for p in body) if t]


def _support(paragraph: str, key: str, others: list[Candidate]) -> float:
    return sum(WEIGHTS[c.name] for c in others if c.holds(paragraph, key))


def vote(completed: list[str], others: list[Candidate], places: Places) -> list[str]:
    """``completed`` after the vote of ``others`` (see the module's docstring)."""
    others = [c for c in others if c.paragraphs]
    if not others:
        return completed
    fallback = _fallback(completed, others, places)
    if fallback is not None:
        return fallback
    return _add_missing(completed, others, places)


def _fallback(ours: list[str], others: list[Candidate], places: Places) -> list[str] | None:
    chars = sum(map(len, ours))
    mine = Candidate("ours", ours)
    best = max(others, key=lambda c: c.chars)
    if best.chars < FALLBACK_RATIO * max(chars, 1):
        return None
    if mine.grams and len(mine.grams & best.grams) < FALLBACK_COVER * len(mine.grams):
        return None
    kept = [p for p, key in zip(best.paragraphs, best.keys)
            if mine.holds(p, key) or places.at_home(p)]
    return kept if sum(map(len, kept)) >= FALLBACK_RATIO * max(chars, 1) else None


def _add_missing(out: list[str], others: list[Candidate], places: Places) -> list[str]:
    result = Candidate("result", out)
    inserts: dict[int, list[str]] = {}
    added: set[str] = set()
    for cand in sorted(others, key=lambda c: -WEIGHTS[c.name]):
        pos = -1  # index in ``out`` the candidate's current paragraph follows
        for p, key in zip(cand.paragraphs, cand.keys):
            if result.holds(p, key):
                pos = _index_of(key, result.keys, pos)
                continue
            if (not boilerplate.is_prose(p, ADD_MIN_CHARS) or key in added
                    or _support(p, key, others) < ADD or not places.at_home(p)):
                continue
            inserts.setdefault(pos, []).append(p)
            added.add(key)
    if not inserts:
        return out
    merged = list(inserts.get(-1, []))
    for i, p in enumerate(out):
        merged.append(p)
        merged += inserts.get(i, [])
    return merged


def _index_of(key: str, keys: list[str], after: int) -> int:
    for i in range(max(after, 0), len(keys)):
        if key and (key in keys[i] or keys[i] in key):
            return i
    return after
