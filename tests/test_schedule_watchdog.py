"""The crawl watchdog (``crawler.watchdog``): limits read from settings, the trip logic on an
injected clock, and real crawls of a page that never answers ended by each limit with the
archive closed and the manifest's ``finish_reason`` saying why."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from scrapy import Spider
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler.demo.server import DemoServer
from crawler.demo.site import DemoSite
from crawler.watchdog import CrawlWatchdog
from tests.servers.hanging import hanging_site, hanging_site_config


def test_no_limits_no_watchdog() -> None:
    with pytest.raises(NotConfigured):
        CrawlWatchdog.from_crawler(get_crawler(Spider))


def test_limits_come_from_the_settings() -> None:
    crawler = get_crawler(Spider, settings_dict={"NEWSARCHIVE_MAX_RUN_SECONDS": "120",
                                                 "NEWSARCHIVE_IDLE_SECONDS": 30,
                                                 "NEWSARCHIVE_STOP_GRACE": 2})
    watchdog = CrawlWatchdog.from_crawler(crawler)
    assert (watchdog.max_run_seconds, watchdog.idle_seconds, watchdog.grace) == (120, 30, 2)


@pytest.mark.parametrize("value", ["-1", "soon", "nan"])
def test_a_bad_limit_names_the_setting(value: str) -> None:
    crawler = get_crawler(Spider, settings_dict={"NEWSARCHIVE_IDLE_SECONDS": value})
    with pytest.raises(ValueError, match="NEWSARCHIVE_IDLE_SECONDS"):
        CrawlWatchdog.from_crawler(crawler)


def test_idle_counts_from_the_last_response_and_timeout_from_the_start() -> None:
    now = [100.0]
    watchdog = CrawlWatchdog(max_run_seconds=60, idle_seconds=10, clock=lambda: now[0])
    watchdog.started_at = watchdog.last_response_at = now[0]
    now[0] = 109.9
    assert watchdog.tripped() is None
    watchdog.response_received()
    now[0] = 119.8  # 19.8 s since the start, 9.9 s since the last response
    assert watchdog.tripped() is None
    now[0] = 119.9
    assert watchdog.tripped() == "idle"
    for moment in range(120, 160, 5):  # responses keep it alive, until the wall clock ends it
        now[0] = moment
        watchdog.response_received()
        assert watchdog.tripped() is None
    now[0] = 160.0
    assert watchdog.tripped() == "timeout"


@pytest.fixture(scope="module")
def hanging() -> Iterator[DemoServer]:
    with hanging_site() as server:
        yield server


def crawl(hanging: DemoServer, tmp_path: Path, *settings: str) -> tuple[int, str, dict]:
    config = tmp_path / "hang.yaml"
    config.write_text(yaml.safe_dump(hanging_site_config(hanging.base_url)), encoding="utf-8")
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "crawler", "crawl", str(config), "--out", str(out)]
    for setting in settings:
        argv += ["-s", setting]
    # The timeout is a safety net for a watchdog that never fires, not a measurement.
    result = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)
    manifests = list(out.glob("crawls/*.json"))
    assert len(manifests) == 1, result.stderr
    assert not list(out.glob("warc/**/*.open")), "a WARC was left open"
    return result.returncode, result.stderr, json.loads(manifests[0].read_text())


@pytest.mark.e2e
@pytest.mark.parametrize(("setting", "reason"), [
    ("NEWSARCHIVE_IDLE_SECONDS=2", "idle"),
    ("NEWSARCHIVE_MAX_RUN_SECONDS=3", "timeout"),
])
def test_a_hanging_crawl_is_ended_by_the_limit_and_recorded(
        hanging: DemoServer, tmp_path: Path, setting: str, reason: str) -> None:
    # DOWNLOAD_TIMEOUT alone would end it only after 3 tries of 30 minutes.
    status, stderr, manifest = crawl(hanging, tmp_path, setting, "NEWSARCHIVE_STOP_GRACE=0",
                                     "DOWNLOAD_TIMEOUT=1800")
    assert status == 1  # the summary reports a crawl that ended early
    assert manifest["counts"]["finish_reason"] == reason
    assert f"crawl ended early: {reason}" in manifest["problems"]
    assert "Stopping the crawl: " in stderr
    assert any(f["kind"] == "warc" for f in manifest["files"])  # robots.txt, archived
    verify = subprocess.run([sys.executable, "-m", "crawler", "verify", str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=300, check=False)
    assert verify.returncode == 0, verify.stdout + verify.stderr


@pytest.mark.e2e
def test_waiting_out_a_download_delay_longer_than_the_idle_limit_is_not_idle(
        tmp_path: Path) -> None:
    """A polite site (2 s between requests) under a 1 s idle limit crawls to the end."""
    with DemoServer(DemoSite()) as server:
        config = {**DemoSite().site_config(server.base_url), "download_delay": 2,
                  "concurrency": 1, "feeds": [], "sitemaps": [], "max_section_pages": 1}
        config["start_urls"] = config["start_urls"][:1]
        path = tmp_path / "polite.yaml"
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        out = tmp_path / "out"
        result = subprocess.run(
            [sys.executable, "-m", "crawler", "crawl", str(path), "--out", str(out),
             "--max-articles", "2", "-s", "NEWSARCHIVE_IDLE_SECONDS=1"],
            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    assert "Stopping the crawl" not in result.stderr
    manifest = json.loads(next(out.glob("crawls/*.json")).read_text())
    assert manifest["counts"]["finish_reason"] in ("finished", "closespider_itemcount")
    assert manifest["counts"]["articles"] == 2


@pytest.mark.parametrize("setting", ["NEWSARCHIVE_IDLE_SECONDS=-5",
                                     "NEWSARCHIVE_MAX_RUN_SECONDS=an hour"])
def test_a_bad_limit_on_the_command_line_is_bad_usage(tmp_path: Path, setting: str) -> None:
    config = tmp_path / "site.yaml"
    config.write_text(yaml.safe_dump(hanging_site_config("http://127.0.0.1:9")))
    result = subprocess.run([sys.executable, "-m", "crawler", "crawl", str(config), "--out",
                             str(tmp_path / "out"), "-s", setting],
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 2
    name = setting.split("=")[0]
    assert result.stderr.startswith(f"newsarchive: bad config: -s: {name} must be")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()
