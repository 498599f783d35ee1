"""Bad usage is one line and exit 2, never a traceback; the smaller promises of the command
line (issue 15): `-s` typos warned, `-o -` is standard output, `extract` refuses a
non-article, a closed stdout pipe ends quietly."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[1]


def newsarchive(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
                **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crawler", *args], capture_output=True, text=True,
                          timeout=300, check=False, cwd=cwd, env=env, **kwargs)


def assert_one_line_usage_error(proc: subprocess.CompletedProcess[str], *words: str) -> None:
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("newsarchive") and all(w in last for w in words), proc.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def site_yaml(tmp_path: Path, news_site: Any) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(news_site.site.site_config(news_site.base_url)), "utf-8")
    return path


def test_out_that_is_a_file_is_one_line(tmp_path: Path, site_yaml: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a directory")
    assert_one_line_usage_error(newsarchive("crawl", str(site_yaml), "--out", str(a_file)),
                                "not a directory")
    assert_one_line_usage_error(newsarchive("demo", "--out", str(a_file)), "not a directory")
    assert_one_line_usage_error(newsarchive("crawl", str(site_yaml), "--out", str(a_file / "sub")),
                                "cannot write")
    assert a_file.read_text() == "not a directory"


def test_demo_setting_without_equals_is_one_line(tmp_path: Path) -> None:
    assert_one_line_usage_error(newsarchive("demo", "-s", "X", "--out", str(tmp_path / "o")),
                                "NAME=VALUE")


def test_demo_with_unreachable_storage_is_one_line(tmp_path: Path, fake_aws_env: None) -> None:
    refused = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    proc = newsarchive("demo", "--storage", "s3://bucket/prefix", "-s", f"STORAGE_S3_ENDPOINT_URL={refused}",
                       "-s", "STORAGE_S3_RETRY_ATTEMPTS=0", "-s", f"STORAGE_SPOOL_DIR={tmp_path / 'spool'}",
                       env=dict(os.environ))
    assert_one_line_usage_error(proc, "s3://bucket/prefix", "unreachable")


def test_scrapy_crawl_without_site_is_one_line() -> None:
    proc = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "sections", "-s", "LOG_LEVEL=WARNING"],
                          capture_output=True, text=True, timeout=120, check=False, cwd=REPO)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("-a site=SITE.yaml") == 1 and len(proc.stderr.strip().splitlines()) == 1


def test_status_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader (`| head -2`) has gone
    try:
        proc = subprocess.run([sys.executable, "-m", "crawler", "status", "--out", str(tmp_path)],
                              stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120,
                              check=False)
    finally:
        os.close(write_end)
    assert "Traceback" not in proc.stderr and "BrokenPipeError" not in proc.stderr
    assert proc.returncode == 141


def test_misspelt_setting_is_warned_with_the_closest_name(tmp_path: Path) -> None:
    # (a worker reads its settings before it looks for Redis: no crawl needed to see the warning)
    proc = newsarchive("worker", "--redis", "http://nowhere", "-s", "DOWNLOD_DELAY=3",
                       "-s", "DOWNLOAD_DELAY=0", cwd=tmp_path)
    warnings = [line for line in proc.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1
    assert "DOWNLOD_DELAY" in warnings[0] and "did you mean DOWNLOAD_DELAY?" in warnings[0]
    assert_one_line_usage_error(proc, "bad Redis URL")


def test_version_names_package_and_extractor() -> None:
    from pipelines.versions import EXTRACTOR_VERSION, PACKAGE_VERSION

    proc = newsarchive("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"newsarchive {PACKAGE_VERSION} (extractor newsarchive {EXTRACTOR_VERSION})"


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (local test server)
        return response.read()


def test_extract_refuses_a_non_article(tmp_path: Path, news_site: Any) -> None:
    section = tmp_path / "section.html"
    section.write_bytes(fetch(news_site.site.site_config(news_site.base_url)["start_urls"][0]))
    proc = newsarchive("extract", str(section), "--url", f"{news_site.base_url}/category/x/")
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "not an article" in proc.stderr and "Traceback" not in proc.stderr
    forced = newsarchive("extract", str(section), "--force")
    assert forced.returncode == 1
    assert "title" in json.loads(forced.stdout)
    article = tmp_path / "article.html"
    url = news_site.site.article_truth(news_site.base_url)[0]["url"]
    article.write_bytes(fetch(url))
    proc = newsarchive("extract", str(article), "--url", url)
    assert proc.returncode == 0 and json.loads(proc.stdout)["url"] == url


def test_extract_from_truth_to_stdout(tmp_path: Path, news_site: Any) -> None:
    folder = tmp_path / "dev"
    (folder / "pages").mkdir(parents=True)
    truth = news_site.site.article_truth(news_site.base_url)[:2]
    for i, row in enumerate(truth):
        (folder / "pages" / f"p{i}.html").write_bytes(fetch(row["url"]))
    (folder / "truth.jsonl").write_text(
        "".join(json.dumps({"id": f"p{i}", "url": row["url"]}) + "\n" for i, row in enumerate(truth)))
    proc = newsarchive("extract", "--from-truth", str(folder), "-o", "-", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(line)["id"] for line in proc.stdout.splitlines()] == ["p0", "p1"]
    assert not (tmp_path / "-").exists()


def test_reextract_to_stdout(tmp_path: Path, site_yaml: Path) -> None:
    out = tmp_path / "out"
    crawl = newsarchive("crawl", str(site_yaml), "--out", str(out), "--max-articles", "2")
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    proc = newsarchive("reextract", str(out / "warc"), "-o", "-", "--processes", "1", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(records) >= 2 and all(r["warc"]["filename"].endswith(".warc.gz") for r in records)
    assert not (tmp_path / "-").exists()
    assert "standard output" in proc.stderr
