"""How much of news-dev's truth is printed in the page at all: an honest ceiling per field.

    python bench/news_ceiling.py [--shared ../shared] [--list-tune FIELD]

For each field of the table ``FIELDS`` (a gold getter and a presence test), the share of the
pages with a gold value whose value occurs in the saved HTML — its text, its attributes or its
JSON-LD, compared on letters and digits only, after HTML entities and JSON ``\\uXXXX`` escapes
are decoded.  A gold value that occurs nowhere cannot be extracted, whatever the rules.

The tune half (pages not in ``check-ids.txt``) and the check half are printed as ONE aggregate
line each ("in text": of the printed ones, how many in the visible text rather than only in
an attribute or the JSON-LD); ``--list-tune FIELD`` lists the unreachable tune pages of that field (id and gold),
never a check page.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import lxml.html

ROOT = Path(__file__).resolve().parents[1]


def squash(text: str) -> str:
    """Letters and digits only, case-folded: news-dev/score.py's comparison."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def cover_image(row: dict) -> dict | None:
    """The image score.py scores: the cover image, else the first one."""
    images = row.get("images") or []
    return next((i for i in images if i.get("is_cover")), images[0] if images else None)


def credit_gold(row: dict) -> list[str]:
    cover = cover_image(row)
    return [c for c in (cover or {}).get("credits") or [] if squash(c)]


def caption_gold(row: dict) -> list[str]:
    cover = cover_image(row)
    caption = (cover or {}).get("caption")
    return [caption] if caption and squash(caption) else []


@dataclass(frozen=True)
class Page:
    """A saved page in the forms a printed value can take, squashed."""

    markup: str  # entities and JSON escapes decoded: attributes and JSON-LD included
    text: str    # the text content, so "<abbr>DCV</abbr> / Jane Doe" reads as printed

    @classmethod
    def read(cls, path: Path) -> "Page":
        raw = path.read_bytes().decode("utf-8", "replace")
        decoded = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), raw)
        decoded = html.unescape(decoded)
        text = lxml.html.fromstring(raw.encode("utf-8")).text_content() if raw.strip() else ""
        return cls(squash(decoded), squash(text))

    def prints(self, value: str) -> bool:
        key = squash(value)
        return bool(key) and (key in self.markup or key in self.text)


def any_printed(page: Page, gold: list[str]) -> bool:
    return any(page.prints(g) for g in gold)


@dataclass(frozen=True)
class Field:
    gold: Callable[[dict], list[str]]            # the truth values of a page ([] = none)
    present: Callable[[Page, list[str]], bool]   # is one of them printed in the page


# Field → gold getter and presence test; a field of another part (bylines, dates, tags) is
# one more row here.
FIELDS: dict[str, Field] = {
    "credit": Field(credit_gold, any_printed),
    "caption": Field(caption_gold, any_printed),
}


def ceiling(folder: Path, ids: set[str], field: Field) -> tuple[int, int, int, list[tuple[str, list[str]]]]:
    """(pages with a gold value, pages where it is printed, where it is in the text, the
    unreachable (id, gold))."""
    with_gold = reachable = in_text = 0
    missing: list[tuple[str, list[str]]] = []
    for line in (folder / "truth.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if row["id"] not in ids:
            continue
        gold = field.gold(row)
        if not gold:
            continue
        with_gold += 1
        page = Page.read(folder / "pages" / (row.get("file") or f"{row['id']}.html"))
        if field.present(page, gold):
            reachable += 1
            in_text += field.present(Page(markup="", text=page.text), gold)
        else:
            missing.append((row["id"], gold))
    return with_gold, reachable, in_text, missing


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--list-tune", choices=list(FIELDS),
                    help="also list the tune pages whose gold value of FIELD is not printed")
    args = ap.parse_args(argv)
    folder = args.shared / "news-dev"
    check = set((folder / "check-ids.txt").read_text().split())
    every = {json.loads(line)["id"] for line in (folder / "truth.jsonl").read_text(
        encoding="utf-8").splitlines() if line.strip()}
    halves = {"tune": every - check, "check": every & check}
    print(f"{'field':10s} {'half':6s} {'with gold':>10s} {'printed':>8s} {'ceiling':>8s}"
          f" {'in text':>8s}")
    for name, field in FIELDS.items():
        for half, ids in halves.items():
            n, ok, in_text, missing = ceiling(folder, ids, field)
            print(f"{name:10s} {half:6s} {n:10d} {ok:8d} {ok / max(1, n):8.3f} {in_text:8d}")
            if half == "tune" and args.list_tune == name:
                for pid, gold in missing:
                    print(f"    unreachable {pid}: {gold}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
