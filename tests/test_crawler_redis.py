"""Scale-out: `crawl --redis` seeds a shared frontier, `worker`s crawl it (real Redis, real site)."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from tests.servers.redis_server import start_redis as start_redis_on_socket
from tests.warc_checks import check_warc

pytestmark = pytest.mark.e2e

PASSWORD = "pw-" + secrets.token_hex(8)


@contextlib.contextmanager
def refusing_port() -> Iterator[int]:
    """A port bound while the block runs but never listened on: connections are refused, and
    no other process can take it meanwhile."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def start_redis(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    return start_redis_on_socket(workdir, PASSWORD)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server, url = start_redis(tmp_path_factory.mktemp("redis"))
    try:
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def fresh_redis(redis_url: str) -> str:
    redis.Redis.from_url(redis_url).flushall()
    return redis_url


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crawler", *args],
                          check=False, capture_output=True, text=True, timeout=timeout)


def write_site(news_site: Any, path: Path, **overrides: Any) -> Path:
    config = {**news_site.site.site_config(news_site.base_url), **overrides}
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@dataclass
class Worker:
    """One worker's crawl in the output directory the workers share (by its crawl id)."""

    out: Path
    returncode: int
    stdout: str
    stderr: str

    @property
    def crawl_id(self) -> str:
        found = re.search(r"^Site demo, crawl (\S+):$", self.stdout, re.MULTILINE)
        assert found, self.stdout + self.stderr
        return found.group(1)

    def manifest(self) -> dict[str, Any]:
        return json.loads((self.out / f"crawls/{self.crawl_id}.json").read_text("utf-8"))

    def records(self) -> list[dict[str, Any]]:
        records = []
        for path in self.out.glob(f"articles/**/{self.crawl_id}.jsonl.gz"):
            with gzip.open(path, "rt", encoding="utf-8") as handle:
                records += [json.loads(line) for line in handle if line.strip()]
        return records

    def warcs(self) -> list[Path]:
        return sorted(self.out.glob(f"warc/**/{self.crawl_id}-*.warc.gz"))

    def response_urls(self) -> list[str]:
        urls = []
        for path in self.warcs():
            with path.open("rb") as handle:
                urls += [r.rec_headers.get_header("WARC-Target-URI")
                         for r in ArchiveIterator(handle) if r.rec_type == "response"]
        return urls


@dataclass
class SharedCrawl:
    seed: subprocess.CompletedProcess[str]
    out: Path
    workers: list[Worker]
    keys: set[str]
    waiting: int


@pytest.fixture(scope="module")
def shared_crawl(news_site: Any, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> SharedCrawl:
    """Seed with `crawl --redis`, then two workers at once into one output directory."""
    redis.Redis.from_url(redis_url).flushall()
    tmp = tmp_path_factory.mktemp("shared")
    # A delay per request keeps the crawl long enough for the second worker to take part.
    site = write_site(news_site, tmp / "site.yaml", download_delay=0.2, concurrency=2)
    seed = cli("crawl", str(site), "--redis", redis_url, "-v")
    out = tmp / "out"
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "crawler", "worker", "--redis", redis_url, "--out", str(out),
             "--idle-exit", "3", "-v"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for _ in range(2)
    ]
    workers = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=180)
        workers.append(Worker(out, proc.returncode, stdout, stderr))
    server = redis.Redis.from_url(redis_url)
    keys = {k.decode() for k in server.keys("*")}
    return SharedCrawl(seed, out, workers, keys, len(queued_urls(server)))


def test_two_workers_share_one_frontier(shared_crawl: SharedCrawl, news_site: Any) -> None:
    seed = shared_crawl.seed
    assert seed.returncode == 0, seed.stdout + seed.stderr
    assert "Site demo: seeded 7 start requests" in seed.stdout
    truth = {t["url"] for t in news_site.site.article_truth(news_site.base_url)}
    by_worker = []
    for worker in shared_crawl.workers:
        assert worker.returncode == 0, worker.stdout + worker.stderr
        assert "Traceback" not in worker.stderr
        assert "py.warnings" not in worker.stderr  # no deprecation warning from scrapy-redis
        assert "frontier empty for 3 s, worker stopped" in worker.stdout
        manifest = worker.manifest()
        assert manifest["status"] == "complete", manifest["problems"]
        records = worker.records()
        assert records, "each worker takes part"  # the 0.2 s delay leaves work for both
        names = {p.name for p in worker.warcs()}
        for record in records:
            assert record["crawl_id"] == manifest["crawl_id"]
            assert record["warc"]["filename"] in names
        urls = [r["url"] for r in records]
        assert len(urls) == len(set(urls)), "duplicate records"
        by_worker.append(set(urls))
    # together exactly the articles a single-process crawl finds (test_e2e_crawl), none twice
    assert by_worker[0] | by_worker[1] == truth
    assert not by_worker[0] & by_worker[1]
    # the shared seen set: no URL fetched by both (each worker reads robots.txt for itself)
    fetched = [set(w.response_urls()) for w in shared_crawl.workers]
    assert {url.rsplit("/", 1)[-1] for url in fetched[0] & fetched[1]} == {"robots.txt"}
    # the two crawls are kept apart by their crawl ids, in one layout
    ids = [w.manifest()["crawl_id"] for w in shared_crawl.workers]
    assert ids[0] != ids[1]
    assert len(list(shared_crawl.out.glob("crawls/*.json"))) == 2
    # keys namespaced by site; the queue drained, the seen set kept for other workers, the
    # lead-image pointers the workers shared (they expire)
    pointers = {key for key in shared_crawl.keys if key.startswith("newsarchive:demo:requisite:")}
    assert pointers
    assert shared_crawl.keys - pointers == {"newsarchive:sites", "newsarchive:demo:config",
                                 "newsarchive:demo:seen", "newsarchive:demo:known",
                                 "newsarchive:demo:known:checked", "newsarchive:demo:known:created"}
    assert shared_crawl.waiting == 0


def test_every_record_points_at_its_lead_image_whichever_worker_fetched_it(
        shared_crawl: SharedCrawl) -> None:
    archived: dict[str, tuple[Worker, str]] = {}  # image URL -> (worker, WARC file name)
    for worker in shared_crawl.workers:
        for path in worker.warcs():
            with path.open("rb") as handle:
                for record in ArchiveIterator(handle):
                    if (record.rec_type == "response"
                            and record.http_headers.get_statuscode().startswith("2")):
                        archived[record.rec_headers.get_header("WARC-Target-URI")] = (
                            worker, path.name)
    pointed = across = 0
    for worker in shared_crawl.workers:
        for record in worker.records():
            image = record.get("image") or {}
            if image.get("url") not in archived:
                continue
            fetcher, filename = archived[image["url"]]
            assert image.get("warc"), f"{record['url']}: no pointer to its archived lead image"
            assert image["warc"]["filename"] == filename
            assert image["warc"]["key"].endswith("/" + filename)
            pointed += 1
            across += fetcher is not worker
    assert pointed >= 10
    print(f"{pointed} lead images pointed at, {across} in the other worker's WARC")


def test_every_worker_warc_is_valid(shared_crawl: SharedCrawl) -> None:
    for worker in shared_crawl.workers:
        warcs = worker.warcs()
        assert warcs
        keys = {f["key"] for f in worker.manifest()["files"]}
        for path in warcs:
            types = check_warc(path)
            assert types[0] == "warcinfo"
            assert types.count("request") == types.count("response")
            assert str(path.relative_to(worker.out)) in keys
    assert not list(shared_crawl.out.rglob("*.open"))
    # fixity of both crawls: manifests, digests, every JSONL pointer
    proc = cli("verify", str(shared_crawl.out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 crawl manifest(s)" in proc.stdout


def test_redis_password_never_logged_or_archived(shared_crawl: SharedCrawl) -> None:
    secret = PASSWORD.encode()
    seed = shared_crawl.seed
    assert PASSWORD not in seed.stdout + seed.stderr
    assert "unix://***@/" in seed.stdout
    for worker in shared_crawl.workers:
        # -v: INFO logs, Scrapy's overridden settings included
        assert "Overridden settings" in worker.stderr
        assert PASSWORD not in worker.stdout + worker.stderr
        assert "unix://***@/" in worker.stdout
    files = [p for p in shared_crawl.out.rglob("*") if p.is_file()]
    assert {"crawls", "warc", "indexes", "articles"} <= {p.relative_to(shared_crawl.out).parts[0]
                                                        for p in files}
    for path in files:  # manifests, indexes, the dedup index…
        data = path.read_bytes()
        if path.name.endswith(".gz"):
            data = gzip.decompress(data)  # every member: WARC headers, warcinfo, JSONL
        assert secret not in data, path


def test_worker_on_an_empty_frontier_exits_after_the_idle_time(
    news_site: Any, fresh_redis: str, tmp_path: Path
) -> None:
    site = write_site(news_site, tmp_path / "site.yaml")
    assert cli("crawl", str(site), "--redis", fresh_redis).returncode == 0
    # every start request already taken: the frontier is empty and its requests are seen
    server = redis.Redis.from_url(fresh_redis)
    server.delete(*server.keys("newsarchive:demo:requests:*"), "newsarchive:demo:hosts")
    proc = cli("worker", "--redis", fresh_redis, "--out", str(tmp_path / "out"), "--idle-exit", "1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Site demo: frontier empty for 1 s, worker stopped" in proc.stdout
    assert "Traceback" not in proc.stderr
    manifest = json.loads(next((tmp_path / "out").glob("crawls/*.json")).read_text("utf-8"))
    assert manifest["status"] == "complete"
    assert manifest["counts"]["responses"] == 0


def test_bad_url_redis_down_or_nothing_seeded_exit_2_in_one_line(
    news_site: Any, fresh_redis: str, tmp_path: Path
) -> None:
    site = str(write_site(news_site, tmp_path / "site.yaml"))
    with refusing_port() as port:
        check_bad_redis_cases(site, f"redis://:{PASSWORD}@127.0.0.1:{port}/0", fresh_redis,
                              tmp_path)
    assert not (tmp_path / "crawls").exists()


def check_bad_redis_cases(site: str, down: str, fresh_redis: str, tmp_path: Path) -> None:
    wrong_password = fresh_redis.replace(PASSWORD, "not-" + PASSWORD)
    cases = {
        ("worker", "--redis", "http://127.0.0.1/", "--idle-exit", "1"): "bad Redis URL",
        ("worker", "--redis", down, "--idle-exit", "1"): "unusable",
        ("crawl", site, "--redis", down): "unusable",
        ("worker", "--redis", wrong_password, "--idle-exit", "1"): "unusable",
        ("worker", "--redis", fresh_redis, "--idle-exit", "1"): "no site seeded",
        ("crawl", site, "--redis", fresh_redis, "--out", str(tmp_path)): "only seeds",
    }
    for args, expected in cases.items():
        proc = cli(*args)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], (args, proc.stderr)
        assert "Traceback" not in proc.stderr
        assert PASSWORD not in proc.stdout + proc.stderr


def test_queued_requests_are_json_not_pickle() -> None:
    from scrapy import Request
    from scrapy.utils.request import request_from_dict

    from crawler.frontier import JsonRequests
    from crawler.spiders.site_spider import SectionSpider

    spider = SectionSpider(site={"name": "demo", "start_urls": ["http://127.0.0.1:1/news/"],
                                 "allow_private_addresses": True})
    request = Request("http://127.0.0.1:1/news/a", callback=spider.parse_page, method="POST",
                      body=b"\x00\xffraw", headers={"X-Bin": b"\xe9t\xe9"},
                      meta={"via": "section", "depth": 2, "flags": ["a"]}, priority=5)
    raw = JsonRequests.dumps(request.to_dict(spider=spider))
    assert json.loads(raw)  # plain JSON: nothing a reader could execute
    back = request_from_dict(JsonRequests.loads(raw), spider=spider)
    assert (back.url, back.method, back.body, back.priority) == (request.url, "POST", b"\x00\xffraw", 5)
    assert back.headers.getlist("X-Bin") == [b"\xe9t\xe9"]
    assert back.meta == request.meta and back.callback == spider.parse_page
    from archive.wire import WIRE_META_KEY

    redirected = request.replace(meta={**request.meta, WIRE_META_KEY: object()})
    assert request_from_dict(JsonRequests.loads(JsonRequests.dumps(redirected.to_dict(spider=spider))),
                             spider=spider).meta == request.meta  # the last hop's wire dropped
    with pytest.raises(TypeError, match="JSON-like"):
        JsonRequests.dumps({"meta": {"seen": {1, 2}}})


def test_redis_going_away_mid_crawl_stops_the_worker_with_its_archive_whole(
        news_site: Any, tmp_path: Path) -> None:
    server, url = start_redis(tmp_path / "redis")
    out = tmp_path / "out"
    try:
        site = write_site(news_site, tmp_path / "site.yaml", download_delay=0.3, concurrency=1)
        assert cli("crawl", str(site), "--redis", url).returncode == 0
        frontier = redis.Redis.from_url(url)
        first = len(news_site.request_log)
        worker = subprocess.Popen(
            [sys.executable, "-m", "crawler", "worker", "--redis", url, "--out", str(out),
             "--idle-exit", "30"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Redis goes once a few pages are fetched and archived, with work still queued or
        # in flight.
        deadline = time.monotonic() + 60
        while not (len(news_site.request_log) - first >= 3
                   and list(out.glob("warc/**/*.warc.gz.open"))
                   and (queued_urls(frontier) or inflight_urls(frontier))):
            assert worker.poll() is None and time.monotonic() < deadline, "no mid-crawl moment"
            time.sleep(0.02)  # a probe interval
    finally:
        server.kill()
        server.wait(timeout=10)
    stdout, stderr = worker.communicate(timeout=120)
    assert worker.returncode == 1, stdout + stderr
    assert "unreachable" in stderr and "Traceback" not in stderr
    assert PASSWORD not in stdout + stderr
    stopped = Worker(out, worker.returncode, stdout, stderr)
    assert stopped.manifest()["counts"]["finish_reason"] == "frontier_unreachable"
    assert stopped.response_urls()  # what it fetched is archived
    for path in stopped.warcs():
        check_warc(path)
    assert not list(out.rglob("*.open"))



# --- reliable queue: what a worker had taken is not lost when it dies or stops ---------------

TTL = "NEWSARCHIVE_FRONTIER_WORKER_TTL"
# the queue of the unit tests' host, 127.0.0.1:1
HOST_QUEUE = "newsarchive:demo:requests:127.0.0.1:1"


def start_worker(url: str, out: Path, logs: Path, *extra: str) -> subprocess.Popen[str]:
    """A worker whose output goes to files (a pipe nobody reads would block it)."""
    logs.mkdir(parents=True, exist_ok=True)
    with (logs / "stdout").open("w") as stdout, (logs / "stderr").open("w") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "crawler", "worker", "--redis", url, "--out", str(out), "-v",
             *extra],
            stdout=stdout, stderr=stderr, text=True, start_new_session=True,
        )


def finished(proc: subprocess.Popen[str], out: Path, logs: Path, timeout: float = 60) -> Worker:
    proc.wait(timeout)
    return Worker(out, proc.returncode, (logs / "stdout").read_text("utf-8"),
                  (logs / "stderr").read_text("utf-8"))


def inflight_urls(server: redis.Redis) -> set[str]:
    urls = set()
    for key in server.scan_iter(match="newsarchive:demo:inflight:*"):
        urls |= {json.loads(v)["url"] for v in server.hvals(key)}
    return urls


def queued(server: redis.Redis) -> list[tuple[bytes, float]]:
    """Every queued request of site demo with its score, whatever its host."""
    return [entry for key in server.scan_iter(match="newsarchive:demo:requests:*")
            for entry in server.zrange(key, 0, -1, withscores=True)]


def queued_urls(server: redis.Redis) -> set[str]:
    return {json.loads(raw)["url"] for raw, _ in queued(server)}


def wait_mid_crawl(server: redis.Redis, proc: subprocess.Popen[str]) -> set[str]:
    """Until the worker has fetched a few pages and holds a request in flight; those URLs."""
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None, "the worker ended before it was stopped"
        assert time.monotonic() < deadline, "the worker never got going"
        if server.scard("newsarchive:demo:seen") >= 12:
            urls = inflight_urls(server)
            if urls:
                return urls
        time.sleep(0.02)


def freeze_mid_crawl(server: redis.Redis, proc: subprocess.Popen[str]) -> set[str]:
    """``wait_mid_crawl``, then the worker's process group stopped (SIGSTOP) while a request
    is in flight: the URLs in flight then, which cannot change until it is killed."""
    while True:
        wait_mid_crawl(server, proc)
        os.killpg(proc.pid, signal.SIGSTOP)
        urls = inflight_urls(server)
        if urls:
            return urls
        os.killpg(proc.pid, signal.SIGCONT)  # it finished that one meanwhile: look again


def archived_urls(out: Path) -> set[str]:
    """Response URLs of every WARC under ``out``, a killed worker's ``.open`` one included
    (read up to its last whole record)."""
    urls = set()
    for path in sorted(out.glob("warc/**/*.warc.gz*")):
        # (the record the kill cut short ends the reading)
        with path.open("rb") as handle, contextlib.suppress(EOFError, zlib.error,
                                                             ArchiveLoadFailed):
            for record in ArchiveIterator(handle):
                if record.rec_type == "response":
                    urls.add(record.rec_headers.get_header("WARC-Target-URI"))
    return urls


def test_a_killed_workers_in_flight_requests_are_reclaimed_by_another(
        news_site: Any, fresh_redis: str, tmp_path: Path) -> None:
    server = redis.Redis.from_url(fresh_redis)
    site = write_site(news_site, tmp_path / "site.yaml", download_delay=0.2, concurrency=1)
    assert cli("crawl", str(site), "--redis", fresh_redis).returncode == 0
    first = start_worker(fresh_redis, tmp_path / "out1", tmp_path / "logs1",
                         "--idle-exit", "30", "-s", f"{TTL}=2")
    try:
        in_flight = freeze_mid_crawl(server, first)
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # the worker and its extraction processes: a lost machine
        first.wait(30)
    assert first.returncode == -signal.SIGKILL
    assert inflight_urls(server) >= in_flight  # its taken requests are still recorded
    assert list(server.scan_iter(match="newsarchive:demo:worker:*"))  # not expired yet
    fetched_first = archived_urls(tmp_path / "out1")
    assert fetched_first

    second = start_worker(fresh_redis, tmp_path / "out2", tmp_path / "logs2",
                          "--idle-exit", "3", "-s", f"{TTL}=2")
    worker = finished(second, tmp_path / "out2", tmp_path / "logs2")
    assert worker.returncode == 0, worker.stdout + worker.stderr
    assert "Traceback" not in worker.stderr
    assert re.search(r"reclaimed \d+ in-flight request\(s\) of dead worker", worker.stderr), \
        worker.stderr
    assert worker.manifest()["counts"].get("finish_reason") in (None, "finished")
    fetched_second = set(worker.response_urls())
    assert in_flight <= fetched_second  # what the dead worker had taken was fetched after all
    truth = {t["url"] for t in news_site.site.article_truth(news_site.base_url)}
    assert (fetched_first | fetched_second) & truth == truth
    assert {r["url"] for r in worker.records()} == fetched_second & truth
    for path in worker.warcs():
        types = check_warc(path)
        assert types.count("request") == types.count("response")
    # nothing left behind: queue drained, no in-flight hash, no worker listed (the shared
    # lead-image pointers expire by themselves)
    assert {k.decode() for k in server.keys("*")
            if not k.startswith(b"newsarchive:demo:requisite:")} == {
        "newsarchive:sites", "newsarchive:demo:config", "newsarchive:demo:seen",
        "newsarchive:demo:known", "newsarchive:demo:known:checked", "newsarchive:demo:known:created"}


def test_a_worker_stopped_by_sigterm_leaves_nothing_in_flight(
        news_site: Any, fresh_redis: str, tmp_path: Path) -> None:
    server = redis.Redis.from_url(fresh_redis)
    site = write_site(news_site, tmp_path / "site.yaml", download_delay=0.2, concurrency=1)
    assert cli("crawl", str(site), "--redis", fresh_redis).returncode == 0
    out = tmp_path / "out"
    first = start_worker(fresh_redis, out, tmp_path / "logs1", "--idle-exit", "30")
    try:
        in_flight = wait_mid_crawl(server, first)
        first.send_signal(signal.SIGTERM)
        stopped = finished(first, out, tmp_path / "logs1")
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    assert stopped.returncode == 1, stopped.stdout + stopped.stderr  # ended early: shutdown
    assert "Traceback" not in stopped.stderr
    assert not list(server.scan_iter(match="newsarchive:demo:inflight:*"))
    assert not list(server.scan_iter(match="newsarchive:demo:worker:*"))
    assert not server.exists("newsarchive:demo:workers")
    fetched_first = set(stopped.response_urls())
    # each request it had taken was either fetched (and its links queued) or put back
    assert in_flight <= fetched_first | queued_urls(server)
    assert queued(server)  # work left for the next worker

    second = start_worker(fresh_redis, out, tmp_path / "logs2", "--idle-exit", "3")
    worker = finished(second, out, tmp_path / "logs2")
    assert worker.returncode == 0, worker.stdout + worker.stderr
    assert "reclaimed" not in worker.stderr  # nothing to reclaim: the first put its work back
    fetched_second = set(worker.response_urls())
    truth = {t["url"] for t in news_site.site.article_truth(news_site.base_url)}
    assert (fetched_first | fetched_second) & truth == truth
    # and nothing fetched twice (but robots.txt, which each worker reads)
    assert {u.rsplit("/", 1)[-1] for u in fetched_first & fetched_second} <= {"robots.txt"}
    assert not queued(server)


class FakeCrawler:
    """What ``RedisFrontierScheduler.from_crawler`` uses of a crawler: real settings,
    signals, stats and fingerprinter, no engine (so no reactor in the test process)."""

    def __init__(self, url: str, ttl: float) -> None:
        from scrapy.signalmanager import SignalManager
        from scrapy.statscollectors import MemoryStatsCollector
        from scrapy.utils.request import RequestFingerprinter

        from crawler.frontier import Frontier, attach_frontier
        from crawler.run import crawl_settings

        self.settings = crawl_settings({TTL: ttl})
        self.signals = SignalManager()
        self.stats = MemoryStatsCollector(self)
        self.request_fingerprinter = RequestFingerprinter()
        attach_frontier(self, Frontier(redis.Redis.from_url(url), "demo", idle_exit=0))


def test_in_flight_entry_recorded_on_pop_removed_when_done_reclaimed_when_dead(
        fresh_redis: str) -> None:
    from scrapy import Request, signals
    from scrapy.exceptions import DontCloseSpider, IgnoreRequest
    from scrapy.http import HtmlResponse
    from twisted.internet.task import Clock

    from crawler.frontier import (
        INFLIGHT_META_KEY,
        FrontierDoneDownloaderMiddleware,
        FrontierDoneSpiderMiddleware,
        RedisFrontierScheduler,
        request_done,
    )
    from crawler.spiders.site_spider import SectionSpider

    server = redis.Redis.from_url(fresh_redis)
    spider = SectionSpider(site={"name": "demo", "start_urls": ["http://127.0.0.1:1/news/"],
                                 "allow_private_addresses": True})

    def worker(ttl: float = 3) -> tuple[FakeCrawler, RedisFrontierScheduler, Clock]:
        crawler = FakeCrawler(fresh_redis, ttl)
        scheduler = RedisFrontierScheduler.from_crawler(crawler)  # type: ignore[arg-type]
        scheduler.clock = Clock()
        scheduler.open(spider)
        return crawler, scheduler, scheduler.clock

    def hash_urls(scheduler: RedisFrontierScheduler) -> dict[str, str]:
        return {k.decode(): json.loads(v)["url"]
                for k, v in server.hgetall(scheduler.inflight_key).items()}

    crawler_a, a, clock_a = worker()
    assert server.sismember("newsarchive:demo:workers", a.worker_id)
    assert 0 < server.pttl(a.alive_key) <= 3000
    assert a.enqueue_request(Request("http://127.0.0.1:1/a", callback=spider.parse_page,
                                     priority=5))
    assert a.enqueue_request(Request("http://127.0.0.1:1/b", callback=spider.parse_page))

    # the pop records the request in flight, atomically
    first = a.next_request()
    assert first is not None and first.url == "http://127.0.0.1:1/a"  # priority kept
    assert hash_urls(a) == {first.meta[INFLIGHT_META_KEY]: first.url}
    assert queued_urls(server) == {"http://127.0.0.1:1/b"}
    # leaving the downloader is not the end (the WARC capture and the parse come after) ...
    crawler_a.signals.send_catch_log(signals.request_left_downloader, request=first, spider=spider)
    assert server.hlen(a.inflight_key) == 1
    # ... the end is when the spider's output for its response has been consumed
    response = HtmlResponse(first.url, body=b"<html></html>", request=first)
    output = FrontierDoneSpiderMiddleware(crawler_a).process_spider_output(  # type: ignore[arg-type]
        response, iter([Request("http://127.0.0.1:1/c"), {"item": 1}]))
    assert next(output).url == "http://127.0.0.1:1/c"
    assert next(output) == {"item": 1}
    assert server.hlen(a.inflight_key) == 1  # not before the last of it
    assert list(output) == []
    assert not server.exists(a.inflight_key)
    # the marker never goes into the queue (a redirect copies the meta)
    assert a.enqueue_request(first.replace(url="http://127.0.0.1:1/a2"))
    assert all(INFLIGHT_META_KEY not in raw.decode() for raw, _ in queued(server))

    # a failed download (robots.txt's IgnoreRequest too) is done
    again = a.next_request()
    assert again is not None and again.url == "http://127.0.0.1:1/a2"
    assert server.hlen(a.inflight_key) == 1
    FrontierDoneDownloaderMiddleware(crawler_a).process_exception(  # type: ignore[arg-type]
        again, IgnoreRequest("Forbidden by robots.txt"))
    assert not server.exists(a.inflight_key)
    # so is one whose redirect or retry (the meta copied) is queued
    redirected = a.next_request()
    assert redirected is not None and redirected.url == "http://127.0.0.1:1/b"
    assert a.enqueue_request(redirected.replace(url="http://127.0.0.1:1/b2"))
    assert not server.exists(a.inflight_key)
    server.zrem(HOST_QUEUE, *server.zrange(HOST_QUEUE, 0, 0))
    assert a.enqueue_request(Request("http://127.0.0.1:1/b", callback=spider.parse_page,
                                     dont_filter=True))

    second = a.next_request()
    assert second is not None and second.url == "http://127.0.0.1:1/b"
    assert list(hash_urls(a).values()) == [second.url]
    # the liveness key is refreshed every third of the TTL
    server.pexpire(a.alive_key, 200)
    clock_a.advance(1)
    assert server.pttl(a.alive_key) > 2000

    # another live worker neither reclaims it nor calls the frontier empty
    crawler_b, b, _ = worker()
    assert b.reclaim() == 0 and server.exists(a.inflight_key)
    with pytest.raises(DontCloseSpider):
        b.spider_idle(spider)  # idle_exit 0, but a's page may still add links

    # a dies (its key expires): b reclaims its request, once, and counts it
    server.delete(a.alive_key)
    with pytest.raises(DontCloseSpider):
        b.spider_idle(spider)
    assert queued_urls(server) == {"http://127.0.0.1:1/b"}
    assert not server.exists(a.inflight_key)
    assert not server.sismember("newsarchive:demo:workers", a.worker_id)
    assert crawler_b.stats.get_value("frontier/reclaimed") == 1
    _, c, _ = worker()
    assert c.reclaim() == 0  # nothing left to reclaim twice

    # a graceful close puts the closing worker's unfinished request back itself
    taken = c.next_request()
    assert taken is not None and server.hlen(c.inflight_key) == 1
    c.close("shutdown")
    assert queued_urls(server) == {"http://127.0.0.1:1/b"}
    assert [score for _, score in queued(server)] == [0]
    assert not server.exists(c.inflight_key) and not server.exists(c.alive_key)
    assert not server.sismember("newsarchive:demo:workers", c.worker_id)

    # b takes and finishes it: queue empty, nothing in flight, so idle-exit 0 lets b stop
    done = b.next_request()
    assert done is not None
    crawler_b.signals.send_catch_log(request_done, request=done)
    b.spider_idle(spider)
    assert crawler_b.stats.get_value("frontier/idle_exit") is True
    b.close("finished")
    assert {k.decode() for k in server.keys("*")} == {"newsarchive:demo:seen"}


def test_a_request_is_marked_seen_only_together_with_being_queued(fresh_redis: str) -> None:
    """Seen and queued in one step: were they two calls, a worker killed between them would
    leave a URL seen by every worker and queued for none."""
    from scrapy import Request
    from twisted.internet.task import Clock

    from crawler.frontier import RedisFrontierScheduler
    from crawler.spiders.site_spider import SectionSpider

    server = redis.Redis.from_url(fresh_redis)
    spider = SectionSpider(site={"name": "demo", "start_urls": ["http://127.0.0.1:1/news/"],
                                 "allow_private_addresses": True})
    crawler = FakeCrawler(fresh_redis, 3)
    scheduler = RedisFrontierScheduler.from_crawler(crawler)  # type: ignore[arg-type]
    scheduler.clock = Clock()
    scheduler.open(spider)

    assert scheduler.enqueue_request(Request("http://127.0.0.1:1/a", priority=3))
    assert not scheduler.enqueue_request(Request("http://127.0.0.1:1/a"))
    assert scheduler.enqueue_request(Request("http://127.0.0.1:1/a", dont_filter=True))
    assert server.scard("newsarchive:demo:seen") == 1
    assert sorted(score for _, score in queued(server)) == [-3, 0]
    assert crawler.stats.get_value("dupefilter/filtered") == 1
    assert crawler.stats.get_value("scheduler/enqueued/redis") == 2

    # the queue write fails (the key holds a string): the URL must not be marked seen
    server.delete(HOST_QUEUE)
    server.set(HOST_QUEUE, "not a sorted set")
    assert not scheduler.enqueue_request(Request("http://127.0.0.1:1/b"))
    assert scheduler.unreachable
    server.delete(HOST_QUEUE)
    assert server.scard("newsarchive:demo:seen") == 1
    assert crawler.stats.get_value("frontier/lost_requests") == 1
