"""Browser capture throughput: article pages per minute with ``render: true`` vs a plain crawl.

    python bench/render.py                       # 30 articles, 4 pages open, 1 run each
    python bench/render.py --articles 60 --pages 8 --runs 3

The site is the tests' JavaScript-built news site (``tests/servers/rendered.py``: every
article a skeleton whose text a script fetches as JSON, plus a stylesheet, an image and the
script), served on 127.0.0.1.  Each run is the ``newsarchive crawl`` command; the figures:

* pages/min: article pages / wall time of the whole command (browser start-up included);
* exchanges/page: browser exchanges archived per article page (request + response each);
* CPU-s/page: user+sys of the process tree (Chromium included) per article page.

A plain crawl of the same site fetches the same article pages without running their
scripts (and so gets no text): the price of the browser is the ratio of the two.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawler.demo.server import DemoServer  # noqa: E402
from tests.servers.rendered import RenderedNewsSite  # noqa: E402


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one_run(server: DemoServer, site: RenderedNewsSite, render: bool, pages: int,
            work: Path) -> dict[str, float]:
    config = work / f"site-{render}.yaml"
    out = work / f"out-{render}-{time.monotonic_ns()}"
    config.write_text(yaml.safe_dump(site.site_config(server.base_url, render=render,
                                                      concurrency=pages)), "utf-8")
    cpu, started = children_cpu(), time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "crawler", "crawl", str(config), "--out", str(out),
         "-s", f"NEWSARCHIVE_RENDER_MAX_PAGES={pages}", "-s", "WARC_DEDUP=false"],
        capture_output=True, text=True, timeout=3600, check=False)
    wall, cpu = time.monotonic() - started, children_cpu() - cpu
    if proc.returncode != 0:
        raise SystemExit(f"crawl failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    manifest = json.loads(next(out.glob("crawls/*.json")).read_text("utf-8"))
    articles = len(site.slugs)
    return {
        "pages/min": articles / wall * 60,
        "wall s": wall,
        "CPU-s/page": cpu / articles,
        "records": float(manifest.get("counts", {}).get("warc_records", 0)),
        "articles": float(manifest.get("counts", {}).get("articles", 0)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=30)
    parser.add_argument("--pages", type=int, default=4, help="pages open in the browser at once")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    site = RenderedNewsSite(articles=args.articles)
    results: dict[str, list[dict[str, float]]] = {"render": [], "plain": []}
    with tempfile.TemporaryDirectory(prefix="bench-render-") as tmp, DemoServer(site) as server:
        for _ in range(args.runs):
            for mode in ("render", "plain"):
                results[mode].append(one_run(server, site, mode == "render", args.pages,
                                             Path(tmp)))
    print(f"{args.articles} JavaScript-built articles, {args.pages} pages open at once, "
          f"median of {args.runs} run(s)")
    print(f"{'mode':8} {'pages/min':>10} {'wall s':>8} {'CPU-s/page':>11} {'WARC records':>13} "
          f"{'records':>8}")
    for mode, runs in results.items():
        med = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        print(f"{mode:8} {med['pages/min']:10.1f} {med['wall s']:8.1f} {med['CPU-s/page']:11.2f} "
              f"{med['records']:13.0f} {med['articles']:8.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
