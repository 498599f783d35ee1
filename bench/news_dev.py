"""news-dev in one run: ours vs plain trafilatura, both halves, and ablations.

    python bench/news_dev.py [--shared ../shared] [--processes 2] [--save DIR]
    python bench/news_dev.py --ablate figure-credit [--older]
    python bench/news_dev.py --each [NAME ...] [--table FILE]
    python bench/news_dev.py --cost [--rounds 3]

Extracts every page of ``news-dev`` (process pool), scores the tune half (pages not in
``check-ids.txt``) and the check half *as a whole* with the folder's ``score.py``, beside plain
trafilatura from the same run, and prints CPU ms/page of both (extraction CPU time, so other
load on the shared machine does not count) and their ratio.

``--ablate NAME[,NAME]`` (a rule of ``pipelines.extract.rules.RULES`` or a module switch of
``bench/ablation.py``) also runs ours with those parts off and prints the off/on columns; for
the tune half only, the publishers whose pages are better or worse *with the part on* (as
shipped) than with it off, per score.  ``--older`` adds extraction-dev (body) and metadata-dev
(title/authors/date/snippets) to the same columns, with the pages of those sets that change.
The check half is never shown per page.

``--each`` ablates every rule and switch (or the names given) one at a time against one run of
ours, on all three sets, and prints (and with ``--table`` writes) one markdown row per name:
every score it moves (on minus off) on news-dev tune, news-dev check (as a whole),
extraction-dev and metadata-dev; the tune publishers and the older sets' pages and hosts
better/worse with it on.  A part that can only move fields of some sets (``ONLY_MOVES``) runs
on those only.  Its CPU cost comes from ``--cost``: the difference of two runs is noise on a
loaded machine.

``--cost`` extracts news-dev in this one process with each module switch's entry points
timed (inclusive), and prints the CPU ms/page spent inside each beside the whole extraction:
steadier than the difference of two runs on a loaded machine.
"""

from __future__ import annotations

import argparse
import html
from urllib.parse import urlsplit
import importlib.util
import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from datetime import timezone
from pathlib import Path
from types import ModuleType

import lxml.html

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import ablation  # noqa: E402
from bench.extraction import predict_trafilatura, score_body, score_metadata  # noqa: E402
from crawler.cli.extract_cmd import predict_folder, predict_newsarchive, read_truth  # noqa: E402

NEWS_KEYS = ("body_f1", "body_precision", "body_recall", "authors", "no_author_kept_empty",
             "title", "published_day", "published_instant", "image_credit", "image_caption",
             "tags_f1")


def run(folder: Path, predictor, processes: int, out: Path) -> dict:
    """Predictions of ``folder`` into ``out``; CPU seconds spent extracting."""
    busy = 0.0
    n = 0
    with out.open("w", encoding="utf-8") as f:
        for prediction, seconds in predict_folder(folder, predictor, processes, fresh=True):
            f.write(json.dumps(prediction, ensure_ascii=False) + "\n")
            busy += seconds
            n += 1
    return {"n": n, "busy": busy}


def score_news(folder: Path, preds: Path, half: str) -> dict:
    flag = "--except" if half == "tune" else "--only"
    res = subprocess.run([sys.executable, str(folder / "score.py"), str(preds), "--json",
                          flag, str(folder / "check-ids.txt")],
                         capture_output=True, text=True, check=True)
    return json.loads(res.stdout)


def load_scorer(folder: Path) -> ModuleType:
    """The set's own ``score.py`` as a module."""
    spec = importlib.util.spec_from_file_location(f"score_{folder.name.replace('-', '_')}",
                                                  folder / "score.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tune_page_scores(folder: Path, preds: Path) -> dict[str, dict[str, float]]:
    """Per tune page (never a check page): the score.py figures of that page alone."""
    scorer = load_scorer(folder)
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
        if t.get("title"):
            row["title"] = float(scorer.norm(p.get("title")) == scorer.norm(t["title"]))
        gold_day, _ = scorer.parse_time(t.get("published"))
        if gold_day is not None:
            day, with_time = scorer.parse_time(p.get("published"))
            row["published_day"] = float(day is not None and day.date() == gold_day.date())
            instant = False
            if day is not None and with_time and gold_day.tzinfo is not None:
                aware = day if day.tzinfo else day.replace(tzinfo=timezone.utc)
                instant = abs((aware - gold_day).total_seconds()) <= 60
            row["published_instant"] = float(instant)
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


OLDER_SETS = ("extraction-dev", "metadata-dev")


def older_scores(shared: Path, preds: tuple[Path, Path]) -> tuple[dict[str, float], dict]:
    """extraction-dev body and metadata-dev figures of one system, and per page (both are
    tune sets: per-page results may be read) the figures that page has: ``{"xdev:ID": {"body
    f1": …}, "mdev:ID": {"authors"|"no-author": 0/1, "title": 0/1, "published": 0/1}}``."""
    body_preds, meta_preds = preds
    body, body_docs = score_body(shared / "extraction-dev", body_preds,
                                 shared / "extraction-dev" / "truth.jsonl")
    meta, meta_docs = score_metadata(shared / "metadata-dev", meta_preds,
                                     shared / "metadata-dev" / "truth.jsonl")
    figures = {"xdev body_f1": body["f1"], "xdev body_precision": body["precision"],
               "xdev body_recall": body["recall"],
               **{f"mdev {k}": meta[k] for k in ("authors", "no_author_kept_empty", "title",
                                                 "published", "with", "without")}}
    pages: dict[str, dict[str, float]] = {f"xdev:{d['id']}": {"body f1": d["f1"]}
                                          for d in body_docs}
    rows = read_truth(shared / "metadata-dev")
    for row, doc in zip(rows, meta_docs):
        wrong = {w.split()[0] for w in doc["wrong"]}
        gold = row.get("author")
        has_gold = any(a.strip() for a in (gold if isinstance(gold, list)
                                           else (gold or "").split(";")))
        fields = {"authors" if has_gold else "no-author": float("authors" not in wrong)}
        if row.get("title"):
            fields["title"] = float("title" not in wrong)
        if row.get("date"):
            fields["published"] = float("published" not in wrong)
        pages[f"mdev:{doc['id']}"] = fields
    return figures, pages


def page_hosts(shared: Path) -> dict[str, str]:
    """``xdev:ID``/``mdev:ID`` → the page's host (``www.`` dropped)."""
    out = {}
    for sub, tag in zip(OLDER_SETS, ("xdev", "mdev")):
        for row in read_truth(shared / sub):
            host = urlsplit(row.get("url") or "").hostname or "?"
            out[f"{tag}:{row['id']}"] = host.removeprefix("www.")
    return out


def changed_pages(on: dict[str, dict[str, float]], off: dict[str, dict[str, float]]
                  ) -> dict[str, tuple[set[str], set[str]]]:
    """Per figure: the pages better and worse with the part on than with it off."""
    out: dict[str, tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
    for pid, row in on.items():
        for key, value in row.items():
            if key == "publisher":
                continue
            before = off.get(pid, {}).get(key, 0.0)
            if value > before + 1e-9:
                out[key][0].add(pid)
            elif value < before - 1e-9:
                out[key][1].add(pid)
    return out


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


def _tune_publishers(folder: Path, on: Path, off: Path) -> dict[str, tuple[set[str], set[str]]]:
    """Per score: the tune-half publishers with a page better / worse with the part on."""
    on_rows, off_rows = tune_page_scores(folder, on), tune_page_scores(folder, off)
    publisher = {pid: str(row["publisher"]) for pid, row in on_rows.items()}
    return {key: ({publisher[p] for p in better}, {publisher[p] for p in worse})
            for key, (better, worse) in changed_pages(on_rows, off_rows).items()}


def _ms(timing: dict) -> float:
    return 1000 * timing["busy"] / max(1, timing["n"])


def _moves(on: dict[str, float], off: dict[str, float], keys) -> str:
    """``key +0.0123`` for every score that moves (on minus off), or ``–``."""
    out = [f"{key} {on[key] - off[key]:+.4f}" for key in keys
           if abs(on[key] - off[key]) >= 0.00005]
    return ", ".join(out) or "–"


def _count(names: set[str], limit: int = 6) -> str:
    if not names:
        return "0"
    shown = sorted(names)
    more = f" +{len(shown) - limit}" if len(shown) > limit else ""
    return f"{len(shown)} ({', '.join(shown[:limit])}{more})"


# Parts that can only move the fields these sets score, by construction: the other sets' "off"
# predictions are the "on" ones (dates and tags feed neither the body nor the authors; the
# image rules touch only the image, which only news-dev scores).
ONLY_MOVES: dict[str, tuple[str, ...]] = {
    "declared-tags": ("news-dev",), "meta-keywords": ("news-dev",),
    "figure-credit": ("news-dev",), "lead-figure": ("news-dev",), "alt-caption": ("news-dev",),
    "printed-dates": ("news-dev", "metadata-dev"), "htmldate": ("news-dev", "metadata-dev"),
    "newsroom-byline": ("news-dev", "metadata-dev"),
    "page-type": (),  # is_article and reason only: no scorer reads them
    "signature-author": ("news-dev", "metadata-dev"), "site-owner": ("news-dev", "metadata-dev"),
}


def ablate_each(args: argparse.Namespace, folder: Path, outdir: Path) -> int:
    """One run of ours on the three sets (or its predictions from ``--save`` with
    ``--reuse-on``), then one run per name with that name off."""
    names = list(args.each) or ablation.known()
    hosts = page_hosts(args.shared)

    def all_sets(tag: str, predictor, sets: tuple[str, ...] = ("news-dev", *OLDER_SETS),
                 reuse: bool = False) -> dict:
        paths = {}
        for sub in ("news-dev", *OLDER_SETS):
            paths[sub] = outdir / f"{sub}-{tag if sub in sets else 'ours'}.jsonl"
            if sub in sets and not (reuse and paths[sub].is_file()):
                run(args.shared / sub, predictor, args.processes, paths[sub])
        older = (paths[OLDER_SETS[0]], paths[OLDER_SETS[1]])
        figures, pages = older_scores(args.shared, older)
        news = paths["news-dev"]
        return {"news": news, "tune": score_news(folder, news, "tune"),
                "check": score_news(folder, news, "check"), "older": figures, "pages": pages}

    on = all_sets("ours", predict_newsarchive, reuse=args.reuse_on)
    header = ("| off | news-dev tune (on − off) | tune publishers better / worse with it on "
              "| news-dev check, whole (on − off) | extraction-dev (on − off) "
              "| metadata-dev (on − off) | older-set pages better / worse (hosts) |")
    lines = [header, "|" + "---|" * 7]
    print("\n".join(lines), flush=True)
    details: list[str] = []
    for name in names:
        sets = ONLY_MOVES.get(name, ("news-dev", *OLDER_SETS))
        off = all_sets(name, ablation.Ablated((name,)), sets, reuse=args.reuse_on)
        pubs = _tune_publishers(folder, on["news"], off["news"])
        better_pubs = set().union(*(b for b, _ in pubs.values()))
        worse_pubs = set().union(*(w for _, w in pubs.values()))
        older = changed_pages(on["pages"], off["pages"])
        better_pages = set().union(*(b for b, _ in older.values()))
        worse_pages = set().union(*(w for _, w in older.values()))
        xdev_keys = [k for k in on["older"] if k.startswith("xdev")]
        mdev_keys = [k for k in on["older"] if k.startswith("mdev")]
        unrun = "" if len(sets) == 3 else " (not run: cannot move)"
        row = (f"| `{name}` | {_moves(on['tune'], off['tune'], NEWS_KEYS)}"
               f"{unrun if 'news-dev' not in sets else ''} "
               f"| {len(better_pubs)} / {len(worse_pubs)} "
               f"| {_moves(on['check'], off['check'], NEWS_KEYS)} "
               f"| {_moves(on['older'], off['older'], xdev_keys)}"
               f"{unrun if 'extraction-dev' not in sets else ''} "
               f"| {_moves(on['older'], off['older'], mdev_keys)}"
               f"{unrun if 'metadata-dev' not in sets else ''} "
               f"| {len(better_pages)} ({len({hosts[p] for p in better_pages})}) / "
               f"{len(worse_pages)} ({len({hosts[p] for p in worse_pages})}) |")
        lines.append(row)
        print(row, flush=True)
        detail = [f"`{name}` — with it on rather than off:"]
        for key, (b, w) in sorted(pubs.items()):
            detail.append(f"  news-dev tune {key}: better on {_count(b)}; worse on {_count(w)}")
        for key, (b, w) in sorted(older.items()):
            set_name = "extraction-dev" if key == "body f1" else "metadata-dev"
            detail.append(f"  {set_name} {key}: better on {len(b)} pages of hosts "
                          f"{_count({hosts[p] for p in b})}; worse on {len(w)} pages of hosts "
                          f"{_count({hosts[p] for p in w})}")
        details.append("\n".join(detail))
        print(details[-1], flush=True)
        if args.table:
            args.table.write_text("\n".join(lines) + "\n\n" + "\n\n".join(details) + "\n",
                                  encoding="utf-8")
    print(f"\npredictions in {outdir}")
    return 0


def module_costs(folder: Path, rounds: int) -> int:
    """CPU ms/page inside each module switch's entry points on news-dev, in-process."""
    names = tuple(n for n in ablation.SWITCHES if n != "prune-xpath")
    per_round = []
    for _ in range(rounds):
        with ablation.costs(names) as spent:
            total = n = 0
            for _prediction, seconds in predict_folder(folder, predict_newsarchive, 1):
                total += seconds
                n += 1
        per_round.append({"whole extraction": total, **spent})
    print(f"news-dev, {n} pages, one process, median of {rounds} round(s): CPU ms/page inside")
    for key in per_round[0]:
        values = sorted(r.get(key, 0.0) for r in per_round)
        print(f"  {key:24s} {1000 * values[len(values) // 2] / max(1, n):8.2f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--save", type=Path, help="keep the prediction files in this folder")
    ap.add_argument("--ablate", metavar="NAME[,NAME]",
                    help=f"also run ours with these parts off: {', '.join(ablation.known())}")
    ap.add_argument("--each", nargs="*", metavar="NAME",
                    help="ablate each name (default: every rule and switch) one at a time, "
                         "on all three sets; one table row per name")
    ap.add_argument("--table", type=Path, help="with --each: write the table to this file")
    ap.add_argument("--reuse-on", action="store_true",
                    help="with --each and --save: reuse the predictions (ours', a name's) found in --save")
    ap.add_argument("--cost", action="store_true",
                    help="CPU ms/page inside each module switch's entry points, in-process")
    ap.add_argument("--rounds", type=int, default=1,
                    help="runs per system, alternating; the median CPU time is reported")
    ap.add_argument("--older", action="store_true",
                    help="also extraction-dev and metadata-dev (ours, and ours with --ablate)")
    args = ap.parse_args(argv)

    try:
        ablated = ablation.parse(args.ablate)
        ablation.parse(",".join(args.each or ()))
    except ValueError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    folder = args.shared / "news-dev"
    if not (folder / "check-ids.txt").is_file():
        print(f"bench: {folder}/check-ids.txt not found", file=sys.stderr)
        return 2
    if args.cost:
        return module_costs(folder, args.rounds)
    outdir = args.save or Path(tempfile.mkdtemp(prefix="bench-news-dev-"))
    outdir.mkdir(parents=True, exist_ok=True)
    if args.each is not None:
        return ablate_each(args, folder, outdir)

    systems = {"trafilatura": predict_trafilatura, "ours": predict_newsarchive}
    if ablated:
        systems[f"ours -{args.ablate}"] = ablation.Ablated(ablated)
    timing: dict[str, dict] = {}
    preds: dict[str, Path] = {}
    runs: dict[str, list[dict]] = defaultdict(list)
    for i in range(args.rounds):  # alternating, so a slow stretch of the machine hits all
        for name in list(systems)[:: 1 if i % 2 == 0 else -1]:
            preds[name] = outdir / f"news-dev-{name.replace(' ', '')}.jsonl"
            runs[name].append(run(folder, systems[name], args.processes, preds[name]))
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
        print(f"CPU ms/page {n:20s} {_ms(timing[n]):8.1f}")
    print(f"(median of {args.rounds} alternating run(s) each)")
    ratio = timing["ours"]["busy"] / max(timing["trafilatura"]["busy"], 1e-9)
    print(f"CPU ratio ours/trafilatura: {ratio:.2f}")

    if ablated:
        pubs = _tune_publishers(folder, preds["ours"], preds[names[-1]])
        print(f"\nwith {args.ablate} on (as shipped) rather than off, tune half: the publishers "
              "with a page better / worse")
        for key, (better, worse) in sorted(pubs.items()):
            print(f"  {key:22s} better on: {len(better)} {sorted(better)}"
                  f"  worse on: {len(worse)} {sorted(worse)}")

    if args.older:
        figures: dict[str, dict] = {}
        pages: dict[str, dict] = {}
        for name, predictor in systems.items():
            if name == "trafilatura":
                continue
            pair = tuple(outdir / f"{sub}-{name.replace(' ', '')}.jsonl" for sub in OLDER_SETS)
            for sub, path in zip(OLDER_SETS, pair):
                run(args.shared / sub, predictor, args.processes, path)
            figures[name], pages[name] = older_scores(args.shared, pair)  # type: ignore[arg-type]
            for sub, path in zip(OLDER_SETS, pair):
                share, n = unprinted_credit_share(args.shared / sub, path)
                figures[name][f"{sub[:4]} credits (records)"] = n
                figures[name][f"{sub[:4]} credit not printed"] = share
        onames = list(figures)
        print("\nolder sets")
        print(f"{'':24s}" + "".join(f"{n:>{width}s}" for n in onames))
        for key in figures[onames[0]]:
            print(f"{key:24s}" + "".join(f"{figures[n][key]:>{width}.4f}" for n in onames))
        if len(onames) == 2:
            hosts = page_hosts(args.shared)
            changed = changed_pages(pages[onames[0]], pages[onames[1]])
            print(f"\nwith {args.ablate} on rather than off, older-set pages better / worse:")
            for key, (better, worse) in sorted(changed.items()):
                for label, ids in (("better on", better), ("worse on", worse)):
                    for pid in sorted(ids, key=lambda p: hosts[p]):
                        print(f"  {key:12s} {label:9s} {pid[:21]:21s} {hosts[pid]}")
    print(f"\npredictions in {outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
