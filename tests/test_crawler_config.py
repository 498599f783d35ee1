"""Site config validation: every mistake exits 2 naming the file, the key and the problem."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from crawler.cli import main
from crawler.config import load_site_config
from crawler.errors import ConfigError

GOOD = """\
name: eutoday
start_urls:
  - https://eutoday.net/category/analysis/
feeds: [https://eutoday.net/feed/]
max_section_pages: 3
article_patterns: ['/\\d{4}/\\d{2}/']
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_config_loads_with_defaults(tmp_path: Path) -> None:
    site = load_site_config(write(tmp_path, GOOD))
    assert site.name == "eutoday"
    assert site.allowed_domains == ["eutoday.net"]
    assert site.max_section_pages == 3
    assert site.download_delay == 1.0 and site.concurrency == 2 and site.autothrottle is True
    assert site.allow_private_addresses is False


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ("name: x\nstart_urls: [http://a.example/]\nmax_pages: 3\n", "max_pages", "unknown key"),
        ("name: x\nstart_urls: http://a.example/\n", "start_urls", "must be a list of URLs"),
        ("name: x\nstart_urls: [http://a.example/]\nconcurrency: two\n", "concurrency", "must be an integer"),
        ("name: x\nstart_urls: [http://a.example/]\nautothrottle: 1\n", "autothrottle", "must be true or false"),
        ("name: x\nstart_urls: [http://a.example/]\narticle_patterns: ['(unclosed']\n", "article_patterns", "invalid regular expression"),
        ("name: Bad Name\nstart_urls: [http://a.example/]\n", "name", "must match"),
        ("start_urls: [http://a.example/]\n", "name", "is required"),
        ("name: x\nstart_urls: [ftp://a.example/]\n", "start_urls", "is not an http(s) URL"),
        ("name: x\nstart_urls: [http://a.example/]\nmax_section_pages: 0\n", "max_section_pages", "at least 1"),
        ("name: x\nstart_urls: [http://a.example/]\nschedule: 'every hour'\n", "schedule", "5-field cron"),
    ],
)
def test_invalid_config_names_key_and_problem(tmp_path: Path, text: str, key: str, problem: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_site_config(path)
    message = str(info.value)
    assert str(path) in message and f"'{key}'" in message and problem in message


def test_malformed_yaml_names_line(tmp_path: Path) -> None:
    path = write(tmp_path, "name: x\nstart_urls: [http://a.example/\n  bad: : :\n")
    with pytest.raises(ConfigError, match=r"not valid YAML at line \d+"):
        load_site_config(path)


def test_not_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_site_config(write(tmp_path, "- just\n- a list\n"))


def test_cli_exit_2_one_paragraph_no_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "name: x\nstart_urls: [http://a.example/]\nbogus: 1\n")
    assert main(["crawl", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "bogus" in err and str(path) in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_cli_missing_file_exit_2_as_a_process(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    proc = subprocess.run(
        [sys.executable, "-m", "crawler", "crawl", str(missing)],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2
    assert "file not found" in proc.stderr and str(missing) in proc.stderr
    assert "Traceback" not in proc.stderr
