"""How far tags can go on news-dev: where each page's expected topics are in its HTML.

    python bench/news_ceiling_tags.py [--shared ../shared] [--pages]

For every page whose truth lists topics, the topics are looked for (case- and space-folded,
entities decoded) in the forms a page declares or shows a topic list:

- ``article:tag``, ``schema keywords`` (any JSON-LD/microdata node), ``news_keywords``,
  ``meta keywords``, ``other meta`` (any other ``<meta>`` whose name says tag/keyword/topic:
  ``parsely-tags``, ``sailthru.tags``, ``cXenseParse:…tags`` …), each split at , ; |;
- ``topic links``: the article's list of links to topic pages as the extractor finds it;
  ``any link``: the text of any ``<a>`` of the page;
- ``script data``: a quoted string in a non-JSON-LD ``<script>`` (``dataLayer``,
  ``utag_data``, a CMS state blob);
- ``anywhere``: the decoded markup contains it.

Printed per half: the share of expected topics found in each form; ``best one list``: the
mean set-F1 of the best single declared or visible list of each page (what a perfect choice
of source would score without editing any list); ours. The tune half also lists its pages
with ``--pages``; the check half is only ever printed as a whole.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.news_dev import load_scorer  # noqa: E402
from pipelines.extract import extract  # noqa: E402
from pipelines.extract.decode import decode_html  # noqa: E402
from pipelines.extract.record import parse_html  # noqa: E402
from pipelines.extract.sections import _topic_list  # noqa: E402
from pipelines.extract.structured import Structured, read_structured  # noqa: E402

FORMS = ("article:tag", "schema keywords", "news_keywords", "meta keywords", "other meta",
         "topic links", "any link", "script data", "anywhere")
LISTS = FORMS[:6]  # the forms that are one list a page declares or shows
_OTHER_META = re.compile(r"tag|keyword|topic", re.IGNORECASE)
_QUOTED = re.compile(r"""["']([^"'\\]{1,80})["']""")



def _split(value: object) -> list[str]:
    if isinstance(value, list):
        return [x for item in value
                for x in ([item] if isinstance(item, str) else _split(item))]
    if isinstance(value, str):
        return [part for part in re.split(r"[,;|]", value) if part.strip()]
    return []


def _article_tags(data: Structured) -> list[str]:
    """One value a tag; a single value with commas is a list (as the extractor reads it)."""
    tags = list(dict.fromkeys(data.og.get("article:tag", []) + data.all_meta("article:tag")))
    return _split(tags[0]) if len(tags) == 1 else tags


def _keywords(data: Structured) -> Iterator[str]:
    for node in data.nodes():
        yield from _split(node.get("keywords"))


def page_lists(markup: str, url: str) -> dict[str, list[str]]:
    """Each form's list of candidate strings (raw, not yet folded)."""
    tree = parse_html(markup)
    if tree is None:
        return {form: [] for form in FORMS}
    data = read_structured(tree, url)
    named = ("article:tag", "news_keywords", "keywords")
    other = [value for name, values in data.meta.items()
             if _OTHER_META.search(name) and name not in named
             for v in values for value in _split(v)]
    scripts = [s.text or "" for s in tree.iter("script")
               if (s.get("type") or "").strip().lower() != "application/ld+json"]
    return {
        "article:tag": _article_tags(data),
        "schema keywords": list(_keywords(data)),
        "news_keywords": [v for m in data.all_meta("news_keywords") for v in _split(m)],
        "meta keywords": [v for m in data.all_meta("keywords") for v in _split(m)],
        "other meta": other,
        "topic links": _topic_list(tree),
        "any link": [a.text_content() for a in tree.iter("a")],
        "script data": [q for text in scripts for q in _QUOTED.findall(text)],
    }


def _f1(gold: set[str], got: set[str]) -> float:
    tp = len(gold & got)
    return 2 * tp / (len(gold) + len(got)) if tp else 0.0


def measure(folder: Path) -> dict[str, list[dict]]:
    scorer = load_scorer(folder)

    def fold(text: str) -> str:
        return scorer.norm(html.unescape(text))

    check = set((folder / "check-ids.txt").read_text().split())
    halves: dict[str, list[dict]] = {"tune": [], "check": []}
    for line in (folder / "truth.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if not row.get("topics"):
            continue
        raw = (folder / "pages" / (row.get("file") or f"{row['id']}.html")).read_bytes()
        markup = decode_html(raw, None)
        gold = {fold(t) for t in row["topics"]}
        lists = {form: {fold(v) for v in values if fold(v)}
                 for form, values in page_lists(markup, row["url"]).items()}
        everywhere = fold(markup)
        found = {form: len(gold & lists[form]) / len(gold) for form in FORMS[:-1]}
        found["anywhere"] = sum(g in everywhere for g in gold) / len(gold)
        best = max(LISTS, key=lambda form: _f1(gold, lists[form]))
        ours = {fold(t) for t in extract(raw, row["url"]).get("tags") or []}
        halves["check" if row["id"] in check else "tune"].append({
            "id": row["id"], "publisher": row["publisher"], "found": found,
            "best": best, "best_f1": _f1(gold, lists[best]), "ours": _f1(gold, ours)})
    return halves


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--pages", action="store_true", help="also list the tune half's pages")
    args = ap.parse_args(argv)
    folder = args.shared / "news-dev"
    if not (folder / "check-ids.txt").is_file():
        print(f"bench: {folder}/check-ids.txt not found", file=sys.stderr)
        return 2
    halves = measure(folder)
    for half, rows in halves.items():
        n = len(rows)
        print(f"\n{half} half: {n} pages with topics")
        for form in FORMS:
            share = sum(r["found"][form] for r in rows) / n
            print(f"  topics found in {form:18s} {share:.3f}")
        print(f"  best one list, set-F1            {sum(r['best_f1'] for r in rows) / n:.3f}")
        print(f"  ours, set-F1                     {sum(r['ours'] for r in rows) / n:.3f}")
    if args.pages:
        print("\ntune pages: ours / best one list (its form) / share found anywhere")
        for r in sorted(halves["tune"], key=lambda r: r["ours"] - r["best_f1"]):
            print(f"  {r['id']} {r['publisher'][:18]:18s} {r['ours']:.2f} / {r['best_f1']:.2f} "
                  f"({r['best']}) / {r['found']['anywhere']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
