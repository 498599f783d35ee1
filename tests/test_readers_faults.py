"""The readers (verify, reextract, wacz, replay) on damaged and foreign WARCs: they end,
never raise, write what can be read, name every record they could not read, and exit 1
when they lost any (issue 14 items 1, 4, 6, 7)."""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import socket
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive.records import gzip_member
from archive.reextract import run_reextract
from archive.replay import ReplayError, build_root, fetch_s3_archive, listening_socket
from archive.verify import verify
from archive.warc_reading import Unreadable, read_warc
from crawler.cli import reextract_cmd, verify_cmd, wacz_cmd
from tests.servers.s3_fixtures import Bucket
from tests.test_readers_warc_reading import (
    PROPERTY_SETTINGS,
    article_records,
    article_url,
    build,
    response_record,
    watchdog,
    with_claim,
)
from crawler.run import crawl_settings
from pipelines.responses import ExtractSettings

WARC_KEY = "warc/news/2026/01/02/crawl-00000.warc.gz"

EXTRACT_SETTINGS = ExtractSettings.from_settings(crawl_settings())


def run(module: Any, command: str, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="newsarchive")
    module.register(parser.add_subparsers())
    args = parser.parse_args([command, *argv])
    with watchdog():
        return int(args.func(args))


def reextract_cli(*paths: Path, output: Path) -> int:
    return run(reextract_cmd, "reextract", *map(str, paths), "-o", str(output),
               "--processes", "1")


def urls_in(output: Path) -> list[str]:
    return [json.loads(line)["url"] for line in output.read_text("utf-8").splitlines()]


def archive_with(root: Path, warc: bytes, key: str = WARC_KEY) -> Path:
    """A one-crawl archive whose manifest lists ``warc`` as it is (so only the WARC's
    content can be wrong)."""
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(warc)
    manifest = {"manifest_version": 1, "crawl_id": "crawl", "status": "complete", "files": [
        {"key": key, "kind": "warc", "size": len(warc),
         "sha256": hashlib.sha256(warc).hexdigest()}]}
    (root / "crawls").mkdir(exist_ok=True)
    (root / "crawls" / "crawl.json").write_text(json.dumps(manifest))
    return path


# --- issue 14.4: a head of 100,000 header lines -------------------------------------------


def hostile_warc() -> bytes:
    warcinfo, article = article_records(1)
    hostile = response_record("https://news.example/hostile", b"<p>x</p>",
                              [f"X-Filler-{n}: v".encode() for n in range(100_000)])
    return build([warcinfo, hostile, article]).data


def test_verify_reads_past_a_head_of_100000_lines(tmp_path: Path) -> None:
    archive_with(tmp_path, hostile_warc())
    with watchdog():
        report = verify(tmp_path)
    assert report.ok, report.summary()
    assert report.records == 3


def test_reextract_keeps_its_output_past_a_head_of_100000_lines(tmp_path: Path) -> None:
    warc = tmp_path / "hostile.warc.gz"
    warc.write_bytes(hostile_warc())
    output = tmp_path / "out.jsonl"
    reextract_cli(warc, output=output)
    assert urls_in(output) == [article_url(0)]


# --- issue 14.6: reextract writes what it can read, names the rest, exits 1 ----------------


def test_a_warc_truncated_at_60_percent(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                        ) -> None:
    built = build(article_records(25))
    cut = len(built.data) * 60 // 100
    warc = tmp_path / "cut.warc.gz"
    warc.write_bytes(built.data[:cut])
    output = tmp_path / "out.jsonl"
    assert reextract_cli(warc, output=output) == 1
    whole = [n for n, (_, end, _) in enumerate(built.spans[1:]) if end <= cut]
    assert urls_in(output) == [article_url(n) for n in whole]
    torn = next(start for start, end, _ in built.spans if end > cut)
    err = capsys.readouterr().err
    assert "LOST: 1 unreadable span(s)" in err
    assert f"{warc}: bytes {torn}-{cut}: truncated gzip member" in err


@pytest.mark.parametrize("content, problem", [
    (b"", "bytes 0-0: empty: no WARC records"),
    (b"Just some text.\n" * 20, "bytes 0-320: neither a gzip member nor a WARC record"),
])
def test_an_empty_or_text_file_named_warc_gz(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             content: bytes, problem: str) -> None:
    warc = tmp_path / "not-a.warc.gz"
    warc.write_bytes(content)
    output = tmp_path / "out.jsonl"
    assert reextract_cli(warc, output=output) == 1
    assert output.read_text() == ""
    assert f"{warc}: {problem}" in capsys.readouterr().err


def test_a_content_length_claiming_2_gb(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                        ) -> None:
    records = article_records(3)
    members = [gzip_member(r.to_bytes()) for r in records]
    members[1] = gzip_member(with_claim(records[1], 2_000_000_000))
    data = b"".join(members)
    warc = archive_with(tmp_path / "archive", data)
    output = tmp_path / "out.jsonl"
    assert reextract_cli(warc, output=output) == 1
    assert urls_in(output) == [article_url(1), article_url(2)]  # the next one is not swallowed
    assert "Content-Length 2000000000" in capsys.readouterr().err
    with watchdog():
        report = verify(tmp_path / "archive")
    assert not report.ok
    assert any("Content-Length 2000000000" in f.problem for f in report.failures)


def test_a_warc_written_by_wget(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """WARC/1.0 with ``WARC-Target-URI: <http://…>``: every article is read, under its URI."""
    records = article_records(9, url_format="<{url}>")
    wget = [gzip_member(b"WARC/1.0" + r.to_bytes()[len(b"WARC/1.1"):]) for r in records]
    warc = tmp_path / "wget.warc.gz"
    warc.write_bytes(b"".join(wget))
    output = tmp_path / "out.jsonl"
    assert reextract_cli(warc, output=output) == 0
    assert urls_in(output) == [article_url(n) for n in range(9)]
    assert "LOST" not in capsys.readouterr().err


def test_trailing_garbage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = build(article_records(5)).data
    warc = tmp_path / "tail.warc.gz"
    warc.write_bytes(data + b"\0garbage after the last record" * 10)
    output = tmp_path / "out.jsonl"
    assert reextract_cli(warc, output=output) == 1
    assert urls_in(output) == [article_url(n) for n in range(5)]
    err = capsys.readouterr().err
    assert f"{warc}: bytes {len(data)}-{len(data) + 300}: neither a gzip member nor a WARC " \
           "record" in err


THREE_ARTICLES = article_records(3)


@PROPERTY_SETTINGS
@given(st.data())
def test_reextract_always_ends_and_names_every_loss(data: st.DataObject) -> None:
    """Every article of a damaged WARC is either written or inside a span named as lost."""
    records = THREE_ARTICLES
    parts = [gzip_member(record.to_bytes()) for record in records]
    damage = data.draw(st.sampled_from(["truncate", "garbage", "flip", "claim"]))
    if damage == "claim":
        liar = data.draw(st.integers(1, 3))
        claim = data.draw(st.integers(len(records[liar].block) + 1, 1 << 40))
        parts[liar] = gzip_member(with_claim(records[liar], claim))
    starts = [sum(len(p) for p in parts[:n]) for n in range(len(parts))]
    where = [range(start, start + len(part)) for start, part in zip(starts, parts)]
    damaged = bytearray(b"".join(parts))
    if damage == "truncate":
        del damaged[data.draw(st.integers(0, len(damaged))):]
    elif damage == "garbage":
        at = data.draw(st.integers(0, len(damaged)))
        garbage = data.draw(st.binary(min_size=1, max_size=200))
        damaged[at:at] = garbage
        where = [span if span.stop <= at else
                 range(span.start + len(garbage), span.stop + len(garbage)) if span.start >= at
                 else range(span.start, span.stop + len(garbage)) for span in where]
    elif damage == "flip":
        at = data.draw(st.integers(0, len(damaged) - 1))
        damaged[at] ^= data.draw(st.integers(1, 255))
    spans = list(read_warc(io.BytesIO(bytes(damaged))))
    with tempfile.TemporaryDirectory() as tmp:
        warc = Path(tmp) / "damaged.warc.gz"
        warc.write_bytes(bytes(damaged))
        with watchdog():
            result = run_reextract([warc], settings=EXTRACT_SETTINGS, processes=1)
    lost = [item for item in spans if isinstance(item, Unreadable)]
    assert result.lost == [f"{warc}: {item}" for item in lost]
    assert result.counts["records/unreadable"] == len(lost)
    written = {record["url"] for record in result.records}
    for n in range(3):
        span = where[n + 1]
        if span.start >= len(damaged):
            continue  # cut off: no longer part of the input
        named = any(item.offset < span.stop and span.start < item.offset + item.length
                    or item.length == 0 for item in lost)
        assert article_url(n) in written or named, (damage, n, lost)


# --- issue 14.7: wacz and replay -----------------------------------------------------------


def site_archive(root: Path, warcs: dict[str, bytes]) -> Path:
    for name, data in warcs.items():
        path = root / "warc" / "news" / "2026" / "01" / "02" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def wacz_index(path: Path) -> list[dict[str, Any]]:
    with zipfile.ZipFile(path) as zf:
        lines = gzip.decompress(zf.read("indexes/index.cdx.gz")).decode().splitlines()
    return [json.loads(line.split(" ", 2)[2]) for line in lines]


def test_wacz_with_trailing_garbage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = build(article_records(3)).data
    archive = site_archive(tmp_path / "a", {"tail.warc.gz": data + b"trailing garbage"})
    output = tmp_path / "a.wacz"
    assert run(wacz_cmd, "wacz", str(archive), "-o", str(output)) == 1
    assert sorted(line["url"] for line in wacz_index(output)) == [
        article_url(n) for n in range(3)]
    assert f"bytes {len(data)}-{len(data) + 16}: neither a gzip member nor a WARC record" \
        in capsys.readouterr().err


def test_wacz_leaves_out_text_and_empty_files_and_names_them(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    built = build(article_records(3))
    cut = built.spans[2][1] + 20
    archive = site_archive(tmp_path / "a", {
        "a-good.warc.gz": build(article_records(2)).data,
        "b-cut.warc.gz": built.data[:cut],
        "c-text.warc.gz": b"not a WARC at all\n",
        "d-empty.warc.gz": b"",
    })
    output = tmp_path / "a.wacz"
    assert run(wacz_cmd, "wacz", str(archive), "-o", str(output)) == 1
    with zipfile.ZipFile(output) as zf:
        assert sorted(n for n in zf.namelist() if n.startswith("archive/")) == [
            "archive/a-good.warc.gz", "archive/b-cut.warc.gz"]
    assert sorted(line["url"] for line in wacz_index(output)) == [
        article_url(0), article_url(0), article_url(1), article_url(1)]
    err = capsys.readouterr().err
    for name in ("c-text", "d-empty"):
        assert f"{name}.warc.gz: no readable WARC record: left out of the WACZ" in err
    assert f"b-cut.warc.gz: bytes {built.spans[3][0]}-{cut}: truncated gzip member" in err


def test_wacz_of_nothing_readable_writes_nothing(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    archive = site_archive(tmp_path / "a", {"text.warc.gz": b"text", "empty.warc.gz": b""})
    output = tmp_path / "a.wacz"
    assert run(wacz_cmd, "wacz", str(archive), "-o", str(output)) == 1
    assert not output.exists()
    assert "holds a readable record: nothing written" in capsys.readouterr().err


def test_replay_indexes_a_warc_with_trailing_garbage(tmp_path: Path) -> None:
    data = build(article_records(3)).data
    archive = site_archive(tmp_path / "a", {"tail.warc.gz": data + b"trailing garbage"})
    losses: list[str] = []
    with watchdog():
        collections = build_root(archive, tmp_path / "root", losses)
    assert list(collections) == ["news"]
    assert len(losses) == 1 and losses[0].endswith(
        f"tail.warc.gz: bytes {len(data)}-{len(data) + 16}: neither a gzip member nor a WARC "
        "record")
    index = (tmp_path / "root" / "collections" / "news" / "indexes" / "tail.cdxj").read_text()
    assert sorted(json.loads(line.split(" ", 2)[2])["url"] for line in index.splitlines()) == [
        article_url(n) for n in range(3)]


def test_replay_refuses_manifest_keys_leading_out_of_its_cache(
        moto_bucket: Bucket, tmp_path: Path) -> None:
    good = build(article_records(1)).data
    moto_bucket.put(WARC_KEY, good)
    files = [{"key": key, "kind": "warc", "size": len(good)} for key in (
        "warc/../../../escaped.warc.gz", "/abs/escaped.warc.gz", "warc\\..\\escaped.warc.gz",
        WARC_KEY)]
    moto_bucket.put("crawls/crawl.json", json.dumps({"manifest_version": 1, "files": files})
                    .encode())
    target = tmp_path / "deep" / "cache"
    losses: list[str] = []
    fetch_s3_archive(moto_bucket.uri, target, losses, endpoint_url=moto_bucket.endpoint_url)
    assert (target / WARC_KEY).read_bytes() == good
    assert not [p for p in tmp_path.rglob("*escaped*")]
    assert len(losses) == 3
    for loss, entry in zip(losses, files):
        assert loss.startswith(f"crawls/crawl.json: key {entry['key']!r} ")
        assert loss.endswith(": not copied")


def test_verify_names_an_unsafe_manifest_key(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    archive_with(tmp_path, build(article_records(1)).data)
    manifest = json.loads((tmp_path / "crawls" / "crawl.json").read_text())
    manifest["files"].append({"key": "warc/../../etc/passwd", "size": 1, "sha256": "0" * 64})
    (tmp_path / "crawls" / "crawl.json").write_text(json.dumps(manifest))
    assert run(verify_cmd, "verify", str(tmp_path)) == 1
    assert "crawls/crawl.json: files[1]: key 'warc/../../etc/passwd' has a '.' or '..' part: " \
           "not read" in capsys.readouterr().out


# --- issue 17.6: replay's port --------------------------------------------------------------


def test_replay_holds_the_port_it_chose() -> None:
    with listening_socket(0) as held:
        port = held.getsockname()[1]
        assert port > 0
        with pytest.raises(ReplayError, match=f"cannot listen on 127.0.0.1:{port}"):
            listening_socket(port)
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass  # it already accepts connections: nobody else can take the port

