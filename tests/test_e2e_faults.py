"""Hostile sites: the crawl finishes, counts what it skipped, and every WARC stays valid."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers.newssite import CHARSET_PATH
from tests.test_e2e_crawl import Crawl, load_crawl, run_cli_crawl
from tests.warc_checks import check_warc

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def hostile_crawl(hostile_news_site: Any, tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    out = tmp_path_factory.mktemp("hostile") / "out"
    config = hostile_news_site.site.site_config(hostile_news_site.base_url)
    proc = run_cli_crawl(config, out, "-s", "RETRY_TIMES=1")
    return load_crawl(out, proc)


def test_hostile_site_crawl_completes_without_tracebacks(hostile_crawl: Crawl) -> None:
    assert hostile_crawl.proc.returncode == 0, hostile_crawl.proc.stderr[-3000:]
    assert "Traceback" not in hostile_crawl.proc.stderr
    counts = hostile_crawl.manifest["counts"]
    assert counts["finish_reason"] == "finished"
    assert counts["http_errors"] >= 2  # 500 and 503 after retries, 404, 410
    assert counts["skipped"] >= 3  # huge page not extracted, binary page, truncated /drop


def test_hostile_site_articles_all_present(hostile_crawl: Crawl, hostile_news_site: Any) -> None:
    truth = {t["url"] for t in hostile_news_site.site.article_truth(hostile_news_site.base_url)}
    assert {r["url"] for r in hostile_crawl.records} == truth


def test_charset_declared_only_in_meta_is_decoded(hostile_crawl: Crawl, hostile_news_site: Any) -> None:
    site, base = hostile_news_site.site, hostile_news_site.base_url
    truth = next(t for t in site.article_truth(base) if t["url"] == base + CHARSET_PATH)
    served = site.handle("GET", CHARSET_PATH, {})
    assert "charset" not in dict(served.headers).get("Content-Type", "")  # only <meta> says it
    record = next(r for r in hostile_crawl.records if r["url"] == truth["url"])
    assert record["title"] == truth["title"]
    assert record["authors"] == truth["authors"]
    assert truth["first_paragraph"] in record["text"]
    assert "\ufffd" not in record["text"]


def test_hostile_warcs_valid_huge_page_kept_whole(hostile_crawl: Crawl, hostile_news_site: Any) -> None:
    from warcio.archiveiterator import ArchiveIterator

    sizes: dict[str, int] = {}
    truncated: dict[str, str] = {}
    for path in hostile_crawl.warcs:
        check_warc(path)
        with open(path, "rb") as handle:
            for record in ArchiveIterator(handle):
                if record.rec_type == "response":
                    uri = record.rec_headers.get_header("WARC-Target-URI")
                    sizes[uri.split("/", 3)[3]] = len(record.content_stream().read())
                    if record.rec_headers.get_header("WARC-Truncated"):
                        truncated[uri] = record.rec_headers.get_header("WARC-Truncated")
    assert sizes["huge/"] == len(hostile_news_site.site.handle("GET", "/huge/", {}).body)
    assert "bomb/" in sizes  # the compressed bytes are archived as they came
    assert any(uri.endswith("/drop") for uri in truncated)


@pytest.fixture
def refusing_port() -> Iterator[int]:
    """A port bound for the whole test but never listened on: connections are refused, and
    no other process can take it meanwhile."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def test_dead_site_exits_1_with_clear_message(tmp_path: Path, refusing_port: int) -> None:
    port = refusing_port
    config = {
        "name": "dead",
        "start_urls": [f"http://127.0.0.1:{port}/news/"],
        "allow_private_addresses": True,
        "download_delay": 0,
        "autothrottle": False,
    }
    proc = run_cli_crawl(config, tmp_path / "out", "-s", "RETRY_TIMES=0")
    assert proc.returncode == 1
    assert "no responses at all" in proc.stdout
    assert "Traceback" not in proc.stderr
    assert "Fetch failed" in proc.stderr


def test_private_addresses_refused_unless_allowed(tmp_path: Path, news_site: Any) -> None:
    config = news_site.site.site_config(news_site.base_url)
    config["allow_private_addresses"] = False
    proc = run_cli_crawl(config, tmp_path / "out")
    assert proc.returncode == 1
    manifest = json.loads(next((tmp_path / "out").glob("crawls/*.json")).read_text())
    assert manifest["counts"]["responses"] == 0


def test_full_disk_stops_the_crawl_cleanly(tmp_path: Path, news_site: Any) -> None:
    """Writes beyond 200 kB fail (RLIMIT_FSIZE, as on a full disk): the crawl stops with exit 1
    and the WARC it leaves ends on a whole record."""
    import resource
    import signal
    import subprocess
    import sys

    import yaml

    def limit_file_size() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))

    config = tmp_path / "site.yaml"
    config.write_text(yaml.safe_dump(news_site.site.site_config(news_site.base_url)))
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "crawler", "crawl", str(config), "--out", str(out)],
        capture_output=True, text=True, timeout=600, preexec_fn=limit_file_size,
    )
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "WARC writing failed" in proc.stdout
    assert "Traceback" not in proc.stderr
    warcs = list(out.glob("warc/**/*.warc.gz"))
    assert warcs and not list(out.rglob("*.open"))
    for path in warcs:
        assert path.stat().st_size <= 200_000
        check_warc(path)
