"""`newsarchive reextract`: article JSONL rebuilt from WARC files, no network.

    newsarchive reextract WARC_OR_DIR... -o FILE.jsonl[.gz] [--processes N]

Directories are searched for ``*.warc.gz`` / ``*.warc``.  Records are written in archive
order, with the crawl's key order, one JSON object per line (gzip when the name ends .gz).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import IO

from archive.layout import part_path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "reextract",
        help="rebuild article JSONL from WARC files (no network)",
        description="Rebuild article records from archived responses, as the crawl made them.",
    )
    parser.add_argument("inputs", nargs="+", type=Path, metavar="WARC_OR_DIR")
    parser.add_argument("-o", "--output", type=Path, required=True,
                        help="output JSONL file (.jsonl or .jsonl.gz); - for standard output")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1,
                        help="extraction processes (default: one per core)")
    parser.add_argument("--reader", choices=["auto", "fastwarc", "warcio"], default="auto",
                        help=argparse.SUPPRESS)
    parser.set_defaults(func=run)


def _open_output(path: Path, compressed: bool) -> IO[str]:
    if compressed:
        return gzip.open(path, "wt", encoding="utf-8", compresslevel=6)
    return open(path, "w", encoding="utf-8")


def run(args: argparse.Namespace) -> int:
    from archive.layout import warc_files_among
    from archive.reextract import reextract
    from crawler.run import crawl_settings
    from pipelines.responses import ExtractSettings
    from pipelines.export import RECORD_FIELDS

    missing = [str(p) for p in args.inputs if not p.exists()]
    if missing:
        print(f"newsarchive reextract: no such file or directory: {', '.join(missing)}",
              file=sys.stderr)
        return 2
    if args.processes < 1:
        print("newsarchive reextract: --processes must be at least 1", file=sys.stderr)
        return 2
    paths = warc_files_among(args.inputs)
    if not paths:
        print("newsarchive reextract: no WARC files (*.warc.gz, *.warc) in "
              f"{', '.join(map(str, args.inputs))}", file=sys.stderr)
        return 2

    settings = ExtractSettings.from_settings(crawl_settings())
    started = time.monotonic()
    counts: Counter[str] = Counter()
    lost: list[str] = []

    def write_records(out: IO[str]) -> None:
        for record, key, _ in reextract(paths, settings=settings, processes=args.processes,
                                     reader=args.reader, counts=counts, lost=lost):
            counts[key] += 1
            if record is not None:
                ordered = {name: record.get(name) for name in RECORD_FIELDS}
                out.write(json.dumps(ordered, ensure_ascii=False) + "\n")

    if str(args.output) == "-":
        write_records(sys.stdout)
        sys.stdout.flush()
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        partial = part_path(args.output)
        try:
            with _open_output(partial, args.output.name.endswith(".gz")) as out:
                write_records(out)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        os.replace(partial, args.output)

    elapsed = time.monotonic() - started
    print(summary(counts, len(paths), elapsed, args.output, lost), file=sys.stderr)
    problems = sum(counts[key] for key in LOSSES)
    return 1 if problems else 0


#: What makes a run exit 1: records that were there and did not become output.
LOSSES = ("articles/extract_failed", "articles/dropped/invalid_record", "revisits/unresolved",
          "revisits/unreadable", "records/unreadable")
MAX_LOST_NAMED = 20


def summary(counts: Counter[str], files: int, elapsed: float, output: Path,
            lost: list[str] | None = None) -> str:
    def total(prefix: str) -> int:
        return sum(v for k, v in counts.items() if k.startswith(prefix))

    responses = counts["records/response"] + counts["revisits/resolved"]
    articles = counts["articles/extracted"]
    lines = [
        (
            f"{files} WARC files, {responses} responses, {articles} articles, "
            f"{total('pages/non_articles/')} non-articles, {total('skipped/')} skipped, "
            f"{counts['articles/extract_failed']} failed in {elapsed:.1f}s "
            f"({articles / elapsed if elapsed else 0:.1f} articles/s)"
        ),
    ]
    if counts["records/revisit"]:
        lines.append(f"revisits: {counts['revisits/resolved']} resolved, "
                     f"{counts['revisits/unresolved']} without their original among the inputs")
    if counts["articles/dropped/invalid_record"]:
        lines.append(f"{counts['articles/dropped/invalid_record']} records failed the schema")
    if lost:
        lines.append(f"LOST: {len(lost)} unreadable span(s) of the WARCs, their records not "
                     "extracted:")
        lines += [f"  {what}" for what in lost[:MAX_LOST_NAMED]]
        if len(lost) > MAX_LOST_NAMED:
            lines.append(f"  … and {len(lost) - MAX_LOST_NAMED} more (each logged as a warning)")
    lines.append(f"jsonl    {'standard output' if str(output) == '-' else output}")
    return "\n".join(lines)
