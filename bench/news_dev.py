"""news-dev in one run: ours vs plain trafilatura, both halves, and a rule's ablation.

    python bench/news_dev.py [--shared ../shared] [--processes 2] [--save DIR]
    python bench/news_dev.py --ablate figure-credit [--older]

Extracts every page of ``news-dev`` (process pool), scores the tune half (pages not in
``check-ids.txt``) and the check half *as a whole* with the folder's ``score.py``, beside plain
trafilatura from the same run, and prints CPU ms/page of both (extraction CPU time, so other
load on the shared machine does not count) and their ratio.

``--ablate NAME`` (a rule of ``pipelines.extract.rules.RULES``) also runs ours with that rule
off (``NEWSARCHIVE_EXTRACT_ABLATE``) and prints the off/on columns; for the tune half only, the
publishers whose pages the rule changes for the better or the worse, per score.  ``--older``
adds extraction-dev (body) and metadata-dev (title/authors/date/snippets) to the same columns,
with the pages of those sets that change.  The check half is never shown per page.
"""

from __future__ import annotations

import argparse
import html
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import lxml.html

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.extraction import predict_trafilatura  # noqa: E402
from crawler.cli.extract_cmd import predict_folder, predict_newsarchive, read_truth  # noqa: E402
from pipelines.extract.rules import ABLATE_ENV, RULES  # noqa: E402

NEWS_KEYS = ("body_f1", "body_precision", "body_recall", "authors", "no_author_kept_empty",
             "title", "published_day", "published_instant", "image_credit", "image_caption",
             "tags_f1")


def run(folder: Path, predictor, processes: int, out: Path, ablate: str | None = None) -> dict:
    """Predictions of ``folder`` into ``out``; CPU seconds spent extracting."""
    old = os.environ.pop(ABLATE_ENV, None)
    if ablate:
        os.environ[ABLATE_ENV] = ablate  # the fork-started workers inherit it
    try:
        busy = 0.0
        n = 0
        with out.open("w", encoding="utf-8") as f:
            for prediction, seconds in predict_folder(folder, predictor, processes, fresh=True):
                f.write(json.dumps(prediction, ensure_ascii=False) + "\n")
                busy += seconds
                n += 1
    finally:
        os.environ.pop(ABLATE_ENV, None)
        if old is not None:
            os.environ[ABLATE_ENV] = old
    return {"n": n, "busy": busy}


def score_news(folder: Path, preds: Path, half: str) -> dict:
    flag = "--except" if half == "tune" else "--only"
    res = subprocess.run([sys.executable, str(folder / "score.py"), str(preds), "--json",
                          flag, str(folder / "check-ids.txt")],
                         capture_output=True, text=True, check=True)
    return json.loads(res.stdout)


def _load_scorer(folder: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"score_{folder.name.replace('-', '_')}",
                                                  folder / "score.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tune_page_scores(folder: Path, preds: Path) -> dict[str, dict[str, float]]:
    """Per tune page (never a check page): the score.py figures of that page alone."""
    scorer = _load_scorer(folder)
    check = set((folder / "check-ids.txt").read_text().split())
    lines = preds.read_text(encoding="utf-8").splitlines()
    by_id = {str(p["id"]): p for p in map(json.loads, lines)}
    out: dict[str, dict[str, float]] = {}
    for t in read_truth(folder):
        if t["id"] in check:
            continue
        p = by_id.get(str(t["id"]), {})
        row: dict[str, float] = {}
        bs = scorer.body_scores(p.get("text") or "", t.get("articleBody") or "")
        if bs:
            row["body_f1"] = bs[0]  # tp share: the page's shingle agreement
        gold = {scorer.norm(x) for x in t.get("authors") or [] if scorer.norm(x)}
        got = {scorer.norm(x) for x in p.get("authors") or [] if scorer.norm(x)}
        row["authors" if gold else "no_author_kept_empty"] = float(got == gold if gold else not got)
        imgs = t.get("images") or []
        cover = next((i for i in imgs if i.get("is_cover")), imgs[0] if imgs else None)
        pimg = p.get("image") or {}
        if cover and cover.get("credits"):
            c = scorer.squash(pimg.get("credit"))
            row["image_credit"] = float(bool(c) and any(
                scorer.squash(g) and (c == scorer.squash(g) or c in scorer.squash(g)
                                      or scorer.squash(g) in c) for g in cover["credits"]))
        if cover and cover.get("caption"):
            f1 = scorer.token_f1(pimg.get("caption"), cover["caption"])
            row["image_caption"] = float(f1 >= 0.8)
        if t.get("topics"):
            g = {scorer.norm(x) for x in t["topics"]}
            q = {scorer.norm(x) for x in p.get("tags") or []}
            tp = len(g & q)
            row["tags_f1"] = 0.0 if not tp else 2 * tp / (len(g) + len(q))
        row["publisher"] = t["publisher"]  # type: ignore[assignment]
        out[t["id"]] = row
    return out


def older_scores(shared: Path, preds: dict[str, Path]) -> tuple[dict[str, dict], dict[str, dict]]:
    """extraction-dev body and metadata-dev figures, and per-page scores, per system."""
    sys.path.insert(0, str(ROOT / "bench"))
    from extraction import score_body, score_metadata  # bench/extraction.py

    figures: dict[str, dict] = {}
    pages: dict[str, dict] = {}
    for name, (body_preds, meta_preds) in preds.items():  # type: ignore[misc]
        body, body_docs = score_body(shared / "extraction-dev", body_preds,
                                     shared / "extraction-dev" / "truth.jsonl")
        meta, meta_docs = score_metadata(shared / "metadata-dev", meta_preds,
                                         shared / "metadata-dev" / "truth.jsonl")
        figures[name] = {"xdev body_f1": body["f1"], "xdev body_precision": body["precision"],
                         "xdev body_recall": body["recall"],
                         **{f"mdev {k}": meta[k] for k in ("authors", "no_author_kept_empty",
                                                           "title", "published", "with",
                                                           "without")}}
        pages[name] = {**{f"xdev:{d['id']}": d["f1"] for d in body_docs},
                       **{f"mdev:{d['id']}": d["f1"] for d in meta_docs}}
    return figures, pages


def _squash(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def unprinted_credit_share(folder: Path, preds: Path) -> tuple[float, int]:
    """Share of the records with an image credit whose credit occurs nowhere in the page's
    markup (entities decoded) nor in its text (``<abbr>DCV</abbr> / Jane Doe`` is printed),
    compared on letters and digits: an invented credit."""
    rows = {str(r["id"]): r for r in read_truth(folder)}
    with_credit = unprinted = 0
    for line in preds.read_text(encoding="utf-8").splitlines():
        p = json.loads(line)
        credit = ((p.get("image") or {}).get("credit") or "").strip()
        if not credit:
            continue
        with_credit += 1
        row = rows[str(p["id"])]
        raw = (folder / "pages" / (row.get("file") or f"{row['id']}.html")).read_bytes()
        markup = raw.decode("utf-8", "replace")
        text = lxml.html.fromstring(markup.encode("utf-8")).text_content() if markup.strip() else ""
        unprinted += not any(_squash(credit) in _squash(where)
                             for where in (html.unescape(markup), text))
    return unprinted / max(1, with_credit), with_credit


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--save", type=Path, help="keep the prediction files in this folder")
    ap.add_argument("--ablate", metavar="RULE[,RULE]",
                    help=f"also run ours with these rules off: {', '.join(RULES)}")
    ap.add_argument("--rounds", type=int, default=1,
                    help="runs per system, alternating; the median CPU time is reported")
    ap.add_argument("--older", action="store_true",
                    help="also extraction-dev and metadata-dev (ours, and ours with --ablate)")
    args = ap.parse_args(argv)

    folder = args.shared / "news-dev"
    if not (folder / "check-ids.txt").is_file():
        print(f"bench: {folder}/check-ids.txt not found", file=sys.stderr)
        return 2
    unknown = [r for r in (args.ablate or "").split(",") if r and r not in RULES]
    if unknown:
        print(f"bench: unknown rule(s) {', '.join(unknown)}; known: {', '.join(RULES)}",
              file=sys.stderr)
        return 2
    outdir = args.save or Path(tempfile.mkdtemp(prefix="bench-news-dev-"))
    outdir.mkdir(parents=True, exist_ok=True)

    systems = {"trafilatura": (predict_trafilatura, None), "ours": (predict_newsarchive, None)}
    if args.ablate:
        systems[f"ours -{args.ablate}"] = (predict_newsarchive, args.ablate)
    timing: dict[str, dict] = {}
    preds: dict[str, Path] = {}
    runs: dict[str, list[dict]] = defaultdict(list)
    for i in range(args.rounds):  # alternating, so a slow stretch of the machine hits all
        for name in list(systems)[:: 1 if i % 2 == 0 else -1]:
            predictor, ablate = systems[name]
            preds[name] = outdir / f"news-dev-{name.replace(' ', '')}.jsonl"
            runs[name].append(run(folder, predictor, args.processes, preds[name], ablate))
    for name, r in runs.items():
        timing[name] = sorted(r, key=lambda t: t["busy"])[len(r) // 2]

    names = list(systems)
    width = max(14, *(len(n) + 2 for n in names))
    print(f"news-dev: {timing['ours']['n']} pages; tune = not in check-ids.txt, check = in it")
    for half in ("tune", "check"):
        scores = {n: score_news(folder, preds[n], half) for n in names}
        print(f"\n{half} half ({scores['ours']['counts']['pages']} pages)")
        print(f"{'':22s}" + "".join(f"{n:>{width}s}" for n in names))
        for key in NEWS_KEYS:
            print(f"{key:22s}" + "".join(f"{scores[n][key]:>{width}.4f}" for n in names))
    print()
    for n in names:
        ms = 1000 * timing[n]["busy"] / max(1, timing[n]["n"])
        print(f"CPU ms/page {n:20s} {ms:8.1f}")
    print(f"(median of {args.rounds} alternating run(s) each)")
    ratio = timing["ours"]["busy"] / max(timing["trafilatura"]["busy"], 1e-9)
    print(f"CPU ratio ours/trafilatura: {ratio:.2f}")

    if args.ablate:
        off_name = names[-1]
        on = tune_page_scores(folder, preds["ours"])
        off = tune_page_scores(folder, preds[off_name])
        better: dict[str, set[str]] = defaultdict(set)
        worse: dict[str, set[str]] = defaultdict(set)
        for pid, row in on.items():
            for key, value in row.items():
                if key == "publisher":
                    continue
                before = off[pid].get(key, 0.0)
                if value > before + 1e-9:
                    better[key].add(str(row["publisher"]))
                elif value < before - 1e-9:
                    worse[key].add(str(row["publisher"]))
        print(f"\nrule {args.ablate} on vs off, tune half: publishers whose pages change")
        for key in sorted(set(better) | set(worse)):
            print(f"  {key:22s} better: {len(better[key])} {sorted(better[key])}"
                  f"  worse: {len(worse[key])} {sorted(worse[key])}")

    if args.older:
        older: dict[str, tuple[Path, Path]] = {}
        for name, (predictor, ablate) in systems.items():
            if name == "trafilatura":
                continue
            pair = []
            for sub in ("extraction-dev", "metadata-dev"):
                path = outdir / f"{sub}-{name.replace(' ', '')}.jsonl"
                run(args.shared / sub, predictor, args.processes, path, ablate)
                pair.append(path)
            older[name] = (pair[0], pair[1])
        figures, pages = older_scores(args.shared, older)
        for name, pair in older.items():
            for sub, path in zip(("extraction-dev", "metadata-dev"), pair):
                share, n = unprinted_credit_share(args.shared / sub, path)
                figures[name][f"{sub[:4]} credits (records)"] = n
                figures[name][f"{sub[:4]} credit not printed"] = share
        onames = list(figures)
        print("\nolder sets")
        print(f"{'':24s}" + "".join(f"{n:>{width}s}" for n in onames))
        for key in figures[onames[0]]:
            print(f"{key:24s}" + "".join(f"{figures[n][key]:>{width}.4f}" for n in onames))
        if len(onames) == 2:
            on_p, off_p = pages[onames[0]], pages[onames[1]]
            changed = [(k, off_p.get(k, 0.0), v) for k, v in on_p.items()
                       if abs(v - off_p.get(k, 0.0)) > 1e-6]
            print(f"pages changed by the rule: {len(changed)}")
            for k, b, a in sorted(changed, key=lambda c: c[2] - c[1]):
                print(f"  {k[:24]:24s} off {b:.3f} -> on {a:.3f}")
    print(f"\npredictions in {outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
