"""Record fields of schema 1.1 (site, http_status, warc.key, schema_minor) and the schema file."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from warcio.archiveiterator import ArchiveIterator

from archive.records import RecordFactory
from archive.reextract import run_reextract
from archive.warc_writer import RotatingWarcWriter
from pipelines.export import RECORD_FIELDS, REVISION_FIELDS
from pipelines.validate import SCHEMA_MINOR, SCHEMA_VERSION
from archive.layout import key_from_name, key_from_path
from pipelines.warc_keys import key_in_crawl
from tests.test_e2e_crawl import Crawl, load_crawl, run_cli_crawl
from crawler.run import crawl_settings
from pipelines.responses import ExtractSettings

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "pipelines" / "schema"
SCHEMA_1_1 = SCHEMA_DIR / "article-v1.1.schema.json"
SCHEMA_1_2 = SCHEMA_DIR / "article-v1.2.schema.json"
SCHEMA_1_0 = SCHEMA_DIR / "article-v1.schema.json"

EXTRACT_SETTINGS = ExtractSettings.from_settings(crawl_settings())


@pytest.fixture(scope="module")
def crawl(news_site: Any, tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    out = tmp_path_factory.mktemp("records") / "out"
    # incremental crawling off: no revision fields (they are tested in tests/test_incremental.py)
    proc = run_cli_crawl(news_site.site.site_config(news_site.base_url), out,
                         "-s", "NEWSARCHIVE_INCREMENTAL=false")
    return load_crawl(out, proc)


def schema(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text("utf-8"))


def test_schema_file_declares_its_id_and_version() -> None:
    current = schema(SCHEMA_1_2)
    Draft202012Validator.check_schema(current)
    assert current["$id"].endswith("/article-v1.2.schema.json")
    assert current["version"] == f"{SCHEMA_VERSION}.{SCHEMA_MINOR}" == "1.2"
    assert current["properties"]["schema_version"]["const"] == SCHEMA_VERSION
    assert current["properties"]["schema_minor"]["const"] == SCHEMA_MINOR
    # the JSONL key order names every field the schema has, and only those; the revision
    # fields are written by incremental crawls only
    assert RECORD_FIELDS + REVISION_FIELDS == list(current["properties"])
    assert RECORD_FIELDS == current["required"]


def only_adds(old: dict[str, Any], new: dict[str, Any]) -> set[str]:
    """The fields ``new`` adds to ``old``, asserting that every field of ``old`` but the
    version constants kept its spec (``warc`` and ``image`` may gain optional properties)."""
    assert old["$id"] != new["$id"]
    for name, spec in old["properties"].items():
        if name in ("schema_version", "schema_minor"):
            continue
        got = new["properties"][name]
        if name in ("warc", "image"):
            olds, news = spec.get("oneOf", [spec])[-1], got.get("oneOf", [got])[-1]
            assert set(olds["properties"]) <= set(news["properties"]), name
            for field, field_spec in olds["properties"].items():
                assert news["properties"][field] == field_spec, (name, field)
            assert set(olds.get("required", [])) <= set(news.get("required", [])), name
        else:
            assert got == spec, name
    return set(new["properties"]) - set(old["properties"])


def test_schema_1_1_only_adds_to_1_0() -> None:
    old = schema(SCHEMA_1_0)
    assert old["properties"]["schema_version"] == {"const": 1}  # the 1.0 file is kept as it was
    assert only_adds(old, schema(SCHEMA_1_1)) == {"schema_minor", "site", "http_status"}


def test_schema_1_2_only_adds_to_1_1() -> None:
    old, new = schema(SCHEMA_1_1), schema(SCHEMA_1_2)
    assert only_adds(old, new) == {"id", "revision", "first_seen", "previous"}
    assert set(new["required"]) - set(old["required"]) == {"id"}
    image = new["properties"]["image"]["oneOf"][1]["properties"]
    assert set(image) - set(old["properties"]["image"]["oneOf"][1]["properties"]) == {"warc"}
    assert (new["properties"]["image"]["oneOf"][1]["required"]
            == old["properties"]["image"]["oneOf"][1]["required"])


def test_crawl_records_carry_site_status_and_warc_key(crawl: Crawl) -> None:
    assert crawl.proc.returncode == 0, crawl.proc.stdout + crawl.proc.stderr
    assert crawl.records
    warc_keys = {str(path.relative_to(crawl.out)) for path in crawl.warcs}
    for record in crawl.records:
        assert (record["schema_version"], record["schema_minor"]) == (1, 2)
        assert record["site"] == "demo"
        assert record["http_status"] == 200
        key = record["warc"]["key"]
        assert key in warc_keys
        assert key.startswith("warc/demo/") and key.endswith("/" + record["warc"]["filename"])
        assert list(record) == RECORD_FIELDS
        # the key, under the archive root, reaches the response record
        with open(crawl.out / key, "rb") as stream:
            stream.seek(record["warc"]["offset"])
            warc_record = next(iter(ArchiveIterator(stream)))
            record_id = warc_record.rec_headers.get_header("WARC-Record-ID")
            assert record_id == record["warc"]["record_id"]


def test_crawl_records_validate_against_the_schema_file(crawl: Crawl) -> None:
    validator = Draft202012Validator(schema(SCHEMA_1_2))
    for record in crawl.records:
        assert list(validator.iter_errors(record)) == [], record["url"]
    # and the 1.0 file rejects them only for the fields 1.1 and 1.2 added
    old = Draft202012Validator(schema(SCHEMA_1_0))
    added = {"schema_minor", "site", "http_status", "key", "id"}
    for error in old.iter_errors(crawl.records[0]):
        if error.validator == "oneOf":  # an image with its archived copy (image.warc, 1.2)
            assert list(error.absolute_path) == ["image"] and "warc" in error.instance
            continue
        assert error.validator == "additionalProperties"
        assert set(error.instance) - set(error.schema["properties"]) <= added


def test_reextract_fills_the_same_fields(crawl: Crawl, tmp_path: Path) -> None:
    again = {r["url"]: r for r in
             run_reextract([crawl.out / "warc"], settings=EXTRACT_SETTINGS, processes=1).records}
    assert set(again) == {r["url"] for r in crawl.records}
    for record in crawl.records:
        other = again[record["url"]]
        for name in ("site", "http_status", "schema_minor", "warc"):
            assert other[name] == record[name], name
    # a WARC copied out of the archive layout: the key is made from its name and the site
    # its warcinfo names
    loose = tmp_path / crawl.warcs[0].name
    loose.write_bytes(crawl.warcs[0].read_bytes())
    copied = run_reextract([loose], settings=EXTRACT_SETTINGS, processes=1).records
    assert copied
    for record in copied:
        assert record["site"] == "demo"
        assert record["warc"]["key"] == str(crawl.warcs[0].relative_to(crawl.out))


def folder_sink(root: Path) -> type:
    """An output for the WARC writer that keeps its files under ``root``."""

    class Sink:
        def local_path(self, key: str) -> Path:
            path = root / key
            path.parent.mkdir(parents=True, exist_ok=True)
            return path

        def file_closed(self, key: str) -> None:
            pass

    return Sink


def test_warc_key_of_a_file_opened_after_midnight(tmp_path: Path) -> None:
    """A crawl started on the 1st whose writer opened a file on the 2nd: the key the writer
    used, not one guessed from the crawl id."""

    Sink = folder_sink(tmp_path)

    moments = iter([datetime(2026, 3, 1, 23, 59, tzinfo=timezone.utc)] * 3
                   + [datetime(2026, 3, 2, 0, 1, tzinfo=timezone.utc)] * 10)
    factory = RecordFactory(clock=lambda: next(moments))
    writer = RotatingWarcWriter(Sink(), "demo", "20260301T235800Z-abcdef", {"a": "b"},
                                max_size=1, factory=factory)
    first = writer.write(factory.warcinfo("x", {"n": "1"}))[0].filename
    second = writer.write(factory.warcinfo("x", {"n": "2"}))[0].filename
    assert key_in_crawl(writer, first) == f"warc/demo/2026/03/01/{first}"
    assert key_in_crawl(writer, second) == f"warc/demo/2026/03/02/{second}"
    assert key_from_name("demo", second) == f"warc/demo/2026/03/01/{second}"  # the guess
    assert key_in_crawl(writer, "other-00000.warc.gz") is None
    assert key_from_path(tmp_path / f"warc/demo/2026/03/02/{second}") == \
        f"warc/demo/2026/03/02/{second}"
    assert key_from_path(tmp_path / second) is None


def test_the_pipeline_takes_the_key_from_the_crawls_writer(tmp_path: Path) -> None:
    """The extraction pipeline asks the capture middleware's writer, so a file opened the
    day after the crawl started gets its real key."""
    from types import SimpleNamespace

    from scrapy.utils.test import get_crawler

    from archive.capture import WarcCaptureMiddleware
    from pipelines.articles import ArticleExtractionPipeline
    from pipelines.responses import ExtractSettings

    Sink = folder_sink(tmp_path)

    crawler = get_crawler(settings_dict={"WARC_ENABLED": True, "WARC_CDXJ": False,
                                         "WARC_DEDUP": False})
    capture = WarcCaptureMiddleware.from_crawler(crawler)
    factory = RecordFactory(clock=lambda: datetime(2026, 3, 2, 0, 1, tzinfo=timezone.utc))
    capture.writer = RotatingWarcWriter(Sink(), "demo", "20260301T235800Z-abcdef", {"a": "b"},
                                        factory=factory)
    pointer = capture.writer.write(factory.warcinfo("x", {"n": "1"}))[0].to_dict()
    crawler.engine = SimpleNamespace(  # type: ignore[assignment]
        downloader=SimpleNamespace(middleware=SimpleNamespace(middlewares=[capture])))
    pipeline = ArticleExtractionPipeline(crawler, workers=0,
                                         settings=ExtractSettings.from_settings(crawl_settings()))
    with_key = pipeline._pointer(pointer)
    assert with_key == {"key": f"warc/demo/2026/03/02/{pointer['filename']}", **pointer}
    capture.writer.close()
