"""What the browser tests need: Chromium at the configured path, and a crawl to inspect.

Outside CI a machine without Chromium skips them; under CI (``CI=true``, where ``.ci/run``
installs it) a missing browser fails them, so the tests cannot switch themselves off.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from crawler.settings import NEWSARCHIVE_RENDER_LAUNCH_OPTIONS

CHROMIUM = str(NEWSARCHIVE_RENDER_LAUNCH_OPTIONS["executable_path"])


def require_chromium(path: str = CHROMIUM) -> str:
    if not os.access(path, os.X_OK):
        message = f"Chromium not found at {path} (apt-get install chromium)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{message}; CI must run the browser tests")
        pytest.skip(message)
    return path


@dataclass
class CrawlRun:
    out: Path
    returncode: int
    stdout: str
    stderr: str

    @property
    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for p in sorted(self.out.glob("articles/**/*.jsonl.gz"))
                for line in gzip.open(p, "rt", encoding="utf-8") if line.strip()]

    @property
    def warcs(self) -> list[Path]:
        return sorted(self.out.glob("warc/**/*.warc.gz"))


def start_crawl(config: dict[str, Any], base: Path, *args: str) -> subprocess.Popen[str]:
    path = base / "site.yaml"
    path.write_text(yaml.safe_dump(config), "utf-8")
    return subprocess.Popen(
        [sys.executable, "-m", "crawler", "crawl", str(path), "--out", str(base / "out"), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def run_crawl(config: dict[str, Any], base: Path, *args: str) -> CrawlRun:
    proc = start_crawl(config, base, *args)
    stdout, stderr = proc.communicate(timeout=600)
    return CrawlRun(base / "out", proc.returncode, stdout, stderr)
