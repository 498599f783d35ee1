"""News fields the public dev sets do not label: section, tags, image caption, image credit and
modified, scored per field on a labelled set.

    python bench/news_fields.py [--shared ../shared] [--show-wrong] [--demo]

The set is 29 real pages from ``../shared/extraction-dev`` and ``../shared/metadata-dev``,
one per site, whose labels (never their text) are in ``tests/data/news_fields_truth.jsonl``.
They were labelled by a developer reading each page, in the same change as the extraction rules
for these fields: a tuning set, so its figures are optimistic for unseen sites.
``--held-out`` scores 10 more real pages (``tests/data/news_fields_heldout.jsonl``, one per
site, sites not among the 29) labelled from the pages before any extraction was run on them
and never used to write a rule: the figures to expect on unseen sites.
``--demo`` scores the local demo site's articles instead (``NewsTestSite().article_truth``:
three markup families, rendered in-process, no server), whose labels are the generator's own
values: they check the extractor reads what the demo writes, not that it generalises, and are
never mixed into the real-page figures.

What a label means (null or [] where the page has none):

* ``section``: the section the page places itself in: the visible breadcrumb item before the
  headline or section label; the declared article:section/articleSection where nothing is
  visible.  Compared case- and space-insensitively.
* ``tags``: the article's topic tags (visible tag links, else its article:tag/keywords),
  compared as a set, case-insensitively.
* ``image_caption``/``image_credit``: the lead image's caption without the credit, and the
  credit name without its label ("Photo:", "©"…); compared on letters and digits.
* ``modified``: the last-modified time the page declares, with its offset; the same instant
  (to the second) counts, a time without an offset never does.

Accuracy counts a page right when the value equals the label (null = null included).
A *false positive* is a value where the label is null/[]: counted separately, it is the
invention rate the quality test bounds.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "tests" / "data" / "news_fields_truth.jsonl"
HELD_OUT = ROOT / "tests" / "data" / "news_fields_heldout.jsonl"
FIELDS = ("section", "tags", "image_caption", "image_credit", "modified")
DEMO_ORIGIN = "http://news.test"


def fold(text: Any) -> str:
    text = unicodedata.normalize("NFKD", text if isinstance(text, str) else "")
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)  # 3.11 reads a trailing Z
    except ValueError:
        return None
    return parsed.replace(microsecond=0) if parsed.tzinfo is not None else None


def _empty(field: str, value: Any) -> bool:
    return value in (None, "", [])


def same(field: str, expected: Any, got: Any) -> bool:
    if _empty(field, expected) or _empty(field, got):
        return _empty(field, expected) and _empty(field, got)
    if field == "tags":
        return {fold(t) for t in expected} == {fold(t) for t in got}
    if field == "modified":
        want = _instant(expected)
        return want is not None and want == _instant(got)
    return fold(expected) == fold(got)


def fields_of(record: dict) -> dict[str, Any]:
    image = record.get("image") or {}
    return {"section": record.get("section"), "tags": record.get("tags") or [],
            "image_caption": image.get("caption"), "image_credit": image.get("credit"),
            "modified": record.get("modified")}


# ------------------------------------------------------------------ the labelled pages
def demo_pages() -> list[tuple[dict, bytes, str]]:
    """(labels, html, url) for every article the local test site emits."""
    sys.path.insert(0, str(ROOT))
    from crawler.demo.site import DemoSite
    from tests.servers.newssite import NewsTestSite

    site = NewsTestSite()
    out = []
    for truth in site.article_truth(DEMO_ORIGIN):
        path = truth["url"][len(DEMO_ORIGIN):]
        response = DemoSite.route(site, path, "", DEMO_ORIGIN)
        if response is None:
            response = site.article_response(site.query_article, DEMO_ORIGIN)
        image = truth.get("image") or {}
        labels = {"source": "demo", "id": path, "family": f"demo-{truth['family']}",
                  "section": truth["section"], "tags": truth["tags"],
                  "image_caption": image.get("caption"), "image_credit": image.get("credit"),
                  "modified": truth["modified"]}
        out.append((labels, response.body, truth["url"]))
    return out


def shared_pages(shared: Path, labels_file: Path = LABELS) -> list[tuple[dict, bytes, str]]:
    out = []
    truths: dict[str, dict[str, dict]] = {}
    for line in labels_file.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        labels = json.loads(line)
        folder = shared / labels["source"]
        if labels["source"] not in truths:
            rows = [json.loads(r) for r in (folder / "truth.jsonl").read_text(
                encoding="utf-8").splitlines() if r.strip()]
            truths[labels["source"]] = {str(r["id"]): r for r in rows}
        row = next(r for key, r in truths[labels["source"]].items()
                   if key.startswith(labels["id"]))
        page = folder / "pages" / (row.get("file") or f"{row['id']}.html")
        out.append((labels, page.read_bytes(), row["url"]))
    return out


# ------------------------------------------------------------------ scoring
def score(pages: list[tuple[dict, bytes, str]],
          extract: Callable[[bytes, str], dict]) -> tuple[dict[str, dict[str, float]], list[str]]:
    """Per field: accuracy, false positives (count and share of null labels), n."""
    right = dict.fromkeys(FIELDS, 0)
    false_pos = dict.fromkeys(FIELDS, 0)
    nulls = dict.fromkeys(FIELDS, 0)
    wrong: list[str] = []
    for labels, html, url in pages:
        got = fields_of(extract(html, url))
        for field in FIELDS:
            expected = labels[field]
            if same(field, expected, got[field]):
                right[field] += 1
            else:
                wrong.append(f"{labels['family']:26s} {field:13s} {got[field]!r:.90} "
                             f"!= {expected!r:.90}")
            if _empty(field, expected):
                nulls[field] += 1
                false_pos[field] += not _empty(field, got[field])
    n = len(pages)
    table = {field: {"accuracy": right[field] / n, "false_positives": false_pos[field],
                     "null_labels": nulls[field], "n": n} for field in FIELDS}
    return table, wrong


def extract_record(html: bytes, url: str) -> dict:
    from pipelines.extract import extract_page

    return extract_page(html, url).record


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--show-wrong", action="store_true")
    which = ap.add_mutually_exclusive_group()
    which.add_argument("--demo", action="store_true", help="the demo site's articles instead")
    which.add_argument("--held-out", action="store_true",
                       help="the 10 held-out real pages instead (labelled before measuring)")
    args = ap.parse_args(argv)
    if args.demo:
        pages = demo_pages()
    else:
        pages = shared_pages(args.shared, HELD_OUT if args.held_out else LABELS)
    families = {labels["family"] for labels, _, _ in pages}
    table, wrong = score(pages, extract_record)
    print(f"news fields: {len(pages)} pages, {len(families)} markup families")
    print(f"{'field':15s}{'accuracy':>10s}{'false pos':>11s}{'null labels':>13s}")
    for field, row in table.items():
        print(f"{field:15s}{row['accuracy']:>10.3f}{row['false_positives']:>11d}"
              f"{row['null_labels']:>13d}")
    if args.show_wrong:
        print("\n" + "\n".join(wrong))
    return 0


if __name__ == "__main__":
    sys.exit(main())
