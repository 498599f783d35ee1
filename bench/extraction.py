"""Extraction benchmark: newsarchive vs plain trafilatura on a dev folder, side by side.

    python bench/extraction.py ../shared/extraction-dev [--processes 2] [--save DIR]
    python bench/extraction.py ../shared/metadata-dev
    python bench/extraction.py ../shared/news-dev
    python bench/extraction.py ../shared/extraction-dev --ablate block-completion

A folder whose truth has ``articleBody`` is scored with its ``score.py`` for body
precision/recall/F1; one with title/author/date is scored with its ``score.py`` for the four
metadata figures, plus a body check from the ``with``/``without`` snippets; news-dev (a
``check-ids.txt`` beside its truth) with its ``score.py`` on each half, every figure, the check
half only as a whole.  ``--ablate NAME[,NAME]`` adds a column: ours with those rules or module
switches off (``bench/ablation.py``).  Prints the worst 10 pages of ours (of the tune half
only, on news-dev) and docs/second for both: extraction CPU time (so other load on the machine
does not count), the median of ``--rounds`` runs per system made alternately in fresh worker
processes (so a slow stretch of a shared virtual machine skews one run, not the comparison,
and neither system reads caches the other warmed).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import ablation  # noqa: E402
from crawler.cli.extract_cmd import predict_folder, predict_newsarchive, read_truth  # noqa: E402


def predict_trafilatura(html: bytes, url: str) -> dict:
    """Plain trafilatura, metadata on, comments off: the baseline the issue measures against."""
    import trafilatura

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        doc = trafilatura.bare_extraction(html, url=url or None, with_metadata=True,
                                          include_comments=False)
    if doc is None:
        return {"text": "", "title": None, "authors": [], "published": None, "tags": []}
    author = doc.author or ""
    return {"text": doc.text or "", "title": doc.title, "published": doc.date,
            "authors": [a.strip() for a in author.split(";") if a.strip()],
            "tags": [t.strip() for t in (doc.tags or []) if t.strip()],
            "image": {"url": doc.image} if doc.image else None}


SYSTEMS = {"newsarchive": predict_newsarchive, "trafilatura": predict_trafilatura}


def run_system(folder: Path, name: str, processes: int, out: Path,
               ids: set[str] | None = None) -> dict:
    predictor = SYSTEMS.get(name) or ablation.Ablated(tuple(name.split(" -", 1)[1].split(",")))
    start = time.perf_counter()
    busy = 0.0
    n = 0
    with out.open("w", encoding="utf-8") as f:
        for prediction, seconds in predict_folder(folder, predictor, processes, ids,
                                                  fresh=True):
            f.write(json.dumps(prediction, ensure_ascii=False) + "\n")
            busy += seconds
            n += 1
    wall = time.perf_counter() - start
    return {"n": n, "wall": wall, "busy": busy, "docs_per_s": n / busy if busy else 0.0}


def run_rounds(folder: Path, names: list[str], processes: int, outdir: Path,
               rounds: int) -> dict[str, dict]:
    """Each system over the folder ``rounds`` times, alternating (A B A B …), every run in
    fresh worker processes (no cache one system warmed for the other); the median run's
    timing.  A slow stretch of a shared machine then skews one run, not the comparison."""
    runs: dict[str, list[dict]] = {name: [] for name in names}
    for i in range(rounds):
        for name in names if i % 2 == 0 else reversed(names):
            out = outdir / f"{folder.name}-{_file_tag(name)}{'' if i == 0 else f'-{i}'}.jsonl"
            runs[name].append(run_system(folder, name, processes, out))
            if i:
                out.unlink()
    return {name: sorted(r, key=lambda t: t["busy"])[len(r) // 2] for name, r in runs.items()}


def _file_tag(name: str) -> str:
    return name.replace(" ", "")


NEWS_KEYS = ("body_f1", "body_precision", "body_recall", "authors", "no_author_kept_empty",
             "title", "published_day", "published_instant", "image_credit", "image_caption",
             "tags_f1")


def score_news(folder: Path, preds: Path, truth: Path) -> tuple[dict, list[dict]]:
    """news-dev: every figure of each half (``tune …``, ``check …``), the check half as a whole;
    per page, the tune half only (its body F1)."""
    from bench.news_dev import score_news as score_half, tune_page_scores

    figures = {f"{half} {key}": value for half in ("tune", "check")
               for key, value in score_half(folder, preds, half).items() if key in NEWS_KEYS}
    docs = [{"id": pid, "f1": row.get("body_f1", 0.0),
             "wrong": [f"{k} {v:.2f}" for k, v in row.items() if k != "publisher" and v < 1]}
            for pid, row in tune_page_scores(folder, preds).items()]
    return figures, docs


def score_body(folder: Path, preds: Path, truth: Path) -> tuple[dict, list[dict]]:
    with tempfile.NamedTemporaryFile(suffix=".jsonl", delete=False) as tmp:
        per_doc = Path(tmp.name)
    res = subprocess.run([sys.executable, str(folder / "score.py"), str(preds), "--truth", str(truth),
                          "--n-bootstrap", "1", "--json", "--per-doc", str(per_doc),
                          "--missing", "empty"],
                         capture_output=True, text=True, check=True)
    docs = [json.loads(line) for line in per_doc.read_text().splitlines() if line.strip()]
    per_doc.unlink()
    return json.loads(res.stdout), docs


def _norm(s: str | None) -> str:
    return re.sub(r"\s+", " ", s or "").strip().casefold()


def snippet_check(rows: list[dict], preds: dict[str, dict]) -> dict:
    """Share of `with` snippets found in the text and of `without` snippets absent from it."""
    with_ok = with_n = without_ok = without_n = 0
    for row in rows:
        text = _norm(preds.get(str(row["id"]), {}).get("articleBody"))
        for s in row.get("with") or []:
            with_n += 1
            with_ok += _norm(s) in text
        for s in row.get("without") or []:
            without_n += 1
            without_ok += _norm(s) not in text
    return {"with": with_ok / max(1, with_n), "without": without_ok / max(1, without_n)}


def score_metadata(folder: Path, preds: Path, truth: Path) -> tuple[dict, list[dict]]:
    res = subprocess.run([sys.executable, str(folder / "score.py"), str(preds), "--truth", str(truth),
                          "--json"], capture_output=True, text=True, check=True)
    figures = json.loads(res.stdout)
    rows = [json.loads(line) for line in truth.read_text(encoding="utf-8").splitlines() if line.strip()]
    by_id = {str(p["id"]): p for p in map(json.loads, preds.read_text(encoding="utf-8").splitlines())}
    figures.update(snippet_check(rows, by_id))
    docs = []
    for row in rows:
        p = by_id.get(str(row["id"]), {})
        gold_a = row.get("author")
        gold = {_norm(a) for a in (gold_a if isinstance(gold_a, list) else (gold_a or "").split(";")) if _norm(a)}
        wrong = []
        if {_norm(a) for a in p.get("authors") or [] if _norm(a)} != gold:
            wrong.append(f"authors {p.get('authors')} != {sorted(gold)}")
        if row.get("title") and _norm(p.get("title")) != _norm(row["title"]):
            wrong.append(f"title {p.get('title')!r} != {row['title']!r}")
        if row.get("date") and (p.get("published") or "")[:10] != row["date"][:10]:
            wrong.append(f"published {p.get('published')!r} != {row['date']!r}")
        docs.append({"id": row["id"], "f1": 1 - len(wrong) / 3, "wrong": wrong})
    return figures, docs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", type=Path, help="dev folder with truth.jsonl, pages/ and score.py")
    ap.add_argument("--processes", type=int, default=1)
    ap.add_argument("--save", type=Path, help="keep the prediction files in this folder")
    ap.add_argument("--only", choices=sorted(SYSTEMS), help="run one system only")
    ap.add_argument("--worst", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3,
                    help="timed runs per system, alternating; the median is reported")
    ap.add_argument("--ablate", metavar="NAME[,NAME]",
                    help=f"also ours with these parts off: {', '.join(ablation.known())}")
    args = ap.parse_args(argv)
    try:
        ablated = ablation.parse(args.ablate)
    except ValueError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2

    truth = args.folder / "truth.jsonl"
    if not truth.is_file():
        print(f"bench: {truth} not found", file=sys.stderr)
        return 2
    kind = ("news" if (args.folder / "check-ids.txt").is_file() else
            "body" if "articleBody" in read_truth(args.folder)[0] else "metadata")
    outdir = args.save or Path(tempfile.mkdtemp(prefix="bench-extraction-"))
    outdir.mkdir(parents=True, exist_ok=True)
    results = {}
    scorer = {"news": score_news, "body": score_body, "metadata": score_metadata}[kind]
    names = [args.only] if args.only else list(SYSTEMS)
    if ablated:
        names.append(f"newsarchive -{','.join(ablated)}")
    timings = run_rounds(args.folder, names, args.processes, outdir, args.rounds)
    for name, timing in timings.items():
        figures, docs = scorer(args.folder, outdir / f"{args.folder.name}-{_file_tag(name)}.jsonl",
                               truth)
        results[name] = (timing, figures, docs)

    keys = (["f1", "precision", "recall", "accuracy", "n_empty_pred"] if kind == "body" else
            ["authors", "no_author_kept_empty", "title", "published", "with", "without"]
            if kind == "metadata" else [f"{h} {k}" for h in ("tune", "check") for k in NEWS_KEYS])
    names = list(results)
    width = max(14, *(len(n) + 2 for n in names))
    print(f"{args.folder} ({kind}, {results[names[0]][0]['n']} pages)")
    print(f"{'':24s}" + "".join(f"{n:>{width}s}" for n in names))
    for key in keys:
        print(f"{key:24s}" + "".join(f"{results[n][1][key]:>{width}.4f}" for n in names))
    print(f"{'docs/s (CPU, 1 process)':24s}"
          + "".join(f"{results[n][0]['docs_per_s']:>{width}.1f}" for n in names))
    print(f"{'CPU ms/page':24s}"
          + "".join(f"{1000 / max(results[n][0]['docs_per_s'], 1e-9):>{width}.1f}" for n in names))
    if len(names) >= 2:
        ratio = results[names[0]][0]["busy"] / max(results[names[1]][0]["busy"], 1e-9)
        print(f"time ratio {names[0]}/{names[1]}: {ratio:.2f}")
    for name in names:
        docs = sorted(results[name][2], key=lambda d: d["f1"])[: args.worst]
        half = " of the tune half" if kind == "news" else ""
        print(f"\nworst {len(docs)} pages{half} ({name}):")
        for d in docs:
            if kind == "body":
                print(f"  {d['id'][:16]}  f1={d['f1']:.3f}  P={d['precision']:.3f}  R={d['recall']:.3f}")
            elif kind == "news":
                print(f"  {d['id'][:16]}  body f1={d['f1']:.3f}  " + "; ".join(d["wrong"])[:160])
            else:
                print(f"  {d['id'][:16]}  " + "; ".join(d["wrong"])[:200])
    print(f"\npredictions in {outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
