"""`report`: an archive made by real crawls of the local news site, its page rendered in a
real headless chromium with every request but file:// refused, the charts' numbers checked
against the manifests and the JSONL."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from archive.report import COVERAGE_FIELDS, has_field
from tests.browser_checks import CHROMIUM, LAUNCH_OPTIONS
from tests.browser_checks import require_chromium as require_browser
from tests.test_e2e_crawl import run_cli_crawl

pytestmark = pytest.mark.e2e



def require_chromium(path: Path | str = CHROMIUM) -> str:
    return require_browser(path, needed_for="render the report")


@dataclass
class Archive:
    out: Path
    manifests: dict[str, dict[str, Any]]  # crawl id → manifest
    records: dict[str, list[dict[str, Any]]]  # crawl id → its JSONL records

    def crawl_ids(self, site: str) -> list[str]:
        return sorted(crawl_id for crawl_id, manifest in self.manifests.items()
                      if manifest["sites"][0]["name"] == site)


def read_archive(out: Path) -> Archive:
    manifests = {path.stem: json.loads(path.read_text("utf-8"))
                 for path in sorted((out / "crawls").glob("*.json"))}
    records = {}
    for crawl_id, manifest in manifests.items():
        records[crawl_id] = []
        for entry in manifest["files"]:
            if entry["kind"] == "jsonl":
                with gzip.open(out / entry["key"], "rt", encoding="utf-8") as lines:
                    records[crawl_id] += [json.loads(line) for line in lines if line.strip()]
    return Archive(out, manifests, records)


@pytest.fixture(scope="module")
def archive(news_site: Any, tmp_path_factory: pytest.TempPathFactory) -> Archive:
    """Three runs into one archive: the news site, a site whose only page fails, the news
    site again."""
    out = tmp_path_factory.mktemp("report") / "archive"
    base_url = news_site.base_url.rstrip("/")
    demo = news_site.site.site_config(base_url)
    broken = {"name": "broken", "start_urls": [f"{base_url}/status/500"],
              "allow_private_addresses": True, "download_delay": 0, "autothrottle": False}
    for config, expected in ((demo, 0), (broken, 1), (demo, 0)):
        # complete runs (incremental crawling off): each run writes every article, so every
        # run has records to measure coverage on (revision counts: a test below)
        proc = run_cli_crawl(config, out, "-s", "NEWSARCHIVE_INCREMENTAL=false")
        assert proc.returncode == expected, proc.stdout + proc.stderr
    made = read_archive(out)
    assert len(made.crawl_ids("demo")) == 2 and len(made.crawl_ids("broken")) == 1
    return made


def newsarchive(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crawler", *argv], check=False,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def report_page(archive: Archive) -> Path:
    page = archive.out.parent / "report.html"
    proc = newsarchive("report", "--out", str(archive.out), "-o", str(page))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith(f"report: {page} (3 runs, 0 problems"), proc.stdout
    return page


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(**{**LAUNCH_OPTIONS, "executable_path": executable})
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Rendered:
    page: Any
    refused: list[str]  # every request the page made that was not for a file:// URL
    errors: list[str]  # script errors and console errors


def render(browser: Any, path: Path) -> Rendered:
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    rendered = Rendered(page, [], [])

    def only_files(route: Any) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            rendered.refused.append(route.request.url)
            route.abort()

    page.route("**/*", only_files)
    page.on("pageerror", lambda error: rendered.errors.append(str(error)))
    page.on("console", lambda message: rendered.errors.append(message.text)
            if message.type == "error" else None)
    page.goto(path.as_uri())
    page.evaluate("window.newsarchiveChartsDrawn")  # resolves once every chart is drawn
    return rendered


def view_data(page: Any, chart: str) -> list[dict[str, Any]]:
    """The rows the vega view of ``chart`` draws (its data set of the same name)."""
    rows: list[dict[str, Any]] = page.evaluate(
        "(name) => JSON.parse(JSON.stringify(window.newsarchiveViews[name].data(name)))", chart)
    return rows


def texts(page: Any, selector: str) -> list[str]:
    found: list[str] = page.eval_on_selector_all(selector, "nodes => nodes.map(n => n.textContent)")
    return found


def errors_of(manifest: dict[str, Any]) -> int:
    counts = manifest["counts"]
    return counts["http_errors"] + counts["download_errors"] + counts["extract_failed"]


def coverage_of(records: list[dict[str, Any]]) -> dict[str, float]:
    """Field coverage counted here, from the records as the crawl wrote them."""
    shares = {}
    for name in COVERAGE_FIELDS:
        key = {"image credit": "image"}.get(name, name)
        have = [r for r in records
                if r.get(key) and (name != "image credit" or r["image"].get("credit"))]
        shares[name] = len(have) / len(records)
    return shares


def test_report_page_draws_the_archive_numbers_offline(
        archive: Archive, report_page: Path, browser: Any) -> None:
    rendered = render(browser, report_page)
    page = rendered.page
    assert rendered.refused == [] and rendered.errors == []
    assert page.evaluate("document.body.dataset.charts") == "drawn"
    for chart in ("runs", "coverage", "slowest"):
        assert page.locator(f"#chart-{chart} svg").count() == 1, chart

    # Runs over time: articles, errors and WARC bytes of every run, as its manifest counts them.
    drawn = {(row["crawl"], row["measure"]): row["value"] for row in view_data(page, "runs")}
    for crawl_id, manifest in archive.manifests.items():
        assert drawn[crawl_id, "articles"] == manifest["counts"]["articles"]
        assert drawn[crawl_id, "errors"] == errors_of(manifest)
        assert drawn[crawl_id, "WARC bytes"] == manifest["counts"]["warc_bytes"]
    assert {drawn[crawl_id, "articles"] for crawl_id in archive.crawl_ids("demo")} == {
        len(archive.records[crawl_id]) for crawl_id in archive.crawl_ids("demo")}
    # one line per site with a point per run (3), in each of the three panels
    assert page.locator("#chart-runs svg .mark-symbol.role-mark path").count() == 3 * 3

    # Field coverage: every run with records, its share of each field, written in the cells.
    coverage = {(row["crawl"], row["field"]): row for row in view_data(page, "coverage")}
    assert {crawl for crawl, _ in coverage} == set(archive.crawl_ids("demo"))
    cell_texts = texts(page, "#chart-coverage svg .mark-text.role-mark text")
    for crawl_id in archive.crawl_ids("demo"):
        for name, share in coverage_of(archive.records[crawl_id]).items():
            assert coverage[crawl_id, name]["share"] == pytest.approx(share, abs=1e-4)
            assert coverage[crawl_id, name]["records"] == len(archive.records[crawl_id])
            assert f"{round(share * 100)}%" in cell_texts
    cells = page.locator("#chart-coverage svg .mark-rect.role-mark path")
    assert cells.count() == 2 * len(COVERAGE_FIELDS)

    # Slowest runs: every run's duration from its manifest, longest first.
    slowest = view_data(page, "slowest")
    took = {crawl_id: (datetime.fromisoformat(m["finished_at"])
                       - datetime.fromisoformat(m["started_at"])).total_seconds()
            for crawl_id, m in archive.manifests.items()}
    assert {row["crawl"]: row["seconds"] for row in slowest} == took
    drawn_seconds = [row["seconds"] for row in slowest]  # longest first (ties in either order)
    assert drawn_seconds == sorted(drawn_seconds, reverse=True)

    # The failing run and its problem; the tiles count runs and failing runs.
    (broken,) = archive.crawl_ids("broken")
    (problem,) = archive.manifests[broken]["problems"]
    failing = page.inner_text("#failing")
    assert broken in failing and problem in failing
    assert not any(crawl_id in failing for crawl_id in archive.crawl_ids("demo"))
    assert problem in page.inner_text("#latest-problems")
    assert page.inner_text("#tile-runs b") == "3"
    assert page.inner_text("#tile-failing b") == "1"
    assert page.locator("#problems").count() == 0

    screenshot = os.environ.get("NEWSARCHIVE_REPORT_SCREENSHOT")
    if screenshot:
        page.screenshot(path=screenshot, full_page=True)
        assert Path(screenshot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page.close()


def problems_listed(page_path: Path) -> dict[str, str]:
    document = lxml.html.parse(str(page_path)).getroot()
    rows = document.xpath("//section[@id='problems']//tr[td]")
    return {row.xpath("string(td[1])"): row.xpath("string(td[2])") for row in rows}


def test_corrupt_manifest_and_jsonl_are_named_and_counted(
        archive: Archive, browser: Any, tmp_path: Path) -> None:
    out = tmp_path / "archive"
    shutil.copytree(archive.out, out)
    first, second = archive.crawl_ids("demo")
    (broken,) = archive.crawl_ids("broken")
    (out / "crawls" / f"{broken}.json").write_text("{not json", encoding="utf-8")
    torn = [f["key"] for f in archive.manifests[first]["files"] if f["kind"] == "jsonl"][0]
    data = (out / torn).read_bytes()
    (out / torn).write_bytes(data[: len(data) // 2])
    garbled = [f["key"] for f in archive.manifests[second]["files"] if f["kind"] == "jsonl"][0]
    with gzip.open(out / garbled, "ab") as handle:
        handle.write(b"<html>not a record</html>\n")
    # a problem message is shown as text, never as markup
    manifest = json.loads((out / "crawls" / f"{second}.json").read_text("utf-8"))
    manifest["problems"] = ["<b>bold</b> & <script>alert(1)</script>"]
    (out / "crawls" / f"{second}.json").write_text(json.dumps(manifest), encoding="utf-8")

    page_path = tmp_path / "report.html"
    proc = newsarchive("report", "--out", str(out), "-o", str(page_path))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "(2 runs, 3 problems reading the archive)" in proc.stdout
    problems = problems_listed(page_path)
    assert set(problems) == {f"crawls/{broken}.json", torn, garbled}
    assert problems[f"crawls/{broken}.json"].startswith("unreadable manifest")
    assert problems[torn].startswith("unreadable JSONL")
    assert problems[garbled] == "1 lines are not JSON records: skipped"

    rendered = render(browser, page_path)
    assert rendered.refused == [] and rendered.errors == []
    assert rendered.page.inner_text("#tile-problems b") == "3"
    coverage = {row["crawl"]: row["records"] for row in view_data(rendered.page, "coverage")}
    assert coverage[second] == len(archive.records[second])
    assert 0 < coverage.get(first, 1) < len(archive.records[first])  # the lines before the tear
    assert "<b>bold</b> & <script>alert(1)</script>" in rendered.page.inner_text("#latest-problems")
    rendered.page.close()


def test_empty_archive_is_a_page_that_says_so(tmp_path: Path) -> None:
    (tmp_path / "archive").mkdir()
    page_path = tmp_path / "report.html"
    proc = newsarchive("report", "--out", str(tmp_path / "archive"), "-o", str(page_path))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert problems_listed(page_path) == {
        "crawls/": "no crawl manifests: the archive has no runs yet"}


def test_no_archive_is_exit_2_in_one_line(tmp_path: Path) -> None:
    page_path = tmp_path / "report.html"
    proc = newsarchive("report", "--out", str(tmp_path / "nowhere"), "-o", str(page_path))
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        f"newsarchive: {tmp_path / 'nowhere'}: no such archive directory"]
    assert not page_path.exists()


def test_unwritable_page_is_exit_2_in_one_line(archive: Archive, tmp_path: Path) -> None:
    page_path = tmp_path / "no-such-folder" / "report.html"
    proc = newsarchive("report", "--out", str(archive.out), "-o", str(page_path))
    assert proc.returncode == 2
    assert len(proc.stderr.splitlines()) == 1 and str(page_path) in proc.stderr


@pytest.mark.s3
def test_report_reads_an_s3_archive(archive: Archive, moto_bucket: Any, tmp_path: Path) -> None:
    prefix = "news"
    for path in sorted(archive.out.rglob("*")):
        if path.is_file():
            key = f"{prefix}/{path.relative_to(archive.out).as_posix()}"
            moto_bucket.put(key, path.read_bytes())
    page_path = tmp_path / "report.html"
    proc = newsarchive("report", "--storage", f"{moto_bucket.uri}/{prefix}",
                       "--endpoint-url", moto_bucket.endpoint_url, "--addressing-style", "path",
                       "-o", str(page_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    document = lxml.html.parse(str(page_path)).getroot()
    specs = json.loads(document.get_element_by_id("chart-specs").text)
    assert {row["crawl"] for row in specs["runs"]["data"]["values"]} == set(archive.manifests)
    assert {row["crawl"] for row in specs["coverage"]["data"]["values"]} == set(
        archive.crawl_ids("demo"))


def test_has_field_reads_the_record_as_the_schema_writes_it() -> None:
    record = {"authors": [], "published": "2026-01-01T00:00:00+00:00", "section": None,
              "image": {"url": "http://x/i.png", "caption": None, "credit": None}}
    assert [has_field(record, name) for name in COVERAGE_FIELDS] == [
        False, True, True, False, False]
    assert not has_field({"image": None}, "image credit")


def write_manifest(out: Path, crawl_id: str, counts: dict[str, Any]) -> None:
    manifest = {"manifest_version": 1, "crawl_id": crawl_id, "status": "complete",
                "started_at": f"{crawl_id[:4]}-{crawl_id[4:6]}-{crawl_id[6:8]}T10:00:00+00:00",
                "finished_at": f"{crawl_id[:4]}-{crawl_id[4:6]}-{crawl_id[6:8]}T10:01:00+00:00",
                "problems": [], "sites": [{"name": "alpha"}], "files": [], "not_stored": [],
                "counts": {"articles": 0, "http_errors": 0, "download_errors": 0,
                           "extract_failed": 0, "warc_bytes": 1000, **counts}}
    (out / "crawls").mkdir(parents=True, exist_ok=True)
    (out / "crawls" / f"{crawl_id}.json").write_text(json.dumps(manifest), encoding="utf-8")


def test_new_and_updated_counts_are_drawn_when_the_manifest_has_them(tmp_path: Path) -> None:
    from archive.report import chart_specs, gather
    from archive.storage import open_storage
    from crawler.run_history import read_history

    write_manifest(tmp_path, "20260101T100000Z-aaaaaa", {"articles": 12})
    write_manifest(tmp_path, "20260102T100000Z-bbbbbb",
                   {"articles": 3, "articles_new": 2, "articles_updated": 1, "articles_unchanged": 9,
                    "not_modified": 4})
    history = read_history(tmp_path)
    data = gather(open_storage(tmp_path), history.runs, history.unreadable)
    rows = chart_specs(data)["runs"]["data"]["values"]
    drawn = {(row["crawl"], row["measure"]): row["value"] for row in rows}
    assert drawn == {
        ("20260102T100000Z-bbbbbb", "new articles"): 2,
        ("20260102T100000Z-bbbbbb", "updated articles"): 1,
        ("20260102T100000Z-bbbbbb", "errors"): 0,
        ("20260102T100000Z-bbbbbb", "WARC bytes"): 1000,
        # an older manifest without the counts: every article it wrote counts as new
        ("20260101T100000Z-aaaaaa", "new articles"): 12,
        ("20260101T100000Z-aaaaaa", "updated articles"): 0,
        ("20260101T100000Z-aaaaaa", "errors"): 0,
        ("20260101T100000Z-aaaaaa", "WARC bytes"): 1000,
    }
    # articles counted, JSONL missing: named, for each run (newest first)
    assert data.reading_problems == [
        ("articles/alpha/2026/01/02/20260102T100000Z-bbbbbb.jsonl.gz",
         "JSONL missing: the manifest counts 3 articles"),
        ("articles/alpha/2026/01/01/20260101T100000Z-aaaaaa.jsonl.gz",
         "JSONL missing: the manifest counts 12 articles")]
    assert data.coverage == []


def test_a_manifest_with_values_of_the_wrong_type_is_named_not_raised(tmp_path: Path) -> None:
    from archive.report import gather, render_html
    from archive.storage import open_storage
    from crawler.run_history import read_history

    write_manifest(tmp_path, "20260101T100000Z-aaaaaa",
                   {"articles": "12", "http_errors": "many", "warc_bytes": None})
    damaged = json.loads((tmp_path / "crawls" / "20260101T100000Z-aaaaaa.json").read_text())
    damaged |= {"started_at": 5, "finished_at": [], "sites": [{"name": 7}, "x"]}
    (tmp_path / "crawls" / "20260101T100000Z-aaaaaa.json").write_text(json.dumps(damaged))
    history = read_history(tmp_path)
    data = gather(open_storage(tmp_path), history.runs, history.unreadable)
    assert data.reading_problems == [("crawls/20260101T100000Z-aaaaaa.json",
                                      "error counts are not numbers: shown as 0")]
    (run,) = data.runs
    assert (run.site, run.started_at, run.new, run.errors, run.warc_bytes) == (
        "7", "2026-01-01T10:00:00+00:00", 0, 0, 0)
    assert "error counts are not numbers" in render_html(data)


def test_missing_chromium_fails_under_ci(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="not found.*CI must render the report"):
        require_chromium(tmp_path / "chromium")


def test_missing_chromium_skips_outside_ci(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        require_chromium(tmp_path / "chromium")
