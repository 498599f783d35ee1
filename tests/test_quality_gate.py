"""Extraction quality gate: floors on the ../shared dev sets that a change may raise, never lower.

A fixed, representative subset keeps this under two minutes on two cores (every extraction-dev
page, every 4th metadata-dev page); ``bench/extraction.py`` runs the full sets.  Floors live in
``tests/quality/baseline.json``; ``NEWSARCHIVE_UPDATE_BASELINE=1 pytest -m quality`` raises them
to the current figures (never lowers them).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from pipelines.extract import extract_page

pytestmark = pytest.mark.quality

SHARED = Path(__file__).resolve().parents[2] / "shared"
BASELINE = Path(__file__).parent / "quality" / "baseline.json"
METADATA_STRIDE = 4
Predictor = Callable[[bytes, str], dict]


def _load_scorer(folder: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"score_{folder.name.replace('-', '_')}",
                                                  folder / "score.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(folder: Path, stride: int = 1) -> list[dict]:
    with (folder / "truth.jsonl").open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return rows[::stride]


def _page(folder: Path, row: dict) -> bytes:
    return (folder / "pages" / (row.get("file") or f"{row['id']}.html")).read_bytes()


def predict(html: bytes, url: str) -> dict:
    return extract_page(html, url).record


def body_figures(predictor: Predictor) -> dict[str, float]:
    folder = SHARED / "extraction-dev"
    scorer = _load_scorer(folder)
    scores = [scorer.string_shingle_matching(row["articleBody"],
                                             predictor(_page(folder, row), row["url"])["text"])
              for row in _rows(folder)]
    m = scorer.metrics_from_tp_fp_fns(scores)
    return {"body_f1": m["f1"], "body_precision": m["precision"], "body_recall": m["recall"]}


def metadata_figures(predictor: Predictor) -> dict[str, float]:
    folder = SHARED / "metadata-dev"
    scorer = _load_scorer(folder)
    c = {"author_pages": 0, "author_ok": 0, "noauthor_pages": 0, "noauthor_ok": 0, "title_pages": 0,
             "title_ok": 0, "date_pages": 0, "date_ok": 0}
    for row in _rows(folder, METADATA_STRIDE):
        p = predictor(_page(folder, row), row["url"])
        gold = scorer.gold_authors(row.get("author"))
        pred = {scorer.norm(x) for x in p.get("authors") or [] if scorer.norm(x)}
        if gold:
            c["author_pages"] += 1
            c["author_ok"] += pred == gold
        else:
            c["noauthor_pages"] += 1
            c["noauthor_ok"] += not pred
        if row.get("title"):
            c["title_pages"] += 1
            c["title_ok"] += scorer.norm(p.get("title")) == scorer.norm(row["title"])
        if row.get("date"):
            c["date_pages"] += 1
            c["date_ok"] += (p.get("published") or "")[:10] == row["date"][:10]
    return {
        "meta_authors": c["author_ok"] / max(1, c["author_pages"]),
        "meta_no_author_kept_empty": c["noauthor_ok"] / max(1, c["noauthor_pages"]),
        "meta_title": c["title_ok"] / max(1, c["title_pages"]),
        "meta_published": c["date_ok"] / max(1, c["date_pages"]),
    }


def below_floors(figures: dict[str, float], floors: dict[str, float]) -> list[str]:
    """Every figure under its floor, as a readable line."""
    return [f"{key}: {figures.get(key, 0.0):.4f} < floor {floor:.4f}"
            for key, floor in sorted(floors.items()) if figures.get(key, 0.0) < floor - 1e-9]


@pytest.fixture(scope="module")
def cached_predictor() -> Predictor:
    if not (SHARED / "extraction-dev" / "truth.jsonl").is_file():
        pytest.skip(f"dev sets not found at {SHARED}")
    cache: dict[tuple[str, int], dict] = {}

    def cached(html: bytes, url: str) -> dict:
        key = (url, hash(html))
        if key not in cache:
            cache[key] = predict(html, url)
        return cache[key]

    return cached


@pytest.fixture(scope="module")
def figures(cached_predictor: Predictor) -> dict[str, float]:
    return {**body_figures(cached_predictor), **metadata_figures(cached_predictor)}


def floors() -> dict[str, float]:
    return json.loads(BASELINE.read_text(encoding="utf-8"))["floors"]


def test_quality_not_below_baseline(figures: dict[str, float]) -> None:
    current = floors()
    if os.environ.get("NEWSARCHIVE_UPDATE_BASELINE") == "1":
        raised = {k: max(current.get(k, 0.0), round(v - 5e-5, 4)) for k, v in figures.items()}
        data = json.loads(BASELINE.read_text(encoding="utf-8"))
        data["floors"] = raised
        BASELINE.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        current = raised
    assert not below_floors(figures, current), "\n".join(below_floors(figures, current))


def _degrade(record: dict) -> dict:
    """A deliberately worse extractor: loses the last third of the text, one author and the
    date's day, and keeps the site suffix on titles."""
    out = dict(record)
    paragraphs = (record.get("text") or "").split("\n\n")
    out["text"] = "\n\n".join(paragraphs[: max(1, len(paragraphs) * 2 // 3)])
    out["authors"] = (record.get("authors") or [])[1:] or ["Admin"]
    out["published"] = re.sub(r"^(\d{4}-\d{2})-\d{2}", r"\1-01", record.get("published") or "")
    out["title"] = f"{record.get('title') or ''} | Site"
    return out


def test_gate_fails_on_degraded_extractor(cached_predictor: Predictor,
                                          figures: dict[str, float]) -> None:
    def degraded(html: bytes, url: str) -> dict:
        return _degrade(cached_predictor(html, url))

    worse = {**body_figures(degraded), **metadata_figures(degraded)}
    failures = below_floors(worse, floors())
    failed_keys = {line.split(":")[0] for line in failures}
    assert {"body_f1", "body_recall", "meta_authors", "meta_title", "meta_published",
            "meta_no_author_kept_empty"} <= failed_keys


def test_baseline_file_is_complete() -> None:
    assert set(floors()) == {"body_f1", "body_precision", "body_recall", "meta_authors",
                             "meta_no_author_kept_empty", "meta_title", "meta_published"}
