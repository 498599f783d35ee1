"""The quality tests need ../shared: a local run without it skips, a CI run fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.quality.dev_sets import require_shared


def test_missing_dev_sets_fail_under_ci(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="metadata-dev not found.*CI must run"):
        require_shared("metadata-dev", shared=tmp_path)


def test_missing_dev_sets_skip_outside_ci(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="metadata-dev not found"):
        require_shared("metadata-dev", shared=tmp_path)


def test_present_dev_sets_are_returned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    (tmp_path / "metadata-dev").mkdir()
    (tmp_path / "metadata-dev" / "truth.jsonl").write_text("{}\n", encoding="utf-8")
    assert require_shared("metadata-dev", shared=tmp_path) == tmp_path
