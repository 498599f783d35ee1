"""Re-extraction throughput: ``reextract`` with N processes vs plain trafilatura in one.

    python bench/reextract.py [WARC_OR_DIR ...] [--processes N] [--copies K] [--json]
    python bench/reextract.py --pages ../shared/metadata-dev --copies 1   # real pages

Without inputs, the bundled demo site is crawled (``newsarchive demo``) and its HTML
responses are copied K times under distinct URLs into a bench WARC, so there is enough work
to measure.  Both sides read the same WARCs and count the same documents: the HTML 2xx
responses.  The baseline is the floor any re-extraction pays: FastWARC reading, gzip
decoding and ``trafilatura.extract`` alone; ``reextract`` adds structured data, bylines,
dates, images, page typing, record building and schema validation, spread over N processes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

# CPU seconds of the single-process runs: steadier than wall time on a shared machine
CPU: dict[str, float] = {}


def demo_warcs(work: Path) -> list[Path]:
    out = work / "demo"
    subprocess.run([sys.executable, "-m", "crawler", "demo", "--out", str(out)],
                   check=True, capture_output=True)
    return sorted(out.glob("warc/**/*.warc.gz"))


def amplify(warcs: list[Path], target: Path, copies: int) -> Path:
    """A WARC holding every HTML response of ``warcs`` ``copies`` times, under new URLs."""
    from warcio.archiveiterator import ArchiveIterator

    from archive.records import RecordFactory, gzip_member

    factory = RecordFactory()
    pages = []
    for warc in warcs:
        with open(warc, "rb") as f:
            for record in ArchiveIterator(f):
                if record.rec_type != "response":
                    continue
                if "html" not in (record.http_headers.get_header("Content-Type") or ""):
                    continue
                uri = record.rec_headers.get_header("WARC-Target-URI")
                block = record.http_headers.to_bytes() + record.raw_stream.read()
                pages.append((uri, block, len(record.http_headers.to_bytes())))
    with open(target, "wb") as out:
        out.write(gzip_member(factory.warcinfo(target.name, {"isPartOf": "bench"}).to_bytes()))
        for copy in range(copies):
            for uri, block, offset in pages:
                sep = "&" if "?" in uri else "?"
                record = factory.response(f"{uri}{sep}copy={copy}", block, offset)
                out.write(gzip_member(record.to_bytes()))
    return target


def pages_warc(folder: Path, target: Path, copies: int) -> Path:
    """A WARC of the saved pages of a dev folder (``truth.jsonl`` + ``pages/``), as 200
    text/html responses under their own URLs, ``copies`` times: real pages, read at bench
    time from ``../shared`` and never kept."""
    from archive.records import RecordFactory, gzip_member, http_block

    factory = RecordFactory()
    rows = [json.loads(line) for line in (folder / "truth.jsonl").open(encoding="utf-8")]
    with open(target, "wb") as out:
        out.write(gzip_member(factory.warcinfo(target.name, {"isPartOf": "bench"}).to_bytes()))
        for copy in range(copies):
            for row in rows:
                page = folder / "pages" / (row.get("file") or f"{row['id']}.html")
                block, offset = http_block(b"HTTP/1.1 200 OK",
                                           [b"Content-Type: text/html"], page.read_bytes())
                url = row["url"] + ("&" if "?" in row["url"] else "?") + f"copy={copy}"
                out.write(gzip_member(factory.response(url, block, offset).to_bytes()))
    return target


def baseline(warcs: list[Path]) -> tuple[int, float]:
    """Single process: FastWARC + gzip decoding + trafilatura.extract per HTML response."""
    import trafilatura
    from fastwarc.warc import ArchiveIterator, WarcRecordType
    from scrapy.utils.gz import gunzip

    started = time.perf_counter()
    cpu = time.process_time()
    docs = 0
    for warc in warcs:
        with open(warc, "rb") as f:
            for record in ArchiveIterator(f, record_types=WarcRecordType.response):
                http = record.http_headers
                if not 200 <= (http.status_code or 0) < 300:
                    continue
                if "html" not in (http.get("Content-Type") or "").lower():
                    continue
                body = record.reader.read()
                if "gzip" in (http.get("Content-Encoding") or "").lower():
                    body = gunzip(body)
                trafilatura.extract(body, url=record.headers.get("WARC-Target-URI"))
                docs += 1
    CPU["trafilatura"] = time.process_time() - cpu
    return docs, time.perf_counter() - started


def reextract_run(warcs: list[Path], processes: int) -> tuple[int, float, Counter[str]]:
    from archive.reextract import reextract
    from crawler.run import crawl_settings
    from pipelines.responses import ExtractSettings

    started = time.perf_counter()
    cpu = time.process_time()
    outcomes: Counter[str] = Counter(outcome.key for outcome in reextract(
        warcs, settings=ExtractSettings.from_settings(crawl_settings()), processes=processes))
    elapsed = time.perf_counter() - started
    if processes == 1:
        CPU["reextract"] = time.process_time() - cpu
    docs = sum(v for k, v in outcomes.items()
               if not k.startswith(("skipped/not_html", "skipped/status/")))
    return docs, elapsed, outcomes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("inputs", nargs="*", type=Path, help="WARC files or directories")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--copies", type=int, default=20,
                        help="copies of the demo pages when no inputs are given (default 20)")
    parser.add_argument("--pages", type=Path, metavar="DIR",
                        help="instead of the demo: the saved pages of a dev folder "
                             "(e.g. ../shared/metadata-dev), --copies times")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = parser.parse_args()

    from archive.layout import warc_files_among

    with tempfile.TemporaryDirectory(prefix="bench-reextract-") as tmp:
        if args.inputs:
            warcs = warc_files_among(args.inputs)
        elif args.pages:
            warcs = [pages_warc(args.pages, Path(tmp) / "bench-00000.warc.gz", args.copies)]
        else:
            work = Path(tmp)
            warcs = [amplify(demo_warcs(work), work / "bench-00000.warc.gz", args.copies)]
        base_docs, base_time = baseline(warcs)
        single_docs, single_time, _ = reextract_run(warcs, 1)
        docs, elapsed, counts = reextract_run(warcs, args.processes)

    result = {
        "documents": docs,
        "articles": counts["articles/extracted"],
        "trafilatura_1_process_docs_per_s": round(base_docs / base_time, 1),
        "reextract_1_process_docs_per_s": round(single_docs / single_time, 1),
        f"reextract_{args.processes}_processes_docs_per_s": round(docs / elapsed, 1),
        "speedup_vs_trafilatura": round((docs / elapsed) / (base_docs / base_time), 2),
        # per-document CPU cost: what N free cores would give is N x the ratio of these
        "trafilatura_cpu_ms_per_doc": round(1000 * CPU["trafilatura"] / base_docs, 1),
        "reextract_cpu_ms_per_doc": round(1000 * CPU["reextract"] / single_docs, 1),
        "processes": args.processes,
        "cpu_count": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 1),
    }
    if base_docs != docs:
        result["note"] = f"baseline counted {base_docs} documents, reextract {docs}"
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:40} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
