"""`upload --pending` reads its settings through the crawler's settings, so ``-s`` reaches them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from crawler.cli.upload_cmd import s3_options_from_project_settings


def test_s_overrides_reach_the_s3_options() -> None:
    assert "region" not in s3_options_from_project_settings()  # the registry's default: none
    options = s3_options_from_project_settings(["STORAGE_S3_REGION=eu-west-1",
                                                "STORAGE_S3_ADDRESSING_STYLE=path"])
    assert options == {"region": "eu-west-1", "addressing_style": "path"}


def test_a_malformed_s_is_a_one_line_usage_error(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "crawler", "upload", "--pending", str(tmp_path),
                           "-s", "STORAGE_S3_REGION"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "newsarchive: bad config: -s: expected NAME=VALUE, got 'STORAGE_S3_REGION'"]
