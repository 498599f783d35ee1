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

import yaml

from crawler.settings import NEWSARCHIVE_RENDER_LAUNCH_OPTIONS
from tests.ci import missing

CHROMIUM = str(NEWSARCHIVE_RENDER_LAUNCH_OPTIONS["executable_path"])
# how the tests launch it through playwright (headless, no background networking)
LAUNCH_OPTIONS = NEWSARCHIVE_RENDER_LAUNCH_OPTIONS


def require_chromium(path: str | Path = CHROMIUM, needed_for: str = "run the browser tests"
                     ) -> str:
    """Debian's chromium (``.ci/run`` installs it): a skip where it is missing, a failure
    under CI."""
    if not os.access(path, os.X_OK):
        missing(f"Chromium not found at {path} (apt-get install chromium)", f"; CI must {needed_for}")
    return str(path)


def different_pixel_share(first: Path, second: Path, channel_tolerance: int) -> float:
    """The share of pixels of two screenshots that differ by more than ``channel_tolerance``
    in some colour channel (a page of another size differs in every pixel the other lacks)."""
    import numpy as np
    from PIL import Image

    with Image.open(first) as one, Image.open(second) as two:
        a = np.asarray(one.convert("RGB"), dtype=np.int16)
        b = np.asarray(two.convert("RGB"), dtype=np.int16)
    height, width = min(a.shape[0], b.shape[0]), min(a.shape[1], b.shape[1])
    extra = a.shape[0] * a.shape[1] + b.shape[0] * b.shape[1] - 2 * height * width
    diff = np.abs(a[:height, :width] - b[:height, :width]).max(axis=2) > channel_tolerance
    return (int(diff.sum()) + extra) / max(a.shape[0] * a.shape[1], b.shape[0] * b.shape[1])


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


def start_crawl(config: dict[str, Any], base: Path, *args: str,
                env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    path = base / "site.yaml"
    path.write_text(yaml.safe_dump(config), "utf-8")
    return subprocess.Popen(
        [sys.executable, "-m", "crawler", "crawl", str(path), "--out", str(base / "out"), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )


def run_crawl(config: dict[str, Any], base: Path, *args: str,
              env: dict[str, str] | None = None) -> CrawlRun:
    proc = start_crawl(config, base, *args, env=env)
    stdout, stderr = proc.communicate(timeout=600)
    return CrawlRun(base / "out", proc.returncode, stdout, stderr)
