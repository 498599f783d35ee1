"""`newsarchive extract`: the record for one saved page, or predictions for a dev folder.

    newsarchive extract PAGE.html [--url URL] [--force]
    newsarchive extract --from-truth DIR -o preds.jsonl [--processes N]

A dev folder holds ``truth.jsonl`` (one object per page with ``id``, ``url`` and optionally
``file``) and ``pages/``; one prediction line is written per truth line: ``id``,
``articleBody`` (our text) and the record fields — the format both dev scorers read.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Callable, Iterator
from multiprocessing import get_context
from pathlib import Path

Predictor = Callable[[bytes, str], dict]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "extract",
        help="print the article record for a saved page (or predictions for a dev folder)",
        description="Extract the JSONL record from a saved HTML page.",
    )
    parser.add_argument("page", nargs="?", type=Path, help="saved HTML page")
    parser.add_argument("--url", help="the page's URL (default: file:// URL of PAGE)")
    parser.add_argument("--from-truth", type=Path, metavar="DIR",
                        help="folder with truth.jsonl and pages/: write one prediction per line")
    parser.add_argument("-o", "--output", type=Path,
                        help="predictions file (with --from-truth); - for standard output")
    parser.add_argument("--force", action="store_true",
                        help="print the fields read from PAGE even when it is not an article")
    parser.add_argument("--processes", type=int, default=1,
                        help="worker processes for --from-truth (default 1)")
    parser.set_defaults(func=run)


def predict_newsarchive(html: bytes, url: str) -> dict:
    from pipelines.extract import extract_page

    result = extract_page(html, url)
    prediction = dict(result.record)
    prediction["is_article"] = result.is_article
    prediction["reason"] = result.reason
    return prediction


def read_truth(folder: Path) -> list[dict]:
    with (folder / "truth.jsonl").open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def page_path(folder: Path, row: dict) -> Path:
    return folder / "pages" / (row.get("file") or f"{row['id']}.html")


def _predict_one(job: tuple[Predictor, str, str, str]) -> tuple[dict, float]:
    predictor, page, url, row_id = job
    html = Path(page).read_bytes()
    start = time.process_time()  # CPU time: fair when other work shares the machine
    prediction = predictor(html, url)
    elapsed = time.process_time() - start
    out = {"id": row_id, "articleBody": prediction.get("text") or ""}
    out.update(prediction)
    return out, elapsed


def predict_folder(folder: Path, predictor: Predictor = predict_newsarchive,
                   processes: int = 1, ids: set[str] | None = None,
                   fresh: bool = False) -> Iterator[tuple[dict, float]]:
    """Yield ``(prediction, CPU seconds spent extracting)`` in truth order; ``fresh``: in new
    worker processes even for one (no cache of an earlier run in this process helps)."""
    rows = [r for r in read_truth(folder) if ids is None or str(r["id"]) in ids]
    jobs = [(predictor, str(page_path(folder, r)), r.get("url") or "", str(r["id"])) for r in rows]
    import pipelines.extract.preload  # noqa: F401  (once, before the workers fork: they start warm)

    if processes > 1 or fresh:
        with get_context("fork").Pool(processes) as pool:
            yield from pool.imap(_predict_one, jobs, chunksize=2)
    else:
        yield from map(_predict_one, jobs)


def _fail(message: str) -> int:
    print(f"newsarchive extract: error: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    if args.from_truth is not None:
        folder = args.from_truth
        if not (folder / "truth.jsonl").is_file():
            return _fail(f"{folder}: no truth.jsonl there")
        if not (folder / "pages").is_dir():
            return _fail(f"{folder}: no pages/ folder there")
        if args.output is None:
            return _fail("--from-truth needs -o FILE for the predictions")
        missing = [str(page_path(folder, r)) for r in read_truth(folder)
                   if not page_path(folder, r).is_file()]
        if missing:
            return _fail(f"{len(missing)} page(s) listed in truth.jsonl are missing, "
                         f"first: {missing[0]}")
        to_stdout = str(args.output) == "-"
        count = 0
        with (contextlib.nullcontext(sys.stdout) if to_stdout
              else args.output.open("w", encoding="utf-8")) as out:
            for prediction, _ in predict_folder(folder, processes=max(1, args.processes)):
                out.write(json.dumps(prediction, ensure_ascii=False) + "\n")
                count += 1
        print(f"wrote {count} predictions to {'standard output' if to_stdout else args.output}",
              file=sys.stderr)
        return 0
    if args.page is None:
        return _fail("give a saved PAGE.html or --from-truth DIR")
    if not args.page.is_file():
        return _fail(f"{args.page}: no such file")
    from pipelines.extract import extract_page

    url = args.url or args.page.resolve().as_uri()
    result = extract_page(args.page.read_bytes(), url)
    if not result.is_article:
        # Its record would not pass the article schema: not printed unless asked for.
        print(f"newsarchive extract: {args.page}: not an article: {result.reason}"
              + ("" if args.force else " (--force prints the fields read anyway)"),
              file=sys.stderr)
        if not args.force:
            return 1
    print(json.dumps(result.record, ensure_ascii=False))
    return 0 if result.is_article else 1
