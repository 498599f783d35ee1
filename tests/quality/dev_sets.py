"""The ../shared dev sets as the quality gate reads them: where they are, our predictions for a
whole set (worker processes, ``newsarchive extract --from-truth``'s own loop) and the figures
each set's published ``score.py`` gives for them.

Every page of every set is scored: extraction-dev (88 pages, body), metadata-dev (449 pages,
title/authors/date) and news-dev (122 pages, every field), news-dev in its two halves: the
tune half (``--except check-ids.txt``) and the check half (``--only check-ids.txt``), the
latter only as a whole: no per-page result of it is ever read or printed.

    python -m tests.quality.dev_sets      # every figure beside its floor; exit 1 if one is below
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from crawler.cli.extract_cmd import predict_folder, predict_newsarchive
from tests.ci import missing as missing_here

SHARED = Path(__file__).resolve().parents[3] / "shared"
BASELINE = Path(__file__).with_name("baseline.json")
PROCESSES = 2
Predictor = Callable[[bytes, str], dict]

NEWS_KEYS = ("body_f1", "body_precision", "body_recall", "authors", "no_author_kept_empty",
             "title", "published_day", "published_instant", "image_credit", "image_caption",
             "tags_f1")


def require_shared(*names: str, shared: Path = SHARED) -> Path:
    """The shared folder, or a skip where it is missing: a failure under CI, where the dev sets
    always sit beside the clone and a silent skip would switch the gate off."""
    missing = [name for name in names if not (shared / name / "truth.jsonl").is_file()]
    if missing:
        missing_here(f"dev sets {', '.join(missing)} not found under {shared}",
                     " (CI must run the quality gate)")
    return shared


def write_predictions(folder: Path, out: Path, predictor: Predictor = predict_newsarchive) -> Path:
    with out.open("w", encoding="utf-8") as f:
        for prediction, _ in predict_folder(folder, predictor, PROCESSES, fresh=True):
            f.write(json.dumps(prediction, ensure_ascii=False) + "\n")
    return out


def _score(folder: Path, preds: Path, *args: str) -> dict:
    result = subprocess.run([sys.executable, str(folder / "score.py"), str(preds), *args,
                             "--json"], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def body_figures(shared: Path, preds: Path) -> dict[str, float]:
    folder = shared / "extraction-dev"
    m = _score(folder, preds, "--truth", str(folder / "truth.jsonl"), "--n-bootstrap", "1",
               "--missing", "empty")
    return {"body_f1": m["f1"], "body_precision": m["precision"], "body_recall": m["recall"]}


def metadata_figures(shared: Path, preds: Path) -> dict[str, float]:
    m = _score(shared / "metadata-dev", preds)
    return {f"meta_{key}": m[key]
            for key in ("authors", "no_author_kept_empty", "title", "published")}


def news_figures(shared: Path, preds: Path) -> dict[str, float]:
    folder = shared / "news-dev"
    check_ids = str(folder / "check-ids.txt")
    out: dict[str, float] = {}
    for half, flag in (("tune", "--except"), ("check", "--only")):
        m = _score(folder, preds, flag, check_ids)
        # a figure over no page (score.py reports 0.0) guards nothing
        out.update({f"news_{half}_{k}": m[k] for k in NEWS_KEYS
                    if k.startswith("body_") or k == "tags_f1" or m["counts"].get(k)})
    return out


SETS: dict[str, Callable[[Path, Path], dict[str, float]]] = {
    "extraction-dev": body_figures,
    "metadata-dev": metadata_figures,
    "news-dev": news_figures,
}


def figures(shared: Path, workdir: Path, sets: tuple[str, ...] = tuple(SETS),
            predictor: Predictor = predict_newsarchive) -> dict[str, float]:
    """Every figure of the named sets, each set extracted in full."""
    out: dict[str, float] = {}
    for name in sets:
        preds = write_predictions(shared / name, workdir / f"{name}.jsonl", predictor)
        out.update(SETS[name](shared, preds))
    return out


def below_floors(figures: dict[str, float], floors: dict[str, float]) -> list[str]:
    """Every figure under its floor, as a readable line (aggregates only)."""
    return [f"{key}: {figures.get(key, 0.0):.4f} < floor {floor:.4f}"
            for key, floor in sorted(floors.items()) if figures.get(key, 0.0) < floor - 1e-9]


def floors() -> dict[str, float]:
    return json.loads(BASELINE.read_text(encoding="utf-8"))["floors"]


def main() -> int:
    missing = [name for name in SETS if not (SHARED / name / "truth.jsonl").is_file()]
    if missing:
        print(f"dev sets {', '.join(missing)} not found under {SHARED}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="quality-") as workdir:
        measured = figures(SHARED, Path(workdir))
    limits = floors()
    below = {line.split(":")[0] for line in below_floors(measured, limits)}
    print(f"{'figure':34s}{'measured':>10s}{'floor':>10s}")
    for key in sorted(set(measured) | set(limits)):
        mark = "  BELOW" if key in below else ""
        print(f"{key:34s}{measured.get(key, float('nan')):>10.4f}"
              f"{limits.get(key, float('nan')):>10.4f}{mark}")
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())
