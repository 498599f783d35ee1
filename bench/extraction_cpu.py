"""CPU per page of the crawl workers' extraction, in-process, per page set.

    python bench/extraction_cpu.py                      # every set, 3 rounds, median ms/page
    python bench/extraction_cpu.py --sets synthetic,news-tune --rounds 5
    python bench/extraction_cpu.py --profile --sets synthetic   # top functions (cProfile)
    python bench/extraction_cpu.py --rounds 1 --dump /tmp/before
    python bench/extraction_cpu.py --rounds 1 --dump /tmp/after --compare /tmp/before
    python bench/extraction_cpu.py --against /tmp/old-checkout --rounds 9

``--against DIR`` times another checkout (the code before a change) beside this one: one
worker process each, rounds alternating between them, so both see the same load of a shared
machine; prints both medians and the median of the per-round ratios (new / old).

Each page goes through ``pipelines.responses.decide`` as the crawl's extraction workers call it:
a ``FetchedResponse`` of the raw bytes, headers and URL, with the crawl's default
``ExtractSettings``.  Sets: extraction-dev, metadata-dev, news-dev's tune half (``news-tune``),
its check half (``news-check``, never in the default sets: dumped for an equality count
only) and ``synthetic`` (``--synthetic N`` article pages of ``bench/synthetic_site``, served
gzipped as the crawl fetches them).  Time is CPU time (``time.process_time``), each round's
ms/page, the median round reported.

``--dump DIR`` writes, per set, every page's outcome as canonical JSON (sorted keys): the
``decide`` outcome (record, stats key, detail) and the full ``extract_page`` result (what
``newsarchive extract`` and the quality gate read).  ``--compare DIR`` counts pages whose
dump is byte-identical to that earlier dump and prints "N of N identical" per set, never a
page's content.
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHARED = ROOT.parent / "shared"
DEFAULT_SETS = ("extraction-dev", "metadata-dev", "news-tune", "synthetic")
ALL_SETS = (*DEFAULT_SETS, "news-check")
FETCHED_AT = "2025-01-01T00:00:00Z"
CRAWL_ID = "bench-extraction-cpu"
RECORD_ID = "<urn:uuid:00000000-0000-0000-0000-000000000000>"


@dataclass(frozen=True)
class Page:
    name: str
    url: str
    headers: list[tuple[str, str]]
    payload: bytes


def _dev_pages(folder: Path, keep=lambda row_id: True) -> list[Page]:
    pages = []
    for line in (folder / "truth.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        row_id = str(row["id"])
        if not keep(row_id):
            continue
        path = folder / "pages" / (row.get("file") or f"{row_id}.html")
        pages.append(Page(row_id, row.get("url") or "", [("Content-Type", "text/html")],
                          path.read_bytes()))
    return pages


def _check_ids(shared: Path) -> set[str]:
    return set((shared / "news-dev" / "check-ids.txt").read_text().split())


def synthetic_pages(count: int, seed: int = 1) -> list[Page]:
    """``count`` article pages of the benchmark site, gzipped as the site serves them."""
    from bench.synthetic_site import SiteGenerator

    with tempfile.TemporaryDirectory(prefix="bench-xcpu-") as tmp:
        site = SiteGenerator(Path(tmp), count, seed)
        site.generate()
        pages = []
        for article in site.articles:
            gz = Path(tmp) / article.path.lstrip("/") / "index.html.gz"
            pages.append(Page(str(article.id), f"http://127.0.0.1:8000{article.path}",
                              [("Content-Type", "text/html"), ("Content-Encoding", "gzip")],
                              gz.read_bytes()))
    return pages


def load_set(name: str, shared: Path, synthetic: int) -> list[Page]:
    if name == "synthetic":
        return synthetic_pages(synthetic)
    if name == "news-tune":
        check = _check_ids(shared)
        return _dev_pages(shared / "news-dev", lambda i: i not in check)
    if name == "news-check":
        check = _check_ids(shared)
        return _dev_pages(shared / "news-dev", lambda i: i in check)
    return _dev_pages(shared / name)


def fetched(page: Page):
    from pipelines.responses import FetchedResponse

    return FetchedResponse(url=page.url, date=FETCHED_AT, status=200, headers=page.headers,
                           payload=page.payload,
                           pointer={"key": "warc/bench/2025/01/01/bench-00000.warc.gz",
                                    "filename": "bench-00000.warc.gz", "offset": 0,
                                    "length": len(page.payload), "record_id": RECORD_ID,
                                    "payload_digest": None},
                           crawl_id=CRAWL_ID, site="bench")


def extract_settings():
    from crawler.run import crawl_settings
    from pipelines.responses import ExtractSettings

    return ExtractSettings.from_settings(crawl_settings())


def time_round(responses: list, settings) -> float:
    """CPU ms per page of one pass of ``decide`` over the set."""
    from pipelines.responses import decide

    start = time.process_time()
    for resp in responses:
        decide(resp, settings)
    return (time.process_time() - start) * 1000 / max(1, len(responses))


def canonical(page: Page, settings) -> str:
    """One line: the page's ``decide`` outcome and full ``extract_page`` result."""
    from pipelines.extract import extract_page
    from pipelines.responses import decide

    outcome = decide(fetched(page), settings)
    gzipped = ("Content-Encoding", "gzip") in page.headers
    headers = {k: v for k, v in page.headers if k != "Content-Encoding"}
    html = gzip.decompress(page.payload) if gzipped else page.payload
    full = extract_page(html, page.url, headers)
    doc = {"page": page.name, "decide": outcome._asdict(),
           "extract_page": {"record": full.record, "is_article": full.is_article,
                            "reason": full.reason}}
    return json.dumps(doc, sort_keys=True, ensure_ascii=False)


def dump(name: str, pages: list[Page], settings, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with (out / f"{name}.jsonl").open("w", encoding="utf-8") as f:
        for page in pages:
            f.write(canonical(page, settings) + "\n")


def compare(name: str, now: Path, before: Path) -> str:
    """"N of M identical" for one set: the count only, never what differs."""
    a = (before / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    b = (now / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    same = sum(x == y for x, y in zip(a, b))
    return f"{same} of {max(len(a), len(b))} identical"


def profile(responses: list, settings, top: int) -> None:
    from pipelines.responses import decide

    prof = cProfile.Profile()
    prof.enable()
    for resp in responses:
        decide(resp, settings)
    prof.disable()
    stats = pstats.Stats(prof, stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)


def serve(names: list[str], shared: Path, synthetic: int) -> int:
    """Worker of ``--against``: loads the sets, then times one round of each per input line
    and prints their CPU ms/page as one JSON list."""
    import pipelines.extract.preload  # noqa: F401

    settings = extract_settings()
    sets = [[fetched(p) for p in load_set(name, shared, synthetic)] for name in names]
    for responses in sets:
        time_round(responses, settings)  # warm-up
    print("ready", flush=True)
    for _ in sys.stdin:
        print(json.dumps([time_round(r, settings) for r in sets]), flush=True)
    return 0


def against(other: Path, names: list[str], shared: Path, synthetic: int, rounds: int) -> None:
    import subprocess

    def worker(root: Path) -> subprocess.Popen:
        env = {**os.environ, "PYTHONPATH": str(root)}
        proc = subprocess.Popen(
            [sys.executable, str(root / "bench" / "extraction_cpu.py"), "--serve",
             "--sets", ",".join(names), "--shared", str(shared), "--synthetic", str(synthetic)],
            cwd=root, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        return proc

    old, new = worker(other.resolve()), worker(ROOT)
    times: dict[str, list[list[float]]] = {"old": [], "new": []}
    try:
        for i in range(rounds):
            for label, proc in (("old", old), ("new", new)) if i % 2 == 0 else \
                    (("new", new), ("old", old)):
                proc.stdin.write("round\n")
                proc.stdin.flush()
                times[label].append(json.loads(proc.stdout.readline()))
    finally:
        for proc in (old, new):
            proc.stdin.close()
            proc.wait()
    for k, name in enumerate(names):
        o = [r[k] for r in times["old"]]
        n = [r[k] for r in times["new"]]
        ratio = statistics.median(b / a for a, b in zip(o, n))
        print(f"{name:15} old {statistics.median(o):7.2f}  new {statistics.median(n):7.2f} "
              f"CPU ms/page (medians of {rounds})  new/old {ratio:.3f}", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sets", default=",".join(DEFAULT_SETS),
                    help=f"comma-separated, of {', '.join(ALL_SETS)}")
    ap.add_argument("--shared", type=Path, default=SHARED)
    ap.add_argument("--synthetic", type=int, default=200, help="synthetic article pages")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--profile", action="store_true", help="cProfile one pass per set instead")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--dump", type=Path, metavar="DIR", help="write canonical outcomes here")
    ap.add_argument("--compare", type=Path, metavar="DIR",
                    help="count pages identical to an earlier --dump (needs --dump)")
    ap.add_argument("--against", type=Path, metavar="CHECKOUT",
                    help="time this other checkout beside this one, alternating rounds")
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    names = [n for n in args.sets.split(",") if n]
    unknown = sorted(set(names) - set(ALL_SETS))
    if unknown or (args.compare and not args.dump):
        ap.error(f"unknown sets {unknown}" if unknown else "--compare needs --dump")

    if args.serve:
        return serve(names, args.shared, args.synthetic)
    if args.against:
        against(args.against, names, args.shared, args.synthetic, args.rounds)
        return 0
    import pipelines.extract.preload  # noqa: F401  (as the crawl does before its workers fork)

    settings = extract_settings()
    for name in names:
        pages = load_set(name, args.shared, args.synthetic)
        responses = [fetched(p) for p in pages]
        if args.profile:
            print(f"== {name}: {len(pages)} pages")
            profile(responses, settings, args.top)
            continue
        if args.rounds:
            time_round(responses, settings)  # warm-up: lazy imports and caches, not timed
        rounds = [time_round(responses, settings) for _ in range(args.rounds)]
        line = f"{name:15} {len(pages):4} pages"
        if rounds:
            line += (f"  median {statistics.median(rounds):7.2f} CPU ms/page"
                     f"  (rounds: {', '.join(f'{r:.2f}' for r in rounds)})")
        if args.dump:
            dump(name, pages, settings, args.dump)
            if args.compare:
                line += f"  {compare(name, args.dump, args.compare)}"
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
