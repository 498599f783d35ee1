"""A crawl whose every start URL failed is exit 1, "no page responses", even though
robots.txt answered (issue 14)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.e2e


def crawl(config: dict[str, Any], tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    site = tmp_path / "site.yaml"
    site.write_text(yaml.safe_dump(config), "utf-8")
    return subprocess.run([sys.executable, "-m", "crawler", "crawl", str(site), "--out", str(tmp_path / "out"),
                           "-s", "RETRY_TIMES=0", *extra],
                          capture_output=True, text=True, timeout=300, check=False)


def test_start_urls_all_404_is_exit_1(tmp_path: Path, news_site: Any) -> None:
    base = news_site.base_url
    config = {"name": "gone", "start_urls": [f"{base}/status/404", f"{base}/status/410"],
              "allow_private_addresses": True, "download_delay": 0, "autothrottle": False}
    proc = crawl(config, tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr[-2000:]
    assert "no page responses" in proc.stdout
    manifest = json.loads(next((tmp_path / "out").glob("crawls/*.json")).read_text("utf-8"))
    assert manifest["counts"]["responses"] >= 3  # robots.txt and the two error pages
    assert manifest["counts"]["page_responses"] == 0
    assert manifest["status"] == "finished-with-errors"


def test_start_urls_refused_is_exit_1(tmp_path: Path, news_site: Any) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = sock.getsockname()[1]  # bound, not listening: connections are refused
        config = {"name": "mixed", "start_urls": [f"http://127.0.0.1:{dead}/news/"],
                  "allow_private_addresses": True, "download_delay": 0, "autothrottle": False}
        proc = crawl(config, tmp_path)
    assert proc.returncode == 1
    assert "no page responses" in proc.stdout


def test_a_normal_crawl_has_page_responses(tmp_path: Path, news_site: Any) -> None:
    config = {**news_site.site.site_config(news_site.base_url), "feeds": [], "sitemaps": []}
    proc = crawl(config, tmp_path, "--max-articles", "2")
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
    assert "no page responses" not in proc.stdout
    manifest = json.loads(next((tmp_path / "out").glob("crawls/*.json")).read_text("utf-8"))
    assert manifest["counts"]["page_responses"] > 0
