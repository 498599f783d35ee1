"""Incremental crawling end to end against a real local news site whose articles change
between two runs into one archive: conditional re-checks, revisions, a corrupt seen-store,
bad recrawl policies."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from warcio.archiveiterator import ArchiveIterator

from archive.seen_store import SqliteSeenStore, text_digest
from crawler.demo.server import DemoServer
from crawler.demo.site import DemoSite
from pipelines.revisions import article_id
from tests.warc_checks import check_warc

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_V12 = ROOT / "pipelines" / "schema" / "article-v1.2.schema.json"
NOT_MODIFIED_PROFILE = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
CONDITIONAL = ("if-none-match", "if-modified-since")


def paragraphs(topic: str, version: str = "") -> list[str]:
    """Five paragraphs of original filler about ``topic`` (enough words to be an article)."""
    return [
        f"The {topic} was discussed at length by the harbour council on Tuesday evening, "
        f"when members heard from residents, traders and the port authority about the plans "
        f"and the money they would need over the next three years. {version}".strip(),
        f"Supporters of the {topic} said it would bring visitors to the old quarter and help "
        "the small shops along the quay, which have struggled since the ferry timetable was "
        "cut back last winter.",
        "Opponents warned that the council had underestimated the cost of maintenance and "
        "that the work would close the waterfront path for most of the summer, when it is "
        "busiest with families and cyclists.",
        "A decision is expected at the next full meeting of the council in April, after a "
        "public consultation that will run for six weeks and include two open evenings at "
        "the library on Market Street.",
        f"Council officers will publish a report on the {topic} before the meeting, setting "
        "out the options, the likely costs and the responses received during the "
        "consultation period.",
    ]


def fresh_article(slug: str, hours_ago: float, title: str) -> dict[str, Any]:
    published = datetime.now(UTC) - timedelta(hours=hours_ago)
    return dict(slug=slug, family="wordpress", section="politics", title=title,
                description=f"{title}: what the council heard.",
                published=published.isoformat(timespec="seconds"),
                authors=["Ada Quayle"], byline="by Ada Quayle", body=paragraphs(title.lower()))


def newsarchive(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crawler", *args], capture_output=True,
                          check=False, text=True, timeout=300, cwd=cwd)


def output(proc: subprocess.CompletedProcess[str]) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr[-6000:]}"


def crawl(site_yaml: Path, out: Path, *extra: str) -> dict[str, Any]:
    """One `newsarchive crawl`; its manifest."""
    before = {p.name for p in out.glob("crawls/*.json")}
    proc = newsarchive("crawl", str(site_yaml), "--out", str(out), *extra, cwd=out.parent)
    assert proc.returncode == 0, output(proc)
    assert "Traceback" not in proc.stderr
    (new,) = [p for p in out.glob("crawls/*.json") if p.name not in before]
    manifest: dict[str, Any] = json.loads(new.read_text("utf-8"))
    manifest["stderr"] = proc.stderr
    return manifest


def records_of(out: Path, manifest: dict[str, Any]) -> list[dict[str, Any]]:
    records = []
    for entry in manifest["files"]:
        if entry["kind"] == "jsonl":
            data = gzip.decompress((out / entry["key"]).read_bytes())
            records += [json.loads(line) for line in data.splitlines() if line.strip()]
    return records


def warc_records(out: Path, manifest: dict[str, Any]) -> list[Any]:
    found = []
    for entry in manifest["files"]:
        if entry["kind"] == "warc":
            check_warc(out / entry["key"])
            with open(out / entry["key"], "rb") as handle:
                found += [(r.rec_type, dict(r.rec_headers.headers))
                          for r in ArchiveIterator(handle)]
    return found


class ChangingSite:
    """A demo site of our own (it is changed between runs) on 127.0.0.1, port 0."""

    def __init__(self, tmp: Path, recrawl: dict[str, Any] | None):
        self.site = DemoSite(extra_articles=[
            fresh_article("ferry-timetable-restored", 2, "Ferry Timetable Restored"),
            fresh_article("quay-lights-repaired", 3, "Quay Lights Repaired"),
        ])
        self.server = DemoServer(self.site).start()
        config = self.site.site_config(self.server.base_url)
        if recrawl is not None:
            config["recrawl"] = recrawl
        self.config = tmp / "site.yaml"
        self.config.write_text(yaml.safe_dump(config), encoding="utf-8")
        self.out = tmp / "out"

    def url(self, path: str) -> str:
        return self.server.base_url + path

    def path_of(self, slug: str) -> str:
        return next(str(a.path) for a in self.site.articles if a.slug == slug)

    def requests_since(self, start: int) -> list[tuple[str, dict[str, str]]]:
        return [(path, {k.lower(): v for k, v in headers.items()})
                for _, _, path, headers in self.server.request_log[start:]]


@pytest.fixture
def changing_site(tmp_path: Path) -> Iterator[ChangingSite]:
    site = ChangingSite(tmp_path, {"younger_than": "24h", "every": "0s"})
    try:
        yield site
    finally:
        site.server.stop()


def test_second_run_fetches_only_new_and_rechecks_recent_conditionally(
        changing_site: ChangingSite) -> None:
    site = changing_site
    first = crawl(site.config, site.out)
    first_records = {r["url"]: r for r in records_of(site.out, first)}
    assert first["counts"]["articles_new"] == len(first_records) >= 20
    assert all(r["revision"] == 1 and r["previous"] is None for r in first_records.values())
    edited, untouched = site.path_of("ferry-timetable-restored"), site.path_of("quay-lights-repaired")
    assert {site.url(edited), site.url(untouched)} <= set(first_records)

    mark = len(site.server.request_log)
    added = site.site.add_article(fresh_article("harbour-bridge-reopens", 0.5,
                                                "Harbour Bridge Reopens"))
    new_body = paragraphs("ferry timetable restored", "The council confirmed two extra sailings.")
    site.site.edit_article(edited, body=new_body,
                           modified=datetime.now(UTC).isoformat(timespec="seconds"))
    second = crawl(site.config, site.out)

    # What the server saw: section pages again, the new article, conditional re-checks of
    # the two recent known articles, nothing for the older known ones.
    requests = site.requests_since(mark)
    paths = [path for path, _ in requests]
    for start in yaml.safe_load(site.config.read_text())["start_urls"]:
        assert start.removeprefix(site.server.base_url) in paths
    known_paths = {url.removeprefix(site.server.base_url) for url in first_records}
    article_requests = [(p, h) for p, h in requests if p in known_paths | {str(added.path)}]
    assert sorted(p for p, _ in article_requests) == sorted([str(added.path), edited, untouched])
    for path, headers in article_requests:
        if path in known_paths:
            assert any(name in headers for name in CONDITIONAL), (path, headers)
    assert not any(p in known_paths and not any(n in h for n in CONDITIONAL) for p, h in requests)

    # The JSONL: exactly the new article and the edited one.
    records = {r["url"]: r for r in records_of(site.out, second)}
    assert set(records) == {site.url(str(added.path)), site.url(edited)}
    new = records[site.url(str(added.path))]
    assert (new["revision"], new["previous"]) == (1, None)
    assert new["first_seen"] == new["fetched_at"]
    changed, earlier = records[site.url(edited)], first_records[site.url(edited)]
    assert changed["revision"] == 2
    assert changed["previous"] == {"warc": earlier["warc"], "text_digest": text_digest(earlier["text"])}
    assert changed["first_seen"] == earlier["fetched_at"]
    assert changed["id"] == earlier["id"] == article_id(site.url(edited))
    assert "two extra sailings" in changed["text"]
    validator = Draft202012Validator(json.loads(SCHEMA_V12.read_text("utf-8")))
    for record in [*records.values(), *first_records.values()]:
        assert not list(validator.iter_errors(record)), record["url"]
        assert record["schema_minor"] == 2

    counts = second["counts"]
    assert (counts["articles_new"], counts["articles_updated"], counts["not_modified"]) == (1, 1, 1)
    assert counts["articles_unchanged"] == 0
    assert counts["skipped_known"] == len(first_records) - 2

    # The 304 is a server-not-modified revisit of the first capture.
    revisits = [h for kind, h in warc_records(site.out, second)
                if kind == "revisit" and h["WARC-Profile"] == NOT_MODIFIED_PROFILE]
    assert [h["WARC-Target-URI"] for h in revisits] == [site.url(untouched)]
    original = first_records[site.url(untouched)]["warc"]
    assert revisits[0]["WARC-Refers-To"] == original["record_id"]
    assert revisits[0]["WARC-Refers-To-Date"].startswith(
        first_records[site.url(untouched)]["fetched_at"][:19])
    assert "WARC-Payload-Digest" not in revisits[0]

    check = newsarchive("verify", str(site.out), cwd=site.out.parent)
    assert check.returncode == 0, output(check)
    history = newsarchive("history", "--out", str(site.out), "--json", cwd=site.out.parent)
    runs = [json.loads(line) for line in history.stdout.splitlines()]
    assert [r["counts"]["articles_updated"] for r in runs] == [1, 0]
    table = newsarchive("history", "--out", str(site.out), cwd=site.out.parent).stdout
    assert (f"complete (new 1, updated 1, unchanged 0, not modified 1, not fetched "
            f"{len(first_records) - 2})") in table.splitlines()[1]


def test_full_recrawl_fetches_everything_and_writes_only_changes(
        changing_site: ChangingSite) -> None:
    site = changing_site
    first = crawl(site.config, site.out)
    known = {r["url"] for r in records_of(site.out, first)}
    mark = len(site.server.request_log)
    second = crawl(site.config, site.out, "--full")
    requests = site.requests_since(mark)
    fetched = {site.url(p) for p, h in requests if not any(n in h for n in CONDITIONAL)}
    assert known <= fetched  # every article again, unconditionally
    assert records_of(site.out, second) == []  # nothing changed
    assert second["counts"]["articles_unchanged"] == len(known)
    assert second["counts"]["skipped_known"] == 0


def test_corrupt_seen_store_is_set_aside_and_rebuilt(tmp_path: Path) -> None:
    site = ChangingSite(tmp_path, None)  # default policy: recent articles checked every 6 h
    try:
        first = crawl(site.config, site.out)
        known = {r["url"] for r in records_of(site.out, first)}
        store = site.out / "state" / "seen" / "demo.sqlite"
        assert store.is_file()
        store.write_bytes(b"\x00garbage, not SQLite\xff" * 200)
        mark = len(site.server.request_log)
        second = crawl(site.config, site.out)
        assert "set aside as demo.sqlite.corrupt-" in second["stderr"]
        assert "rebuilt from the archive's JSONL: %d articles" % len(known) in second["stderr"]
        (aside,) = store.parent.glob("demo.sqlite.corrupt-*")
        assert aside.read_bytes().startswith(b"\x00garbage")
        # rebuilt, not empty: no known article fetched again, no record written again
        fetched = {site.url(p) for p, _ in site.requests_since(mark)}
        assert not fetched & known
        assert records_of(site.out, second) == []
        assert second["counts"]["skipped_known"] == len(known)
        rebuilt = SqliteSeenStore(store)
        try:  # validators read back from the archived responses: re-checks stay conditional
            entries = [rebuilt.get(url) for url in known]
            assert all(e is not None and e.known and e.etag and e.last_modified for e in entries)
        finally:
            rebuilt.close()

        store.unlink()  # a store lost altogether is rebuilt too
        third = crawl(site.config, site.out)
        assert third["counts"]["skipped_known"] == len(known)

        # a store of another archive (or of an emptied bucket) is set aside, not believed
        other = site.out.parent / "other"
        (other / "state" / "seen").mkdir(parents=True)
        (other / "state" / "seen" / "demo.sqlite").write_bytes(store.read_bytes())
        fresh = crawl(site.config, other)
        assert "set aside as demo.sqlite.stale-" in fresh["stderr"]
        assert {r["url"] for r in records_of(other, fresh)} == known
    finally:
        site.server.stop()


@pytest.mark.parametrize(("recrawl", "key"), [
    ({"younger_than": "soon"}, "recrawl.younger_than"),
    ({"every": "-6h"}, "recrawl.every"),
    ({"max_urls": -1}, "recrawl.max_urls"),
    ({"often": "1h"}, "recrawl.often"),
])
def test_bad_recrawl_policy_is_exit_2_naming_the_key(tmp_path: Path, recrawl: dict[str, Any],
                                                     key: str) -> None:
    config = DemoSite().site_config("http://127.0.0.1:9")
    config["recrawl"] = recrawl
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    proc = newsarchive("crawl", str(path), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert proc.returncode == 2, output(proc)
    assert f"key '{key}'" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr
