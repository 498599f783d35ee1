"""The packages depend one way: crawler uses archive and pipelines, never the reverse
(import-linter's contracts in pyproject.toml, checked over the whole import graph)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([sys.executable, "-c", LINT, "--no-cache"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)


def test_archive_and_pipelines_never_import_crawler() -> None:
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "1 kept, 0 broken" in result.stdout


def test_the_contract_catches_an_upward_import(tmp_path: Path) -> None:
    for package in ("crawler", "archive", "pipelines"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "crawler" / "errors.py").write_text("class E(Exception): ...\n", encoding="utf-8")
    (tmp_path / "archive" / "bad.py").write_text("from crawler.errors import E\n",
                                                 encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        (ROOT / "pyproject.toml").read_text(encoding="utf-8"), encoding="utf-8")
    result = lint(tmp_path)
    assert result.returncode == 1
    assert "archive.bad -> crawler.errors" in result.stdout
