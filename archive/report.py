"""The archive's health as one self-contained HTML page for archivists.

``gather`` turns the past runs (as `history` reads them from the crawl manifests) and the
runs' JSONL records into report data; ``render_html`` draws it: Vega-Lite charts built with
altair, the vega/vega-lite/vega-embed JavaScript inlined from vl-convert's bundle, so the page
needs no network.  Whatever cannot be read (a corrupt manifest or JSONL, a missing JSONL) is
named in the page's problems part and counted, never raised.
"""

from __future__ import annotations

import functools
import json
import os
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from archive.jsonl_gzip import stored_lines
from archive.layout import CRAWLS_PREFIX, articles_key, key_problem, manifest_key, part_path
from archive.storage import Storage, StorageError

#: Field coverage: the share of a run's records that have each of these.
COVERAGE_FIELDS = ("authors", "published", "image", "image credit", "section")
#: Per-run article counts of an incremental crawl, when its manifest has them.
REVISION_COUNTS = ("articles_new", "articles_updated", "articles_unchanged", "not_modified")
SLOWEST_RUNS = 10
LATEST_PROBLEMS = 30
FAILING_RUNS = 50


class PastRun(Protocol):
    """One crawl as its manifest records it (``crawler.run_history.CrawlRun``)."""

    crawl_id: str
    sites: list[str]
    started_at: str | None
    finished_at: str | None
    status: str
    counts: dict[str, Any]
    problems: list[str]

    @property
    def duration_seconds(self) -> float | None: ...

    @property
    def errors(self) -> int: ...


@dataclass(frozen=True)
class RunRow:
    """One run of one site, as the report shows it."""

    crawl_id: str
    site: str
    started_at: str
    duration_seconds: float | None
    status: str
    new: int
    updated: int
    #: True when the manifest counts new/updated articles, False when ``new`` is all articles
    revision_counts: bool
    errors: int
    warc_bytes: int
    problems: list[str]

    @property
    def failing(self) -> bool:
        """Ended other than complete or with problems (HTTP errors alone are the site's)."""
        return self.status != "complete" or bool(self.problems)


@dataclass(frozen=True)
class Coverage:
    """The share of one run's records (of one site) that have each ``COVERAGE_FIELDS``."""

    crawl_id: str
    site: str
    started_at: str
    records: int
    shares: dict[str, float]


@dataclass
class ReportData:
    target: str
    runs: list[RunRow] = field(default_factory=list)
    coverage: list[Coverage] = field(default_factory=list)
    #: (key, what was wrong) for every part of the archive that could not be read
    reading_problems: list[tuple[str, str]] = field(default_factory=list)
    generated_at: str = field(
        default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))


def gather(storage: Storage, runs: Iterable[PastRun],
           unreadable: Mapping[str, str] | None = None) -> ReportData:
    """Report data for ``runs`` (newest first) of the archive in ``storage``; ``unreadable``
    (manifest key → problem) goes to the reading problems."""
    data = ReportData(storage.uri)
    data.reading_problems += sorted((key, f"unreadable manifest: {problem}")
                                    for key, problem in (unreadable or {}).items())
    runs = list(runs)
    if not runs and not unreadable:
        data.reading_problems.append((CRAWLS_PREFIX, "no crawl manifests: the archive has no runs yet"))
    for run in runs:
        # A manifest is JSON written by a crawl, but may have been edited or damaged since.
        started = run.started_at if isinstance(run.started_at, str) else ""
        started = started or _start_from_id(run.crawl_id)
        sites = [str(site) for site in run.sites]
        data.runs.append(_run_row(run, ",".join(sites) or "?", started, data.reading_problems))
        for site in sites:
            coverage = _coverage(storage, run, site, started, data.reading_problems)
            if coverage is not None:
                data.coverage.append(coverage)
    return data


def _start_from_id(crawl_id: str) -> str:
    from archive.crawl_id import crawl_date

    try:
        return crawl_date(crawl_id).isoformat()
    except ValueError:
        return ""


def _count(counts: Mapping[str, Any], name: str) -> int:
    value = counts.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _run_row(run: PastRun, site: str, started: str,
             problems: list[tuple[str, str]]) -> RunRow:
    counts = run.counts
    # (a crawl with incremental crawling off writes these counts as 0: its articles are "articles")
    revision_counts = any(_count(counts, name) for name in REVISION_COUNTS)
    try:
        errors = run.errors
    except (TypeError, ValueError):
        errors = 0
        problems.append((manifest_key(run.crawl_id), "error counts are not numbers: shown as 0"))
    return RunRow(
        crawl_id=run.crawl_id, site=site, started_at=started,
        duration_seconds=run.duration_seconds, status=run.status,
        new=_count(counts, "articles_new") if revision_counts else _count(counts, "articles"),
        updated=_count(counts, "articles_updated"), revision_counts=revision_counts,
        errors=errors, warc_bytes=_count(counts, "warc_bytes"), problems=list(run.problems))


def _coverage(storage: Storage, run: PastRun, site: str, started: str,
              problems: list[tuple[str, str]]) -> Coverage | None:
    try:
        key = articles_key(site, run.crawl_id)
    except ValueError:
        problems.append((manifest_key(run.crawl_id),
                         "crawl id has no start time: its JSONL cannot be located"))
        return None
    if key_problem(key):
        problems.append((key, f"JSONL key {key_problem(key)}: not read"))
        return None
    try:
        present = storage.head(key) is not None
    except StorageError as exc:
        problems.append((key, f"cannot read JSONL: {exc}"))
        return None
    if not present:
        if _count(run.counts, "articles"):
            problems.append((key, f"JSONL missing: the manifest counts "
                                  f"{_count(run.counts, 'articles')} articles"))
        return None
    have = dict.fromkeys(COVERAGE_FIELDS, 0)
    records = 0
    for record in _records(storage, key, problems):
        records += 1
        for name in COVERAGE_FIELDS:
            have[name] += has_field(record, name)
    if not records:
        return None
    return Coverage(run.crawl_id, site, started, records,
                    {name: have[name] / records for name in COVERAGE_FIELDS})


def has_field(record: Mapping[str, Any], name: str) -> bool:
    """Whether ``record`` has a value for the coverage field ``name``."""
    image = record.get("image")
    if name == "image":
        return isinstance(image, dict) and bool(image.get("url"))
    if name == "image credit":
        return isinstance(image, dict) and bool(image.get("credit"))
    return bool(record.get(name))


def _records(storage: Storage, key: str,
             problems: list[tuple[str, str]]) -> Iterator[Mapping[str, Any]]:
    bad_lines = 0
    try:
        for _, record in stored_lines(storage, key):
            if isinstance(record, dict):
                yield record
            else:
                bad_lines += 1
    except (StorageError, OSError, EOFError, zlib.error) as exc:
        problems.append((key, f"unreadable JSONL (records before the damage counted): {exc}"))
    if bad_lines:
        problems.append((key, f"{bad_lines} lines are not JSON records: skipped"))


# --- the page ------------------------------------------------------------------------------


def failing_runs(data: ReportData) -> list[RunRow]:
    return [run for run in data.runs if run.failing]


def slowest_runs(data: ReportData, limit: int = SLOWEST_RUNS) -> list[RunRow]:
    timed = [run for run in data.runs if run.duration_seconds is not None]
    return sorted(timed, key=lambda run: run.duration_seconds or 0.0, reverse=True)[:limit]


def latest_problems(data: ReportData, limit: int = LATEST_PROBLEMS) -> list[tuple[RunRow, str]]:
    """The runs' problems, newest run first."""
    return [(run, problem) for run in data.runs for problem in run.problems][:limit]


def format_bytes(size: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def run_label(run: RunRow | Coverage) -> str:
    """``site · YYYY-MM-DD HH:MM`` (UTC as the manifest says), unique with the crawl id."""
    return f"{run.site} · {run.started_at[:16].replace('T', ' ')} · {run.crawl_id[-6:]}"


def format_time(text: str) -> str:
    """An ISO 8601 time as ``YYYY-MM-DD HH:MM:SS`` in UTC (as given when it does not parse)."""
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return text
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment.tzinfo else f"{moment:%Y-%m-%d %H:%M:%S}"


def format_duration(seconds: float | None) -> str:
    """``42s``, ``3m07s``, ``2h05m`` (``?`` when unknown): in the report, ``history`` and
    ``status``."""
    if seconds is None:
        return "?"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


# --- charts (Vega-Lite through altair) -------------------------------------------------------


def runs_chart(runs: Sequence[RunRow]) -> Any:
    """Articles, errors and WARC size of every run, over time, one line per site."""
    import altair as alt

    revisions = any(run.revision_counts for run in runs)
    rows = []
    for run in runs:
        measures = ({"new articles": run.new, "updated articles": run.updated} if revisions
                    else {"articles": run.new})
        measures |= {"errors": run.errors, "WARC bytes": run.warc_bytes}
        rows += [{"site": run.site, "crawl": run.crawl_id, "started": run.started_at,
                  "status": run.status, "measure": measure, "value": value}
                 for measure, value in measures.items()]
    order = list(dict.fromkeys(row["measure"] for row in rows))
    base = alt.Chart(alt.Data(values=rows, name="runs")).encode(
        x=alt.X("started:T", title=None,
                axis=alt.Axis(format="%b %d %H:%M:%S", tickCount=4, labelFlush=True)),
        y=alt.Y("value:Q", title=None, axis=alt.Axis(format="~s")),
        color=alt.Color("site:N", title="site"),
        tooltip=["site:N", "crawl:N", alt.Tooltip("started:T", format="%Y-%m-%d %H:%M:%S"),
                 "status:N", "measure:N", "value:Q"],
    )
    return (base.mark_line(point=alt.OverlayMarkDef(size=60), strokeWidth=2)
            .properties(width=400, height=170)
            .facet(facet=alt.Facet("measure:N", sort=order, title=None,
                                   header=alt.Header(labelFontSize=13, labelFontWeight="bold")),
                   columns=2)
            .resolve_scale(y="independent", x="independent"))


def coverage_chart(coverage: Sequence[Coverage]) -> Any:
    """A heat map: one row per run and site, one column per field, the share written in."""
    import altair as alt

    rows = [{"run": run_label(run), "site": run.site, "crawl": run.crawl_id,
             "records": run.records, "field": name, "share": round(share, 4)}
            for run in coverage for name, share in run.shares.items()]
    labels = list(dict.fromkeys(row["run"] for row in rows))
    base = alt.Chart(alt.Data(values=rows, name="coverage")).encode(
        x=alt.X("field:N", sort=list(COVERAGE_FIELDS), title=None,
                axis=alt.Axis(orient="top", labelAngle=0, labelFontSize=12)),
        y=alt.Y("run:N", sort=labels, title=None, axis=alt.Axis(labelFontSize=11, labelLimit=360)),
    )
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color("share:Q", title="share", scale=alt.Scale(domain=[0, 1], scheme="greens"),
                        legend=alt.Legend(format=".0%")),
        tooltip=["site:N", "crawl:N", "records:Q", "field:N",
                 alt.Tooltip("share:Q", format=".1%")],
    )
    text = base.mark_text(fontSize=12).encode(
        text=alt.Text("share:Q", format=".0%"),
        color=alt.condition(alt.datum.share > 0.6, alt.value("white"), alt.value("#222")),
    )
    return (cells + text).properties(width=110 * len(COVERAGE_FIELDS),
                                     height=alt.Step(26))


def slowest_chart(runs: Sequence[RunRow]) -> Any:
    """The slowest runs, longest first, coloured by how they ended."""
    import altair as alt

    rows = [{"run": run_label(run), "site": run.site, "crawl": run.crawl_id,
             "seconds": round(run.duration_seconds or 0.0, 1),
             "took": format_duration(run.duration_seconds), "status": run.status}
            for run in runs]
    # complete in blue, every other way to end in a warm colour
    statuses = sorted({run.status for run in runs},
                      key=lambda status: (status != "complete", status))
    warm = ["#e45756", "#f58518", "#b279a2", "#9d755d", "#eeca3b"]
    colours = [("#4c78a8" if status == "complete" else warm[n % len(warm)])
               for n, status in enumerate(statuses)]
    base = alt.Chart(alt.Data(values=rows, name="slowest")).encode(
        y=alt.Y("run:N", sort=[row["run"] for row in rows], title=None,
                axis=alt.Axis(labelLimit=360)),
        x=alt.X("seconds:Q", title="seconds"),
    )
    bars = base.mark_bar(height=alt.RelativeBandSize(0.7)).encode(
        color=alt.Color("status:N", scale=alt.Scale(domain=statuses, range=colours),
                        legend=alt.Legend(orient="bottom", title=None)),
        tooltip=["site:N", "crawl:N", "took:N", "status:N"],
    )
    labels = base.mark_text(align="left", dx=4, fontSize=11).encode(text="took:N")
    return (bars + labels).properties(width=560, height=alt.Step(24))


def chart_specs(data: ReportData) -> dict[str, dict[str, Any]]:
    """name → Vega-Lite spec of each chart the page shows (only those with data)."""
    specs: dict[str, dict[str, Any]] = {}
    if data.runs:
        specs["runs"] = runs_chart(data.runs).to_dict()
    if data.coverage:
        specs["coverage"] = coverage_chart(data.coverage).to_dict()
    slowest = slowest_runs(data)
    if slowest:
        specs["slowest"] = slowest_chart(slowest).to_dict()
    return specs


@functools.cache
def vega_javascript() -> str:
    """vega, vega-lite and vega-embed in one script, for the Vega-Lite version altair writes
    (what ``altair``'s ``to_html(inline=True)`` inlines)."""
    import altair as alt
    import vl_convert

    vl_version = "_".join(alt.SCHEMA_VERSION.split(".")[:2])
    bundle: str = vl_convert.javascript_bundle(vl_version=vl_version)
    return bundle


# --- the page ---------------------------------------------------------------------------------


def render_html(data: ReportData) -> str:
    """The whole page, every script inlined."""
    import jinja2

    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    environment.filters["duration"] = format_duration
    environment.filters["bytes"] = format_bytes
    environment.filters["time"] = format_time
    specs = chart_specs(data)
    # JSON inside <script>: no "<" left that could close it.
    specs_json = json.dumps(specs, ensure_ascii=False).replace("<", "\\u003c")
    articles = sum(run.new + run.updated for run in data.runs)
    failing = failing_runs(data)
    return environment.from_string(PAGE).render(
        data=data, specs=specs, specs_json=specs_json, vega_javascript=vega_javascript(),
        failing=failing, failing_shown=failing[:FAILING_RUNS], problems=latest_problems(data),
        sites=sorted({run.site for run in data.runs}), articles=articles,
        warc_bytes=sum(run.warc_bytes for run in data.runs),
        revision_counts=any(run.revision_counts for run in data.runs),
        all_revision_counts=all(run.revision_counts for run in data.runs),
    )


PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>newsarchive report: {{ data.target }}</title>
<style>
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222;
         margin: 0; background: #f6f7f9; }
  main { max-width: 1120px; margin: 0 auto; padding: 24px 28px 48px; }
  h1 { font-size: 22px; margin: 0 0 2px; }
  h2 { font-size: 17px; margin: 0 0 4px; }
  .sub, .note { color: #666; font-size: 13px; margin: 0 0 12px; }
  section { background: #fff; border: 1px solid #e2e5ea; border-radius: 8px;
            padding: 16px 20px; margin: 16px 0; }
  .tiles { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
  .tile { background: #fff; border: 1px solid #e2e5ea; border-radius: 8px; padding: 10px 16px;
          min-width: 120px; }
  .tile b { display: block; font-size: 20px; }
  .tile span { color: #666; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
  .tile.bad b { color: #c0392b; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; }
  th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #eceef1;
           vertical-align: top; }
  th { color: #555; font-weight: 600; background: #fafbfc; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  code { font-size: 12px; }
  .status-complete { color: #2e7d32; }
  .status-bad { color: #c0392b; font-weight: 600; }
  .empty { color: #666; font-style: italic; }
  .chart { overflow-x: auto; }
  td.when, td code, td.status-complete, td.status-bad { white-space: nowrap; }
</style>
<script>
{{ vega_javascript | safe }}
</script>
</head>
<body>
<main>
<h1>newsarchive report</h1>
<p class="sub">Archive <code>{{ data.target }}</code> · generated {{ data.generated_at | time }}</p>

<div class="tiles">
  <div class="tile" id="tile-runs"><b>{{ data.runs | length }}</b><span>runs</span></div>
  <div class="tile"><b>{{ sites | length }}</b><span>sites</span></div>
  <div class="tile"><b>{{ articles }}</b><span>articles written</span></div>
  <div class="tile"><b>{{ warc_bytes | bytes }}</b><span>WARC written</span></div>
  <div class="tile{{ ' bad' if failing }}" id="tile-failing"><b>{{ failing | length }}</b><span>failing runs</span></div>
  <div class="tile{{ ' bad' if data.reading_problems }}" id="tile-problems"><b>{{ data.reading_problems | length }}</b><span>problems reading</span></div>
</div>

{% if data.reading_problems %}
<section id="problems">
  <h2>Problems reading the archive ({{ data.reading_problems | length }})</h2>
  <p class="note">These parts of the archive could not be read: what the page shows leaves them out.</p>
  <table>
    <tr><th>key</th><th>problem</th></tr>
    {% for key, problem in data.reading_problems %}
    <tr><td><code>{{ key }}</code></td><td>{{ problem }}</td></tr>
    {% endfor %}
  </table>
</section>
{% endif %}

<section id="runs">
  <h2>Runs over time</h2>
  {% if 'runs' in specs %}
  <p class="note">Per run and site: {% if revision_counts %}articles new and updated{% if not all_revision_counts %} (runs whose manifest has no such counts show all their articles as new){% endif %}{% else %}articles written (the manifests have no new/updated counts){% endif %}, errors (HTTP, download and extraction) and WARC bytes written.</p>
  <div class="chart" id="chart-runs"></div>
  {% else %}<p class="empty">No runs.</p>{% endif %}
</section>

<section id="coverage">
  <h2>Field coverage</h2>
  {% if 'coverage' in specs %}
  <p class="note">Share of each run's JSONL records that have authors, a publication date, a lead image, an image credit and a section.</p>
  <div class="chart" id="chart-coverage"></div>
  {% else %}<p class="empty">No JSONL records.</p>{% endif %}
</section>

<section id="slowest">
  <h2>Slowest runs</h2>
  {% if 'slowest' in specs %}
  <div class="chart" id="chart-slowest"></div>
  {% else %}<p class="empty">No finished runs.</p>{% endif %}
</section>

<section id="failing">
  <h2>Failing runs ({{ failing | length }})</h2>
  <p class="note">Runs that ended other than complete or recorded a problem, newest first{% if failing | length > failing_shown | length %} (the {{ failing_shown | length }} newest shown){% endif %}.</p>
  {% if failing %}
  <table>
    <tr><th>started</th><th>site</th><th>crawl</th><th>status</th><th>errors</th><th>took</th><th>problems</th></tr>
    {% for run in failing_shown %}
    <tr><td class="when">{{ run.started_at | time }}</td><td>{{ run.site }}</td><td><code>{{ run.crawl_id }}</code></td>
        <td class="{{ 'status-complete' if run.status == 'complete' else 'status-bad' }}">{{ run.status }}</td>
        <td class="num">{{ run.errors }}</td><td class="num">{{ run.duration_seconds | duration }}</td>
        <td>{{ run.problems | join('; ') }}</td></tr>
    {% endfor %}
  </table>
  {% else %}<p class="empty">None: every run completed without a problem.</p>{% endif %}
</section>

<section id="latest-problems">
  <h2>Latest problems</h2>
  {% if problems %}
  <table>
    <tr><th>started</th><th>site</th><th>crawl</th><th>message</th></tr>
    {% for run, message in problems %}
    <tr><td class="when">{{ run.started_at | time }}</td><td>{{ run.site }}</td><td><code>{{ run.crawl_id }}</code></td><td>{{ message }}</td></tr>
    {% endfor %}
  </table>
  {% else %}<p class="empty">No run recorded a problem.</p>{% endif %}
</section>
</main>
<script type="application/json" id="chart-specs">{{ specs_json | safe }}</script>
<script>
  // The views, by chart name, for whoever wants to look inside (the tests do).
  window.newsarchiveViews = {};
  const specs = JSON.parse(document.getElementById("chart-specs").textContent);
  window.newsarchiveChartsDrawn = Promise.all(Object.entries(specs).map(([name, spec]) =>
    vegaEmbed("#chart-" + name, spec, {actions: false, renderer: "svg"})
      .then((result) => { window.newsarchiveViews[name] = result.view; })
  )).then(() => { document.body.dataset.charts = "drawn"; },
          (error) => { document.body.dataset.charts = "failed: " + error; throw error; });
</script>
</body>
</html>
"""


def write_report(path: str | os.PathLike[str], data: ReportData) -> None:
    """Write the page to ``path`` whole or not at all."""
    target = Path(path)
    partial = part_path(target)
    partial.write_text(render_html(data), encoding="utf-8")
    os.replace(partial, target)
