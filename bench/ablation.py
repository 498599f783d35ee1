"""Switches that turn one part of ``pipelines/extract`` off for an ablation, by name.

Two kinds of name, both accepted wherever ``--ablate`` is:

* the named rules of ``pipelines.extract.rules.RULES`` (the extractor reads
  ``NEWSARCHIVE_EXTRACT_ABLATE`` itself);
* the modules and sources in ``SWITCHES`` below, which the extractor knows nothing about: each
  replaces the entry point the rest of the extractor calls with what the extractor would do
  without it ("block-completion": ``blocks.complete`` returns trafilatura's paragraphs as
  they are).  The patch is made around each call, in the process that extracts, and undone
  after it, so the extraction modules stay untouched and a worker pool can run them.

``Ablated(("block-completion",))`` is a predictor for ``predict_folder`` with those parts off.
A switch names the attribute it replaces: a renamed entry point is an ``AttributeError``, not
an ablation that silently switches nothing off (``tests/test_bench_ablation.py``).
"""

from __future__ import annotations

import importlib
import os
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from copy import deepcopy
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from pipelines.extract.rules import ABLATE_ENV, RULES

_X = "pipelines.extract"


def _never(*_args: Any, **_kwargs: Any) -> bool:
    return False


def _none(*_args: Any, **_kwargs: Any) -> None:
    return None


def _empty(*_args: Any, **_kwargs: Any) -> list:
    return []


_NO_ITEMS = SimpleNamespace(extract_items=_empty)  # an extruct extractor finding nothing


def _trafilatura_title(tree: Any, data: Any, url: str) -> str | None:
    """trafilatura's own title for the page (its metadata pass on a copy of the tree)."""
    from trafilatura.metadata import extract_metadata

    return extract_metadata(deepcopy(tree), default_url=url or None, extensive=False).title


def _as_article(*_args: Any, **_kwargs: Any) -> tuple[bool, None]:
    return True, None


def _first_paragraphs(paragraphs: list[str], *_args: Any, **_kwargs: Any) -> list[str]:
    return paragraphs


def _names_as_given(names: list[str], *_args: Any) -> list[str]:
    return names


def _no_bylines(*_args: Any, **_kwargs: Any) -> tuple[list, list]:
    return [], []


def _meta_keywords_only(data: Any) -> list[list[str]]:
    """``sections._declared_lists`` without the lists ``declared-tags`` names."""
    from pipelines.extract.sections import _split_keywords

    return [[], [], [], _split_keywords(",".join(data.all_meta("keywords")))]


@dataclass(frozen=True)
class Switch:
    what: str  # what goes when the switch is off
    off: tuple[tuple[str, str, Any], ...]  # (module, attribute, what it is while off)


def _switch(what: str, *off: tuple[str, str, Any]) -> Switch:
    return Switch(what, off)


SWITCHES: dict[str, Switch] = {
    # body.py and what it calls
    "block-completion": _switch(
        "blocks.py: blocks of the article container trafilatura dropped are put back",
        (f"{_X}.body", "complete", _first_paragraphs)),
    "boilerplate": _switch(
        "boilerplate.py: the paragraph clean-up (end markers and what follows them, author "
        "bios, cross-links, noise and consent lines, datelines, closing promos)",
        *((f"{_X}.boilerplate", name, _never) for name in (
            "is_end_marker", "opens_author_bio", "is_cross_link", "is_label_only", "is_noise",
            "is_dateline", "is_tail_promo"))),
    "prune-xpath": _switch(
        "body.py PRUNE_XPATH: share/related/newsletter/comment blocks, hover cards and empty "
        "anchors removed before trafilatura",
        (f"{_X}.body", "PRUNE_XPATH", [])),
    "lead-header": _switch(
        "body.py: the article <header> holding a lead paragraph is read as text",
        (f"{_X}.body", "_LEAD_HEADERS", _empty)),
    "credit-lines": _switch(
        "body.py/images.py: a standalone credit line leaves the text and becomes the credit",
        (f"{_X}.body", "credit_line", _none)),
    # titles.py
    "headline-title": _switch(
        "titles.py: the printed headline agreeing with the declared titles, site affixes "
        "stripped; off: trafilatura's metadata title",
        (f"{_X}.record", "extract_title", _trafilatura_title)),
    # dates.py / printed_dates.py
    "printed-dates": _switch(
        "printed_dates.py: the day printed with the headline (or labelled/listed) arbitrates "
        "the declared dates, 'originally published' notes; off: declared dates and htmldate",
        *((f"{_X}.dates", name, _none) for name in (
            "shown_date", "labelled_date", "listed_date", "originally_published"))),
    "htmldate": _switch(
        "dates.py: htmldate as the last resort and for a re-stamped page's earlier day",
        (f"{_X}.dates", "_from_htmldate", _none)),
    # bylines/
    "byline-markup": _switch(
        "bylines/markup.py: authors declared in JSON-LD/microdata and <meta name=author>",
        (f"{_X}.bylines", "_names_from_ld", _empty),
        (f"{_X}.bylines", "_meta_names", _empty)),
    "byline-printed": _switch(
        "bylines/printed.py: the bylines printed on the page (and author boxes)",
        (f"{_X}.bylines", "_visible_bylines", _no_bylines)),
    "byline-page-text": _switch(
        "bylines/page_text.py: a declared name must occur in the page's visible text",
        (f"{_X}.bylines", "_printed_somewhere", _names_as_given)),
    "given-names": _switch(
        "given_names.py: gender-guesser's first names (site named after a person, 'About "
        "Jane Doe' bio headings, site-owner)",
        (f"{_X}.given_names", "is_given_name", _never)),
    # structured.py
    "jsonld": _switch("structured.py: JSON-LD", (f"{_X}.structured", "_jsonld", _empty)),
    "microdata": _switch("structured.py: microdata (extruct)",
                         (f"{_X}.structured", "_MICRODATA", _NO_ITEMS)),
    "opengraph": _switch("structured.py: OpenGraph (extruct)",
                         (f"{_X}.structured", "_OPENGRAPH", _NO_ITEMS)),
    # sections.py
    "declared-tags": _switch(
        "sections.py: article:tag, schema.org keywords, news_keywords (meta keywords is its "
        "own rule)", (f"{_X}.sections", "_declared_lists", _meta_keywords_only)),
    # page_type.py
    "page-type": _switch(
        "page_type.py: the article/not-article verdict (off: every page is an article)",
        (f"{_X}.record", "judge", _as_article)),
}


def known() -> list[str]:
    return [*RULES, *SWITCHES]


def unknown(names: list[str] | tuple[str, ...]) -> list[str]:
    return [n for n in names if n not in RULES and n not in SWITCHES]


def parse(value: str | None) -> tuple[str, ...]:
    """``"a,b"`` → ``("a", "b")``; ``ValueError`` naming the unknown ones and the known."""
    names = tuple(n.strip() for n in (value or "").split(",") if n.strip())
    bad = unknown(names)
    if bad:
        raise ValueError(f"unknown ablation name(s) {', '.join(bad)}; known: {', '.join(known())}")
    return names


@contextmanager
def switched_off(names: tuple[str, ...]) -> Iterator[None]:
    """The named rules and switches off inside the block, everything back after it."""
    bad = unknown(names)
    if bad:
        raise ValueError(f"unknown ablation name(s) {', '.join(bad)}; known: {', '.join(known())}")
    saved: list[tuple[Any, str, Any]] = []
    old_env = os.environ.get(ABLATE_ENV)
    rules = [n for n in names if n in RULES]
    try:
        for name in names:
            for module_name, attr, replacement in SWITCHES.get(name, Switch("", ())).off:
                module = importlib.import_module(module_name)
                saved.append((module, attr, getattr(module, attr)))  # AttributeError if renamed
                setattr(module, attr, replacement)
        if rules:
            os.environ[ABLATE_ENV] = ",".join(filter(None, [old_env, *rules]))
        yield
    finally:
        for module, attr, value in reversed(saved):
            setattr(module, attr, value)
        if rules:
            if old_env is None:
                os.environ.pop(ABLATE_ENV, None)
            else:
                os.environ[ABLATE_ENV] = old_env


@dataclass(frozen=True)
class Ablated:
    """``predict_newsarchive`` with ``names`` off; picklable, for a worker pool."""

    names: tuple[str, ...]

    def __call__(self, html: bytes, url: str) -> dict:
        from crawler.cli.extract_cmd import predict_newsarchive

        with switched_off(self.names):
            return predict_newsarchive(html, url)


def _timed(function: Any, name: str, spent: dict[str, float]) -> Any:
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[name] += time.process_time() - start
    return timed


@contextmanager
def costs(names: tuple[str, ...]) -> Iterator[dict[str, float]]:
    """CPU seconds spent inside each named switch's entry points (inclusive: a part called
    from another counts in both), measured in this process while the block runs.  Switches
    that replace data rather than a function (``prune-xpath``: XPaths trafilatura applies)
    are not timed here."""
    spent: dict[str, float] = defaultdict(float)
    saved: list[tuple[Any, str, Any]] = []
    try:
        for name in names:
            for module_name, attr, _ in SWITCHES[name].off:
                module = importlib.import_module(module_name)
                original = getattr(module, attr)
                if hasattr(original, "extract_items"):  # an extruct extractor
                    wrapped: Any = SimpleNamespace(
                        extract_items=_timed(original.extract_items, name, spent))
                elif callable(original):
                    wrapped = _timed(original, name, spent)
                else:
                    continue
                saved.append((module, attr, original))
                setattr(module, attr, wrapped)
        yield spent
    finally:
        for module, attr, value in reversed(saved):
            setattr(module, attr, value)
