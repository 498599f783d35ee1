"""Crawl throughput, CPU and memory: wget vs newsarchive (archive-only and full pipeline).

    python bench/crawl.py                                  # 2,000 articles, 3 alternating runs each
    python bench/crawl.py --articles 2000 20000 --runs 1   # + memory growth from 2,000 to 20,000
    python bench/crawl.py --variant gz1:WARC_GZIP_LEVEL=1 --variant w1:EXTRACT_WORKERS=1
    python bench/crawl.py --profile                        # full pipeline once under py-spy
    python bench/crawl.py --profile --profile-mode archive --articles 1000
    python bench/crawl.py --sites all --articles 4000      # every way of serving (SITES below)

The synthetic site (``bench/synthetic_site.py``) is generated once per size and served by
nginx (or a Python server) from its own process on 127.0.0.1.  Runs alternate between the
modes (the order rotates each round) so that load from other users of the machine spreads
evenly; the table shows medians.

* pages: HTTP ``response`` records in the WARC(s) the run wrote (robots.txt included);
* pages/s: pages / wall time of the whole command (start-up included);
* ×wget: the run's pages/s over wget's pages/s in the same round, median over rounds;
* CPU-s/1k: user+sys of the whole process tree (extraction workers and the forkserver
  included: this process is a child subreaper, so orphans are reaped here and counted in
  ``RUSAGE_CHILDREN``) per 1,000 pages;
* peak RSS: the largest sum of RSS over the process tree, sampled every 0.2 s.

Site variants (``--sites``) serve the same pages the ways real servers do (``SITES``): gzip
level, charset or none in ``Content-Type``, ``Vary``, chunked, HTTP/1.0, plain; each has its
own table and the summary gives the same-run ratios to wget side by side.

Every run has a timeout (``--timeout``) after which its process group is killed.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gzip
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic_site import Serving, SiteGenerator, SiteServer

VENV_BIN = Path(sys.executable).parent
NEWSARCHIVE = shutil.which("newsarchive", path=str(VENV_BIN)) or "newsarchive"
DEFAULT_SETTINGS = ["CONCURRENT_REQUESTS=32"]
# What wget does: one connection, no Accept-Encoding (so plain pages), gzip of its own WARC.
WGET_LIKE_SETTINGS = ["CONCURRENT_REQUESTS=1", "COMPRESSION_ENABLED=False"]


@dataclass(frozen=True)
class Site:
    name: str
    description: str
    serving: Serving = Serving()
    gzip_level: int = 1
    refresh_scripts: bool = False
    server: str = ""  # "python" forces the Python server; else --server


SITES = {site.name: site for site in [
    Site("bench", "nginx, pre-gzipped level 1, text/html without charset, Vary (this benchmark's "
                  "first site)"),
    Site("gz6", "nginx, pre-gzipped level 6, text/html without charset (nginx's default), Vary",
         gzip_level=6),
    Site("gz9", "as gz6, pre-gzipped at level 9 (gzip -9 / zopfli-style build steps)",
         gzip_level=9),
    Site("gz6-charset", "as gz6, Content-Type: text/html; charset=utf-8, no Vary",
         Serving(charset="utf-8", vary=False), gzip_level=6),
    Site("gz6-refresh", "as gz6, articles with an ad-refresh script and a <noscript> meta refresh",
         gzip_level=6, refresh_scripts=True),
    Site("gz6-python", "Python server, as gz6 (the control for the two below)", gzip_level=6,
         server="python"),
    Site("gz6-chunked", "Python server, as gz6 but chunked", Serving(chunked=True), gzip_level=6),
    Site("gz6-http10", "Python server, as gz6 but HTTP/1.0, close-delimited (a connection a page)",
         Serving(http10=True), gzip_level=6),
    Site("no-gzip", "nginx, plain pages only (gzip_static off), text/html without charset",
         Serving(gzip_static=False)),
]}
PR_SET_CHILD_SUBREAPER = 36


@dataclass
class RunResult:
    mode: str
    seconds: float
    pages: int
    cpu: float
    peak_rss: int
    main_rss: int
    warc_bytes: int
    articles: int = 0
    exit_code: int = 0
    note: str = ""

    @property
    def rate(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


@dataclass
class Mode:
    name: str
    kind: str  # wget | archive | full
    settings: list[str] = field(default_factory=list)


def become_subreaper() -> bool:
    """Orphaned descendants (the forkserver) are re-parented here, so their CPU is counted."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


class TreeSampler(threading.Thread):
    """Samples RSS (sum over the tree) and per-process CPU times every ``interval`` s."""

    def __init__(self, pid: int, interval: float = 0.2):
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak_rss = 0
        self.main_rss = 0
        self.cpu: dict[int, float] = {}
        self.stop_event = threading.Event()

    def run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self.stop_event.is_set():
            try:
                procs = [root] + root.children(recursive=True)
            except psutil.NoSuchProcess:
                break
            total = 0
            for proc in procs:
                with contextlib.suppress(psutil.Error):
                    with proc.oneshot():
                        rss = proc.memory_info().rss
                        times = proc.cpu_times()
                    total += rss
                    self.cpu[proc.pid] = times.user + times.system
                    if proc.pid == self.pid:
                        self.main_rss = max(self.main_rss, rss)
            self.peak_rss = max(self.peak_rss, total)
            self.stop_event.wait(self.interval)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def reap_orphans(server_pid: int | None, deadline: float = 20.0) -> None:
    """Wait for re-parented descendants (bounded), so their rusage lands in ours."""
    end = time.monotonic() + deadline
    me = psutil.Process()
    while time.monotonic() < end:
        kids = [p for p in me.children() if p.pid != server_pid]
        if not kids:
            return
        for kid in kids:
            with contextlib.suppress(ChildProcessError, psutil.Error):
                if kid.status() == psutil.STATUS_ZOMBIE:
                    os.waitpid(kid.pid, 0)
        time.sleep(0.05)  # poll interval while orphans finish
    for kid in [p for p in me.children() if p.pid != server_pid]:
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            kid.kill()
            os.waitpid(kid.pid, 0)


def run_measured(cmd: list[str], cwd: Path, log: Path, timeout: float, server_pid: int | None) -> tuple[float, float, TreeSampler, int]:
    cpu_before = children_cpu()
    started = time.monotonic()
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    sampler = TreeSampler(proc.pid)
    sampler.start()
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        code = proc.wait()
    seconds = time.monotonic() - started
    sampler.stop_event.set()
    sampler.join()
    reap_orphans(server_pid)
    cpu = children_cpu() - cpu_before
    # Cross-check: what psutil saw is a lower bound (it misses the last 0.2 s of each process).
    seen = sum(sampler.cpu.values())
    if seen > cpu * 1.1:
        cpu = seen
    return seconds, cpu, sampler, code


def warc_stats(paths: list[Path]) -> tuple[int, int]:
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    pages = 0
    size = 0
    for path in paths:
        size += path.stat().st_size
        with open(path, "rb") as stream:
            for _ in ArchiveIterator(stream, record_types=WarcRecordType.response, parse_http=False):
                pages += 1
    return pages, size


def count_jsonl(out: Path) -> int:
    total = 0
    for path in out.rglob("*.jsonl.gz"):
        with gzip.open(path, "rb") as fh:
            total += sum(1 for _ in fh)
    return total


def site_yaml(path: Path, server: SiteServer, gen: SiteGenerator) -> Path:
    urls = "".join(f"  - {server.base_url}{p}\n" for p in gen.start_paths())
    path.write_text(
        "name: synthetic\n"
        f"start_urls:\n{urls}"
        "allow_private_addresses: true\n"
        "download_delay: 0\n"
        "autothrottle: false\n"
        # the site's own shared stylesheets, font, logo and lead images; not the CDN's
        "requisite_domains: [127.0.0.1]\n"
        "concurrency: 16\n"
        f"max_section_pages: {gen.max_section_pages() + 1}\n",
        encoding="utf-8",
    )
    return path


def run_mode(mode: Mode, work: Path, server: SiteServer, yaml_path: Path, timeout: float) -> RunResult:
    out = Path(tempfile.mkdtemp(prefix=f"run-{mode.name}-", dir=work))
    try:
        if mode.kind == "wget":
            cmd = ["wget", "--recursive", "--level=inf", "--no-parent", f"--warc-file={out}/wget",
                   "--delete-after", "--no-verbose", "-P", str(out / "files"), server.base_url + "/"]
        else:
            cmd = [NEWSARCHIVE, "crawl", str(yaml_path), "--out", str(out / "data")]
            if mode.kind == "archive":
                cmd.append("--no-extract")
            for setting in mode.settings:
                cmd += ["-s", setting]
        server_pid = server.proc.pid if server.proc else None
        seconds, cpu, sampler, code = run_measured(cmd, out, out / "log.txt", timeout, server_pid)
        warcs = sorted(out.rglob("*.warc.gz")) + sorted(out.rglob("*.warc.gz.open"))
        pages, size = warc_stats(warcs)
        note = "" if code == 0 else (out / "log.txt").read_text(errors="replace")[-400:]
        return RunResult(mode.name, seconds, pages, cpu, sampler.peak_rss, sampler.main_rss, size,
                         articles=count_jsonl(out) if mode.kind == "full" else 0, exit_code=code, note=note)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def print_table(results: list[RunResult], modes: list[Mode], articles: int, rounds: list[dict[str, RunResult]],
                site: str = "") -> None:
    print(f"\n== site {site}, {articles:,} articles: medians over {len(rounds)} alternating round(s) ==")
    header = (f"{'mode':<22}{'pages':>7}{'wall s':>8}{'pages/s':>9}{'(min-max)':>14}{'x wget':>8}"
              f"{'CPU-s/1k':>10}{'cores':>7}{'peak RSS MB':>12}{'main RSS':>10}{'WARC MB':>9}{'articles':>9}")
    print(header)
    print("-" * len(header))
    for mode in modes:
        rs = [r for r in results if r.mode == mode.name]
        if not rs:
            continue
        rates = [r.rate for r in rs]
        ratios = [rd[mode.name].rate / rd["wget"].rate for rd in rounds
                  if mode.name in rd and "wget" in rd and rd["wget"].rate]
        print(
            f"{mode.name:<22}{int(median([r.pages for r in rs])):>7}{median([r.seconds for r in rs]):>8.1f}"
            f"{median(rates):>9.1f}{f'({min(rates):.0f}-{max(rates):.0f})':>14}"
            f"{(f'{median(ratios):.2f}' if ratios else '-'):>8}"
            f"{median([1000 * r.cpu / max(1, r.pages) for r in rs]):>10.1f}"
            f"{median([r.cpu / r.seconds for r in rs]):>7.2f}"
            f"{median([r.peak_rss / 2**20 for r in rs]):>12.0f}{median([r.main_rss / 2**20 for r in rs]):>10.0f}"
            f"{median([r.warc_bytes / 1e6 for r in rs]):>9.1f}"
            f"{(int(median([r.articles for r in rs])) if mode.kind == 'full' else ''):>9}"
        )
        for r in rs:
            if r.exit_code:
                print(f"    ! exit {r.exit_code}: {r.note.strip()[-300:]}")


def site_serving(site: Site, args: argparse.Namespace) -> Serving:
    if args.no_gzip:
        return Serving(**{**site.serving.__dict__, "gzip_static": False})
    return site.serving


@dataclass
class SiteRun:
    site: Site
    articles: int
    server: str
    results: list[RunResult]
    rounds: list[dict[str, RunResult]]


def bench_size(args: argparse.Namespace, modes: list[Mode], articles: int, work: Path,
               site: Site, generated: dict[tuple, tuple[SiteGenerator, dict]]) -> SiteRun:
    key = (articles, site.gzip_level, site.refresh_scripts)
    if key not in generated:
        t0 = time.monotonic()
        gen = SiteGenerator(work / "site-{}-gz{}-{}".format(*key), articles, args.seed,
                            gzip_level=site.gzip_level, refresh_scripts=site.refresh_scripts)
        info = gen.generate()
        generated[key] = (gen, info)
        print(f"generated {articles:,} articles (gzip level {site.gzip_level}, {info['listing_pages']} "
              f"listing pages, mean article {info['article_bytes_mean'] / 1000:.0f} KB) in "
              f"{time.monotonic() - t0:.0f} s", flush=True)
    gen, info = generated[key]
    site_root = gen.root
    results: list[RunResult] = []
    rounds: list[dict[str, RunResult]] = []
    serving = site_serving(site, args)
    with SiteServer(site_root, prefer=site.server or args.server, serving=serving) as server:
        print(f"\n## site {site.name}: {site.description}\nserving {server.base_url} with "
              f"{server.kind} {server.version} ({serving.describe()})", flush=True)
        yaml_path = site_yaml(work / "site.yaml", server, gen)
        for n in range(args.runs):
            order = modes[n % len(modes):] + modes[: n % len(modes)]
            this_round: dict[str, RunResult] = {}
            for mode in order:
                result = run_mode(mode, work, server, yaml_path, args.timeout)
                results.append(result)
                this_round[mode.name] = result
                print(f"  round {n + 1} {mode.name:<22} {result.pages:>6} pages {result.seconds:7.1f} s "
                      f"{result.rate:7.1f} p/s  cpu {result.cpu:6.1f} s  peak {result.peak_rss / 2**20:6.0f} MB"
                      + (f"  EXIT {result.exit_code}" if result.exit_code else ""), flush=True)
            rounds.append(this_round)
    print_table(results, modes, articles, rounds, site.name)
    return SiteRun(site, articles, f"{server.kind} {server.version}", results, rounds)


def print_summary(runs: list[SiteRun], modes: list[Mode]) -> None:
    """One line per site: pages/s of each mode and its same-run ratio to wget (medians)."""
    print("\n== summary: pages/s median (x wget: median of same-round ratios) ==")
    print("| site | articles | server | " + " | ".join(m.name for m in modes) + " |")
    print("|---|---|---|" + "---|" * len(modes))
    for run in runs:
        cells = []
        for mode in modes:
            rates = [r.rate for r in run.results if r.mode == mode.name]
            ratios = [rd[mode.name].rate / rd["wget"].rate for rd in run.rounds
                      if mode.name in rd and "wget" in rd and rd["wget"].rate]
            cell = f"{median(rates):.1f}"
            if mode.kind != "wget" and ratios:
                cell += f" ({median(ratios):.2f}x)"
            cells.append(cell)
        print(f"| {run.site.name} | {run.articles:,} | {run.server} | " + " | ".join(cells) + " |")


# --- profile ---------------------------------------------------------------------------------
FRAME_RE = re.compile(r"^(?P<func>.*?) \((?P<file>[^():]*?)(?::\d+)?\)$")
# py-spy prefixes each stack with the chain of processes: 'process PID:"cmdline";' (the
# forkserver's cmdline itself contains ';').
PROCESS_RE = re.compile(r'^((?:process (\d+):"[^"]*";)+)')

# Each sample goes to the first category whose needle appears in one of its frames; the rest
# go to the package of the innermost frame.  So the percentages of a group add up to 100.
CATEGORIES_MAIN = [
    ("start-up (imports, settings, reactor set-up)", ("_find_and_load",)),
    ("WARC: gzip of records (zlib)", ("Record.gzip_parts", "gzip_member")),
    ("WARC: sha1 digests", ("sha1_digest",)),
    ("WARC: file write + flush", ("RotatingWarcWriter._append",)),
    ("WARC: CDXJ index lines (made while writing)", ("archive/cdxj.py",)),
    ("WARC: revisit dedup index", ("archive/dedup.py",)),
    ("WARC: rest of capture (heads, records, stats)", ("WarcCaptureMiddleware", "archive/records.py",
                                                     "archive/warc_writer.py")),
    ("HTTP decompression (HttpCompressionMiddleware)", ("HttpCompressionMiddleware",)),
    ("listing parsing (listing_links)", ("listing_links",)),
    ("items to workers (pickle + pipe write)", ("_feed", "_ForkingPickler.dumps", "_add_call_item_to_queue",
                                                "Connection._send")),
    ("results from workers (pipe read + unpickle)", ("_ExecutorManagerThread", "Connection.recv")),
    ("schema validation (jsonschema)", ("record_errors", "jsonschema/")),
    ("feed export (JSON encode + gzip)", ("FeedExporter", "JsonLinesItemExporter", "exporters.py")),
    ("spider callbacks (parse_page etc.)", ("SectionSpider.",)),
    ("Scrapy: scheduler, dupefilter, robots", ("scheduler.py", "dupefilter", "robotstxt", "squeues",
                                               "pqueues")),
    ("HTTP client (Twisted HTTP/1.1 + TCP, archive/wire.py)", ("archive/wire.py", "twisted/web",
                                                              "http11.py", "twisted/internet/tcp.py",
                                                              "twisted/protocols")),
    ("Scrapy: other middlewares, stats, signals, logging", ("scrapy/downloadermiddlewares",
                                                            "scrapy/spidermiddlewares",
                                                            "statscollectors", "logging/")),
]
CATEGORIES_WORKER = [
    ("worker start-up (imports)", ("_find_and_load",)),
    ("waiting for work (Queue.get)", ("Queue.get",)),
    ("trafilatura (body)", ("trafilatura/",)),
    ("extruct (structured data)", ("extruct/",)),
    ("readability", ("readability/",)),
    ("pipelines.extract: bylines", ("pipelines/extract/bylines/",)),
    ("pipelines.extract: titles", ("pipelines/extract/titles.py",)),
    ("pipelines.extract: dates/images/sections/language", ("pipelines/extract/dates.py", "pipelines/extract/images.py", "pipelines/extract/sections.py", "pipelines/extract/language.py")),
    ("pipelines.extract: body (own code)", ("pipelines/extract/body.py", "pipelines/extract/boilerplate.py")),
    ("pipelines.extract: structured, page type", ("pipelines/extract/structured.py", "pipelines/extract/page_type.py")),
    ("pipelines.extract: parse + decode + record", ("pipelines/extract/",)),
    ("result back to main (pickle + pipe write)", ("_sendback_result", "Connection._send", "Queue.put")),
]


def _frames(stack: str) -> list[str]:
    out = []
    for raw in stack.split(";"):
        m = FRAME_RE.match(raw)
        if m:
            fname = m.group("file")
            fname = fname.split("site-packages/")[-1].split("/work/main/")[-1].split("lib/python3.11/")[-1]
            out.append(f"{m.group('func')} ({fname})")
        elif raw:
            out.append(raw)
    return out


def _package(frame: str) -> str:
    m = re.search(r"\(([^)/]*)(/|\))", frame)
    return m.group(1) if m else frame


def summarize_profile(raw: Path, top: int) -> None:
    cumulative: dict[str, Counter[str]] = defaultdict(Counter)
    selfs: dict[str, Counter[str]] = defaultdict(Counter)
    buckets: dict[str, Counter[str]] = defaultdict(Counter)
    totals: Counter[str] = Counter()
    root_pid = None
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_s = line.rpartition(" ")
        m = PROCESS_RE.match(stack)
        if not count_s.isdigit() or not m:
            continue
        count = int(count_s)
        pids = re.findall(r'process (\d+):"', m.group(1))
        root_pid = root_pid or pids[0]
        frames = _frames(stack[m.end():])
        if any(f.startswith("_process_worker") for f in frames):
            group, cats = "extraction workers", CATEGORIES_WORKER
        elif pids[-1] == root_pid:
            group, cats = "main process", CATEGORIES_MAIN
        else:
            group, cats = "other (forkserver, helpers)", []
        totals[group] += count
        for f in set(frames):
            cumulative[group][f] += count
        if frames:
            selfs[group][frames[-1]] += count
        for label, needles in cats:
            if any(nd in f for f in frames for nd in needles):
                buckets[group][label] += count
                break
        else:
            buckets[group]["other: " + (_package(frames[-1]) if frames else "?")] += count
    grand = sum(totals.values()) or 1
    print(f"\n== py-spy profile: {grand} samples (on-CPU; idle threads excluded) ==")
    for group, n in totals.most_common():
        print(f"  {group:<30} {n:>7} samples  {100 * n / grand:5.1f}% of all samples")
    for group in ("main process", "extraction workers"):
        total = totals.get(group, 0)
        if not total:
            continue
        print(f"\n-- {group}: where the time goes (each sample counted once, % of the group) --")
        for label, n in buckets[group].most_common():
            if 100 * n / total >= 0.5:
                print(f"  {label:<56} {100 * n / total:5.1f}%")
        print(f"\n-- {group}: top {top} functions by cumulative samples --")
        shown = 0
        for func, n in cumulative[group].most_common():
            if 100 * n / total > 95:  # the call chain every sample shares
                continue
            print(f"  {100 * n / total:5.1f}%  {func[:120]}")
            shown += 1
            if shown >= top:
                break
        print(f"\n-- {group}: top {top // 2} functions by own (self) samples --")
        for func, n in selfs[group].most_common(top // 2):
            print(f"  {100 * n / total:5.1f}%  {func[:120]}")


def profile(args: argparse.Namespace, work: Path) -> None:
    py_spy = shutil.which("py-spy", path=str(VENV_BIN)) or shutil.which("py-spy")
    if not py_spy:
        sys.exit("py-spy not found: /work/venv/bin/pip install py-spy")
    articles = args.articles[0]
    site = SITES[args.sites[0]]
    gen = SiteGenerator(work / "site", articles, args.seed, gzip_level=site.gzip_level,
                        refresh_scripts=site.refresh_scripts)
    gen.generate()
    with SiteServer(work / "site", prefer=site.server or args.server,
                    serving=site_serving(site, args)) as server:
        yaml_path = site_yaml(work / "site.yaml", server, gen)
        raw = Path(args.profile_out or work / "profile.txt")
        cmd = [py_spy, "record", "--subprocesses", "--format", "raw", "-r", str(args.profile_rate),
               "--duration", str(int(args.timeout)),
               "-o", str(raw), "--", NEWSARCHIVE, "crawl", str(yaml_path), "--out", str(work / "data")]
        if args.profile_mode == "archive":
            cmd.append("--no-extract")
        for setting in args.set or DEFAULT_SETTINGS:
            cmd += ["-s", setting]
        print("profiling:", " ".join(cmd), flush=True)
        started = time.monotonic()
        subprocess.run(cmd, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=args.timeout, check=False)
        print(f"done in {time.monotonic() - started:.0f} s (py-spy slows the crawl; rates here are not comparable)")
    summarize_profile(raw, args.top)
    if args.profile_out:
        print(f"\nraw collapsed stacks: {raw}")


def parse_modes(args: argparse.Namespace) -> list[Mode]:
    settings = args.set or DEFAULT_SETTINGS
    all_modes = {
        "wget": Mode("wget", "wget"),
        "archive": Mode("newsarchive --no-extract", "archive", settings),
        "full": Mode("newsarchive full", "full", settings),
        "archive-wgetlike": Mode("--no-extract, wget-like", "archive", settings + WGET_LIKE_SETTINGS),
        "full-wgetlike": Mode("full, wget-like", "full", settings + WGET_LIKE_SETTINGS),
        # page requisites off: pages only (the other newsarchive modes fetch requisites)
        "archive-noreq": Mode("--no-extract, no requisites", "archive",
                              settings + ["NEWSARCHIVE_REQUISITES=False"]),
        "full-noreq": Mode("full, no requisites", "full", settings + ["NEWSARCHIVE_REQUISITES=False"]),
    }
    modes = [all_modes[m] for m in args.modes]
    if "wget" not in args.modes and args.variant:
        print("note: x wget needs wget among --modes", file=sys.stderr)
    for spec in args.variant:
        name, _, rest = spec.partition(":")
        kind = "full"
        if name.startswith("archive-"):
            kind = "archive"
        extra = [s for s in rest.split(",") if s]
        modes.append(Mode(name, kind, settings + extra))
    return modes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, nargs="+", default=[2000],
                        help="site sizes; with several, memory growth from the first is reported")
    parser.add_argument("--runs", type=int, default=3, help="alternating rounds per size (default 3)")
    parser.add_argument("--modes", nargs="+", default=["wget", "archive", "full"],
                        choices=["wget", "archive", "full", "archive-wgetlike", "full-wgetlike",
                                 "archive-noreq", "full-noreq"],
                        help="*-wgetlike: as wget fetches, one connection and no gzip "
                             f"({' '.join(WGET_LIKE_SETTINGS)})")
    parser.add_argument("--sites", nargs="+", default=["bench"], choices=[*SITES, "all"],
                        help="site variants, each with its own rounds (default bench; 'all': "
                             + ", ".join(SITES) + ")")
    parser.add_argument("-s", "--set", action="append", metavar="NAME=VALUE",
                        help=f"newsarchive setting for every newsarchive mode (default {DEFAULT_SETTINGS})")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME:K=V,K=V",
                        help="an extra mode with more settings; a name starting 'archive-' runs --no-extract")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=1800.0, help="per run, seconds")
    parser.add_argument("--server", choices=["nginx", "python"], default="nginx")
    parser.add_argument("--no-gzip", action="store_true",
                        help="the server never gzips (wget never asks); for every site")
    parser.add_argument("--profile", action="store_true", help="run the full pipeline once under py-spy")
    parser.add_argument("--profile-mode", choices=["full", "archive"], default="full",
                        help="pipeline to profile (default full)")
    parser.add_argument("--profile-rate", type=int, default=50, help="py-spy samples per second")
    parser.add_argument("--profile-out", help="keep py-spy's raw collapsed stacks here")
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--summarize", type=Path, metavar="RAW", help="only summarize a saved py-spy raw file")
    parser.add_argument("--work", type=Path, help="scratch directory (default: a temp dir, removed)")
    args = parser.parse_args(argv)
    if "all" in args.sites:
        args.sites = list(SITES)

    # a SIGTERM (e.g. from `timeout`) unwinds like Ctrl-C, so the temp dirs and nginx go too
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    subreaper = become_subreaper()
    if args.work:
        Path(args.work).mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bench-crawl-", dir=args.work))
    try:
        if args.summarize:
            summarize_profile(args.summarize, args.top)
            return 0
        if args.profile:
            profile(args, work)
            return 0
        wget_version = subprocess.run(["wget", "--version"], capture_output=True, text=True,
                                      check=False).stdout.split("\n")[0]
        print(f"{wget_version}; newsarchive settings {args.set or DEFAULT_SETTINGS}; "
              f"{os.cpu_count()} cores; load {os.getloadavg()[0]:.1f}; subreaper {subreaper}", flush=True)
        modes = parse_modes(args)
        peaks: dict[int, dict[str, float]] = {}
        generated: dict[tuple, tuple[SiteGenerator, dict]] = {}
        runs: list[SiteRun] = []
        for articles in args.articles:
            for name in args.sites:
                runs.append(bench_size(args, modes, articles, work, SITES[name], generated))
            results = [r for run in runs if run.articles == articles for r in run.results]
            peaks[articles] = {m.name: median([r.peak_rss for r in results if r.mode == m.name]) for m in modes}
            for gen, _ in generated.values():
                shutil.rmtree(gen.root, ignore_errors=True)
            generated.clear()
        print_summary(runs, modes)
        if len(args.articles) > 1:
            first = args.articles[0]
            print(f"\n== peak RSS growth from {first:,} articles ==")
            for articles in args.articles[1:]:
                for m in modes:
                    a, b = peaks[first][m.name], peaks[articles][m.name]
                    print(f"  {m.name:<22} {a / 2**20:6.0f} MB -> {b / 2**20:6.0f} MB at {articles:,}: "
                          f"{100 * (b - a) / a:+.0f}%")
        load = os.getloadavg()
        print(f"\nload average at end: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min; "
              "other users share these cores)")
        print("command: python bench/crawl.py " + " ".join(argv if argv is not None else sys.argv[1:]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
