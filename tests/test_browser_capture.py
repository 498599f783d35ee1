"""Browser capture (``render: true``): real Chromium against a local site whose article text
only a script inserts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.browser_capture import BrowserExchange, PageRecorder, exchange_records
from archive.records import RecordFactory
from crawler.config import site_config_from_dict
from crawler.demo.server import DemoServer
from crawler.errors import ConfigError
from crawler import settings as default_settings
from tests.servers.hostile import hostile_pair
from tests.browser_checks import CrawlRun, require_chromium, run_crawl, start_crawl
from tests.servers.rendered import (
    IMAGE_PATH,
    INSERTED_MARKER,
    SCRIPT_PATH,
    SLOW_IMAGE_PATH,
    STYLESHEET_PATH,
    RenderedNewsSite,
)
from tests.warc_checks import check_warc, read_pointer

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

REBINDING_DNS = Path(__file__).parent / "servers" / "rebinding_dns"


@pytest.fixture(scope="module")
def rendered_site() -> Iterator[DemoServer]:
    with DemoServer(RenderedNewsSite(articles=3)) as server:
        yield server


@pytest.fixture(scope="module")
def rendered_crawl(rendered_site: DemoServer, tmp_path_factory: pytest.TempPathFactory
                   ) -> CrawlRun:
    require_chromium()
    site: RenderedNewsSite = rendered_site.site  # type: ignore[assignment]
    done = run_crawl(site.site_config(rendered_site.base_url),
                     tmp_path_factory.mktemp("rendered"))
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def warc_records(paths: list[Path]) -> list[tuple[dict[str, str], object, bytes]]:
    found = []
    for path in paths:
        with open(path, "rb") as handle:
            for record in ArchiveIterator(handle):
                headers = dict(record.rec_headers.headers)
                found.append((headers, record.http_headers, record.content_stream().read()))
    return found


def test_rendered_record_has_the_text_the_script_inserted(rendered_crawl: CrawlRun) -> None:
    records = rendered_crawl.records
    assert len(records) == 3
    for record in records:
        assert INSERTED_MARKER in record["text"], record["text"]
        assert record["title"].startswith("Breakwater light goes automatic")


def test_reextract_reads_the_rendered_dom_like_the_crawl(rendered_crawl: CrawlRun) -> None:
    """Re-extraction of a browser capture extracts from the DOM kept in its ``conversion``
    record, as the crawl did: the same text, the same pointer to the page's response."""
    from archive.reextract import run_reextract
    from crawler.run import crawl_settings
    from pipelines.responses import ExtractSettings

    result = run_reextract(rendered_crawl.warcs, processes=1,
                           settings=ExtractSettings.from_settings(crawl_settings()))
    again = {r["url"]: r for r in result.records}
    assert set(again) == {r["url"] for r in rendered_crawl.records}
    for record in rendered_crawl.records:
        assert INSERTED_MARKER in again[record["url"]]["text"]
        assert again[record["url"]]["text"] == record["text"]
        assert again[record["url"]]["warc"]["record_id"] == record["warc"]["record_id"]


def test_every_exchange_of_the_page_load_is_archived(rendered_crawl: CrawlRun,
                                                     rendered_site: DemoServer) -> None:
    for path in rendered_crawl.warcs:
        check_warc(path)
    records = warc_records(rendered_crawl.warcs)
    base = rendered_site.base_url
    by_type: dict[str, list[str]] = {}
    for headers, _, _ in records:
        by_type.setdefault(headers["WARC-Type"], []).append(headers.get("WARC-Target-URI", ""))
    site: RenderedNewsSite = rendered_site.site  # type: ignore[assignment]
    page_urls = [base + site.article_path(slug) for slug in site.slugs]
    api_urls = [f"{base}/api/story/{slug}.json" for slug in site.slugs]
    for url in page_urls + api_urls + [base + p for p in (SCRIPT_PATH, STYLESHEET_PATH,
                                                           IMAGE_PATH)]:
        assert url in by_type["request"], url
        assert url in by_type["response"] + by_type.get("revisit", []), url
    # the page, its stylesheet, image, script and the story's JSON, each on every page:
    # the shared ones are revisits after the first page
    assert sorted(by_type["revisit"]) == sorted(
        base + p for p in (SCRIPT_PATH, STYLESHEET_PATH, IMAGE_PATH) for _ in range(2))
    browser = [h for h, _, _ in records if h.get("WARC-Browser-Capture")]
    assert {h["WARC-Type"] for h in browser} == {"request", "response", "revisit", "conversion"}
    assert all(h["WARC-Browser-Capture"].startswith("Chromium/") for h in browser)
    # listings and robots.txt still come off the wire, not through the browser
    plain = {h["WARC-Target-URI"] for h, _, _ in records
             if h["WARC-Type"] == "response" and "WARC-Browser-Capture" not in h}
    assert plain == {base + "/robots.txt", base + "/news/"}


def test_browser_records_keep_the_decoded_body_and_say_so(rendered_crawl: CrawlRun,
                                                          rendered_site: DemoServer) -> None:
    records = warc_records(rendered_crawl.warcs)
    url = rendered_site.base_url + SCRIPT_PATH
    headers, http, body = next(r for r in records
                               if r[0]["WARC-Type"] == "response"
                               and r[0]["WARC-Target-URI"] == url)
    assert body.startswith(b"(function () {")  # served gzipped; the browser decoded it
    assert http.get_header("X-Archive-Orig-Content-Encoding") == "gzip"  # type: ignore
    assert http.get_header("Content-Encoding") is None  # type: ignore
    assert "WARC-IP-Address" in headers


def test_pointer_is_the_main_document_and_the_dom_is_kept(rendered_crawl: CrawlRun) -> None:
    records = warc_records(rendered_crawl.warcs)
    for record in rendered_crawl.records:
        pointer = record["warc"]
        path = next(p for p in rendered_crawl.warcs if p.name == pointer["filename"])
        warc_record, content, _ = read_pointer(path, pointer["offset"], pointer["length"])
        assert warc_record.rec_type == "response"
        assert warc_record.rec_headers.get_header("WARC-Target-URI") == record["url"]
        assert warc_record.rec_headers.get_header("WARC-Browser-Capture")
        assert b'<div id="story"></div>' in content  # what the server sent, before scripts
        dom = [body for h, _, body in records if h["WARC-Type"] == "conversion"
               and h["WARC-Refers-To"] == pointer["record_id"]]
        assert len(dom) == 1 and INSERTED_MARKER.encode() in dom[0]


def test_cdxj_indexes_the_browser_exchanges(rendered_crawl: CrawlRun) -> None:
    lines = [line for p in rendered_crawl.out.glob("indexes/**/*.cdxj")
             for line in p.read_text("utf-8").splitlines()]
    assert len([line for line in lines if "/api/story/" in line]) == 3
    script = [line for line in lines if SCRIPT_PATH in line]
    assert len(script) == 3  # one response, two revisits
    assert sum('"mime": "application/javascript"' in line for line in script) == 1


def test_verify_passes(rendered_crawl: CrawlRun) -> None:
    proc = subprocess.run([sys.executable, "-m", "crawler", "verify", str(rendered_crawl.out)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 JSONL pointer(s) checked" in proc.stdout


def test_a_plain_crawl_of_the_same_pages_does_not_see_the_text(
        rendered_site: DemoServer, tmp_path: Path) -> None:
    site: RenderedNewsSite = rendered_site.site  # type: ignore[assignment]
    done = run_crawl(site.site_config(rendered_site.base_url, render=False), tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not any(INSERTED_MARKER in r["text"] for r in done.records)
    urls = {h.get("WARC-Target-URI", "") for h, _, _ in warc_records(done.warcs)}
    assert rendered_site.base_url + site.article_path(site.slugs[0]) in urls
    # the script is archived as a page requisite, but nothing ran it: its API call never came
    assert any(url.endswith(SCRIPT_PATH) for url in urls)
    assert not any("/api/story/" in url for url in urls)


# --- a browser crash mid-crawl --------------------------------------------------------------


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue  # gone meanwhile
        ppid = int(stat.rsplit(b")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        for child in children.get(pid, []):
            found.append(child)
            todo.append(child)
    return found


def browser_processes(root: int) -> list[int]:
    """The Chromium browser processes (not renderers or helpers) under ``root``."""
    pids = []
    for pid in descendants(root):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if b"chromium" in argv[0] and not any(a.startswith(b"--type=") for a in argv):
            pids.append(pid)
    return pids


def test_a_browser_killed_mid_crawl_is_restarted_and_the_crawl_finishes(tmp_path: Path) -> None:
    require_chromium()
    crawl: dict[str, subprocess.Popen[str]] = {}
    killed: list[int] = []

    def kill_browser(served: int) -> None:
        # While the third story's text is being fetched: pages are mid-load in the browser.
        if served == 3 and not killed:
            for pid in browser_processes(crawl["proc"].pid):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

    site = RenderedNewsSite(articles=8, on_story=kill_browser)
    with DemoServer(site) as server:
        crawl["proc"] = start_crawl(site.site_config(server.base_url, concurrency=2), tmp_path,
                                    "--verbose")
        stdout, stderr = crawl["proc"].communicate(timeout=600)
    assert killed, "no browser process was found to kill"
    # the browser was launched again after the kill (scrapy-playwright's restart)
    assert stderr.count("Browser chromium launched") == 2, stderr
    assert crawl["proc"].returncode == 0, stdout + stderr
    done = CrawlRun(tmp_path / "out", 0, stdout, stderr)
    assert sorted(r["url"] for r in done.records) == sorted(
        server.base_url + site.article_path(slug) for slug in site.slugs)
    assert all(INSERTED_MARKER in r["text"] for r in done.records)
    proc = subprocess.run([sys.executable, "-m", "crawler", "verify", str(done.out)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_page_slower_than_the_render_timeout_fails_alone_with_what_it_loaded_archived(
        tmp_path: Path) -> None:
    require_chromium()
    site = RenderedNewsSite(articles=2, slow_image=20)
    with DemoServer(site) as server:
        done = run_crawl(site.site_config(server.base_url), tmp_path,
                         "-s", "NEWSARCHIVE_RENDER_TIMEOUT=2")
    assert done.records == []  # no page reached its load event
    assert "Traceback" not in done.stderr
    assert done.stderr.count("Fetch failed") == 2
    assert "PageLoadTimeout Page.goto: Timeout 2000ms exceeded." in done.stderr
    urls = [(h["WARC-Type"], h["WARC-Target-URI"]) for h, _, _ in warc_records(done.warcs)
            if h.get("WARC-Browser-Capture")]
    for slug in site.slugs:  # the page itself arrived before the timeout: it is archived
        assert ("response", server.base_url + site.article_path(slug)) in urls
    assert not any(url.endswith(SLOW_IMAGE_PATH) for _, url in urls)
    proc = subprocess.run([sys.executable, "-m", "crawler", "verify", str(done.out)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_browser_cannot_reach_an_address_the_site_does_not_allow(tmp_path: Path) -> None:
    require_chromium()
    private = "http://10.255.255.1/pixel.png"
    site = RenderedNewsSite(articles=1, extra_html=f'<img src="{private}" alt="">')
    with hostile_pair(site=site) as (server, _):  # the site on 127.0.0.2
        config = site.site_config(server.base_url, allow_private_addresses=False)
        done = run_crawl(config, tmp_path, "-s", "NEWSARCHIVE_ALLOWED_NETWORKS=127.0.0.2/32")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Refused browser request {private}: private address" in done.stderr
    assert len(done.records) == 1 and INSERTED_MARKER in done.records[0]["text"]
    records = warc_records(done.warcs)
    assert private not in {h.get("WARC-Target-URI") for h, _, _ in records}
    # The browser connects through the crawl's guarded proxy; the WARC names the site's
    # address, not the proxy's.
    page = server.base_url + site.article_path(site.slugs[0])
    assert {h.get("WARC-IP-Address") for h, _, _ in records
            if h["WARC-Type"] == "response" and h.get("WARC-Target-URI") == page} == {"127.0.0.2"}


def test_a_name_rebound_to_loopback_is_refused_when_the_browser_connects(tmp_path: Path) -> None:
    """DNS rebinding: the name answers a public address to the check before the request and
    loopback afterwards.  The browser resolves nothing itself (its own resolver would map the
    name to loopback here); the proxy checks the address it connects to and refuses it."""
    require_chromium()
    name = "rebinding.example"
    site = RenderedNewsSite(articles=1)
    with hostile_pair(site=site) as (allowed, refused):
        probe = f"http://{name}:{refused.port}/probe.js"
        site.extra_html = f'<script src="{probe}"></script>'
        launch = dict(default_settings.NEWSARCHIVE_RENDER_LAUNCH_OPTIONS)
        launch["args"] = [*launch["args"], f"--host-resolver-rules=MAP {name} 127.0.0.1"]
        env = {**os.environ, "NEWSARCHIVE_TEST_REBINDING_NAME": name,
               "PYTHONPATH": os.pathsep.join(
                   [str(REBINDING_DNS), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
        config = site.site_config(allowed.base_url, allow_private_addresses=False)
        done = run_crawl(config, tmp_path, "-s", "NEWSARCHIVE_ALLOWED_NETWORKS=127.0.0.2/32",
                         "-s", f"NEWSARCHIVE_RENDER_LAUNCH_OPTIONS={json.dumps(launch)}",
                         env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert not [path for _, _, path, _ in refused.request_log if "probe" in path]
    assert f"Refused browser connection to {probe}: loopback address 127.0.0.1" in done.stderr
    assert len(done.records) == 1 and INSERTED_MARKER in done.records[0]["text"]


def test_the_record_points_at_the_final_document_after_redirects() -> None:
    def exchange(url: str, status: int, main: bool = True) -> BrowserExchange:
        return BrowserExchange(url=url, method="GET", request_headers=[], request_body=b"",
                               status=status, status_text="", response_headers=[], body=b"",
                               main_document=main)

    recorder = PageRecorder(max_body=1000, idle_timeout=1)
    recorder.exchanges = [exchange("http://a.example/old", 301),
                          exchange("http://a.example/new", 200),
                          exchange("http://a.example/frame", 200, main=False),
                          exchange("http://a.example/style.css", 200, main=False)]
    main = recorder.main_exchange("http://a.example/new")
    assert main is not None and main.url == "http://a.example/new"
    assert recorder.main_exchange("http://a.example/elsewhere") is main


# --- configuration and records ----------------------------------------------------------------


@pytest.mark.parametrize("value", ["yes", 1, ["true"]])
def test_render_must_be_a_boolean(value: object) -> None:
    with pytest.raises(ConfigError, match="key 'render': must be true or false"):
        site_config_from_dict({"name": "x", "start_urls": ["http://a.example/"],
                               "render": value})


def test_render_without_chromium_is_a_bad_config(rendered_site: DemoServer,
                                                 tmp_path: Path) -> None:
    site: RenderedNewsSite = rendered_site.site  # type: ignore[assignment]
    missing = '{"executable_path": "/nonexistent/chromium"}'
    done = run_crawl(site.site_config(rendered_site.base_url), tmp_path,
                     "-s", f"NEWSARCHIVE_RENDER_LAUNCH_OPTIONS={missing}")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"newsarchive: bad config: {tmp_path / 'site.yaml'}: key 'render': true needs Chromium "
        "at /nonexistent/chromium (Debian: apt-get install chromium), or "
        "NEWSARCHIVE_RENDER_LAUNCH_OPTIONS naming another executable_path"]
    assert not (tmp_path / "out" / "warc").exists()


def test_missing_chromium_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the browser tests"):
        require_chromium("/nonexistent/chromium")


def test_exchange_records_rewrite_what_the_decoded_body_no_longer_has() -> None:
    exchange = BrowserExchange(
        url="http://a.example/x.js?v=1", method="GET",
        request_headers=[(":authority", "a.example"), ("accept", "*/*")], request_body=b"",
        status=200, status_text="",
        response_headers=[("content-encoding", "br"), ("content-length", "12"),
                          ("set-cookie", "a=1\nb=2"), ("content-type", "text/javascript")],
        body=b"var x = 1;", ip_address="192.0.2.1",
    )
    request, response = exchange_records(RecordFactory(), exchange, "Chromium/150")
    assert request.block == (b"GET /x.js?v=1 HTTP/1.1\r\nHost: a.example\r\naccept: */*\r\n\r\n")
    assert response.block == (
        b"HTTP/1.1 200 OK\r\nX-Archive-Orig-content-encoding: br\r\n"
        b"X-Archive-Orig-content-length: 12\r\nset-cookie: a=1\r\nset-cookie: b=2\r\n"
        b"content-type: text/javascript\r\n\r\nvar x = 1;")
    assert response.header("WARC-Browser-Capture") == "Chromium/150"
    assert request.header("WARC-Concurrent-To") == response.record_id
    assert request.header("WARC-IP-Address") == "192.0.2.1"
