"""How much of news-dev's authors and publication instants the saved HTML can give at all.

    python bench/news_ceiling_bylines.py [--shared ../shared] [--preds ours.jsonl]

Per page, whether the truth is *reachable* from the page:

* authors: every expected name occurs in the page, compared on letters and digits —
  ``printed`` (in the body's visible text), else ``declared`` (only in the markup: JSON-LD,
  metas, attributes), else ``absent``;
* published instant: the truth has an offset (``no-offset`` otherwise: score.py never counts
  such a page right) and the page ``declares`` that instant (a schema.org date, a date meta,
  a ``<time datetime>``, read with zone abbreviations such as "CEST" as offsets), else
  ``printed``: its wall-clock time in that offset is printed and a declared or printed value
  falls on that day, else ``absent``.

The tune half (pages not in ``check-ids.txt``) is listed per page where a field is missed
or unreachable; the check half is only ever counted as a whole, one line per field.
``--preds`` (a prediction file of ``bench/news_dev.py --save``) adds how many pages the
extractor gets right, so that ceiling − right is what rules could still win.
"""

from __future__ import annotations

import argparse
import html
import json
import sys
import warnings
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType

from dateutil import parser as dateutil_parser

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.cli.extract_cmd import page_path, read_truth  # noqa: E402
from bench.news_dev import load_scorer  # noqa: E402
from pipelines.extract.bylines.page_text import _page_text  # noqa: E402
from pipelines.extract.dates import _declared_raw  # noqa: E402
from pipelines.extract.record import parse_html  # noqa: E402
from pipelines.extract.structured import read_structured  # noqa: E402
from pipelines.extract.text_utils import fold  # noqa: E402

# Zone abbreviations a page may write after a declared time; enough to tell whether the
# instant is there, not a parser for the extractor.
_ZONES = {name: timezone(timedelta(hours=hours)) for name, hours in {
    "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 1, "BST": 1, "CET": 1, "CEST": 2, "MEZ": 1,
    "MESZ": 2, "EET": 2, "EEST": 3, "MSK": 3, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5,
    "MST": -7, "MDT": -6, "PST": -8, "PDT": -7, "JST": 9, "KST": 9, "HKT": 8, "SGT": 8,
    "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13}.items()}



def _aware(raw: str) -> datetime | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = dateutil_parser.parse(raw.strip(), tzinfos=_ZONES)
    except (ValueError, OverflowError, TypeError):
        return None
    return value if value.tzinfo is not None else None


def _day_of(raw: str) -> str | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return dateutil_parser.parse(raw.strip(), tzinfos=_ZONES).date().isoformat()
    except (ValueError, OverflowError, TypeError):
        return None


def _clock_forms(local: datetime) -> list[str]:
    """How a page may print this wall-clock time, as space-separated words (``_page_text``)."""
    h12 = local.hour % 12 or 12
    half = "am" if local.hour < 12 else "pm"
    return [f" {local.hour:02d} {local.minute:02d} ", f" {local.hour} {local.minute:02d} ",
            f" {h12} {local.minute:02d} {half} "]


def author_reach(gold: list[str], markup: str, text: str) -> str:
    keys = [fold(name) for name in gold]
    squashed_text = fold(text)
    if all(k and k in squashed_text for k in keys):
        return "printed"
    if all(k and k in fold(markup) for k in keys):
        return "declared"
    return "absent"


def instant_reach(gold_raw: str, scorer: ModuleType, tree, data, text: str) -> str:
    gold, _ = scorer.parse_time(gold_raw)
    if gold is None:
        return "no-date"
    if gold.tzinfo is None:
        return "no-offset"
    declared = [raw for raw in _declared_raw(tree, data) if raw]
    for raw in declared:
        value = _aware(raw)
        if value is not None and value.utcoffset() == gold.utcoffset() \
                and abs((value - gold).total_seconds()) <= 60:
            return "declared"
    day = gold.date().isoformat()
    on_day = any(_day_of(raw) == day for raw in declared) or day in text.replace(" ", "-")
    if on_day and any(form in text for form in _clock_forms(gold)):
        return "printed"
    return "absent"


def _right(scorer: ModuleType, truth: dict, pred: dict | None) -> tuple[bool, bool]:
    if pred is None:
        return False, False
    gold = {scorer.norm(x) for x in truth.get("authors") or [] if scorer.norm(x)}
    got = {scorer.norm(x) for x in pred.get("authors") or [] if scorer.norm(x)}
    gd, _ = scorer.parse_time(truth.get("published"))
    pd, p_time = scorer.parse_time(pred.get("published"))
    instant = bool(gd is not None and gd.tzinfo is not None and pd is not None and p_time
                   and abs(((pd if pd.tzinfo else pd.replace(tzinfo=timezone.utc)) - gd)
                           .total_seconds()) <= 60)
    return got == gold, instant


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--preds", type=Path, help="predictions (bench/news_dev.py --save)")
    args = ap.parse_args(argv)
    folder = args.shared / "news-dev"
    scorer = load_scorer(folder)
    check = set((folder / "check-ids.txt").read_text().split())
    preds: dict[str, dict] = {}
    if args.preds:
        for line in args.preds.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            preds[str(row["id"])] = row

    counts = {half: Counter() for half in ("tune", "check")}
    listed: list[str] = []
    for row in read_truth(folder):
        half = "check" if row["id"] in check else "tune"
        raw = page_path(folder, row).read_bytes().decode("utf-8", "replace")
        tree = parse_html(raw)
        if tree is None:
            continue
        data = read_structured(tree, row.get("url") or "")
        text = _page_text(tree)
        markup = html.unescape(raw)
        right_authors, right_instant = _right(scorer, row, preds.get(str(row["id"])))
        c = counts[half]
        if row.get("authors"):
            reach = author_reach(row["authors"], markup, text)
            c["authors"] += 1
            c[f"authors {reach}"] += 1
            c["authors right"] += right_authors
            if half == "tune" and (reach == "absent" or (args.preds and not right_authors)):
                listed.append(f"  authors  {row['id']} {row['publisher']:18s} {reach}")
        if row.get("published"):
            reach = instant_reach(row["published"], scorer, tree, data, text)
            c["instant"] += 1
            c[f"instant {reach}"] += 1
            c["instant right"] += right_instant
            if half == "tune" and (reach not in ("declared", "printed")
                                   or (args.preds and not right_instant)):
                listed.append(f"  instant  {row['id']} {row['publisher']:18s} {reach}")

    for half in ("tune", "check"):
        c = counts[half]
        print(f"{half} half")
        for field, reachable in (("authors", ("printed", "declared")),
                                 ("instant", ("declared", "printed"))):
            n = c[field]
            ceiling = sum(c[f"{field} {r}"] for r in reachable)
            parts = ", ".join(f"{k.split(' ', 1)[1]} {v}" for k, v in sorted(c.items())
                              if k.startswith(field + " ") and k != f"{field} right")
            line = (f"  {field:8s} pages {n}: reachable {ceiling} "
                    f"(ceiling {ceiling / max(1, n):.3f}; {parts})")
            if args.preds:
                line += f"; right {c[field + ' right']} ({c[field + ' right'] / max(1, n):.3f})"
            print(line)
        if half == "tune" and listed:
            print("tune pages missed or unreachable (field, id, publisher, reach):")
            print("\n".join(listed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
