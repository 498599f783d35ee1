"""`verify`: fixity of a local or S3 archive, with every failure named."""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.output import LocalOutput, SpoolOutput, open_output
from archive.verify import verify
from archive.warc_reading import gzip_members
from crawler.cli import verify_cmd
from tests.servers.s3_fixtures import Bucket

CRAWL = "20260102T030405-ab12"
WARC = f"warc/site/2026/01/02/{CRAWL}-00000.warc.gz"
INDEX = f"indexes/site/2026/01/02/{CRAWL}-00000.cdxj"
ARTICLES = f"articles/site/2026/01/02/{CRAWL}.jsonl.gz"
MANIFEST = f"crawls/{CRAWL}.json"


def build_warc(pages: int = 3, tamper: str = "") -> tuple[bytes, list[dict[str, Any]]]:
    """A gzip WARC/1.1 (warcinfo, then request+response per page) and the pointers to its
    responses.  ``tamper``: "block" or "payload" writes a wrong digest into the first
    response."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True, warc_version="1.1")
    writer.write_record(writer.create_warcinfo_record(WARC.rsplit("/", 1)[1],
                                                      {"software": "newsarchive-test"}))
    pointers = []
    for n in range(pages):
        url = f"https://news.example/story-{n}"
        body = f"<html><body><p>Story {n}</p></body></html>".encode() * (n + 1)
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html"),
                                           ("Content-Length", str(len(body)))],
                                protocol="HTTP/1.1")
        # A known length keeps warcio from buffering in (unclosed) temporary files.
        response = writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                             length=len(body), http_headers=http)
        if n == 0 and tamper:
            header = {"block": "WARC-Block-Digest", "payload": "WARC-Payload-Digest"}[tamper]
            response.rec_headers.replace_header(header, "sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        request = writer.create_warc_record(
            url, "request", payload=io.BytesIO(b""), length=0,
            http_headers=StatusAndHeaders(f"GET /story-{n} HTTP/1.1",
                                          [("Host", "news.example")], is_http_request=True))
        request.rec_headers.add_header("WARC-Concurrent-To",
                                       response.rec_headers.get_header("WARC-Record-ID"))
        writer.write_record(request)
        offset = buffer.tell()
        writer.write_record(response)
        pointers.append({
            "filename": WARC.rsplit("/", 1)[1], "offset": offset,
            "length": buffer.tell() - offset,
            "record_id": response.rec_headers.get_header("WARC-Record-ID"),
            "payload_digest": response.rec_headers.get_header("WARC-Payload-Digest"),
        })
    return buffer.getvalue(), pointers


def build_crawl(output: Any, tamper: str = "", pointer_edit: dict[str, Any] | None = None,
                edit: Any = None) -> list[dict[str, Any]]:
    """Write a small complete crawl (WARC, CDXJ, JSONL, manifest) through ``output``;
    ``pointer_edit`` changes the second pointer, ``edit(pointers)`` any."""
    warc, pointers = build_warc(tamper=tamper)
    if pointer_edit:
        pointers[1].update(pointer_edit)
    if edit:
        edit(pointers)
    lines = [json.dumps({"schema_version": 1, "url": f"https://news.example/story-{n}",
                         "crawl_id": CRAWL, "warc": pointer}) for n, pointer in enumerate(pointers)]
    contents = {WARC: warc, INDEX: b"com,example)/ 20260102030405 {}\n",
                ARTICLES: gzip.compress(("\n".join(lines) + "\n").encode())}
    files = []
    for key, data in contents.items():
        output.local_path(key).write_bytes(data)
        stored = output.file_closed(key)
        files.append({"key": key, "kind": key.split("/")[0], "size": stored.size,
                      "sha256": stored.sha256})
    manifest = {"manifest_version": 1, "crawl_id": CRAWL, "status": "complete", "files": files}
    output.local_path(MANIFEST).write_text(json.dumps(manifest))
    output.file_closed(MANIFEST)
    assert output.finish() == []
    return pointers


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    verify_cmd.register(parser.add_subparsers())
    args = parser.parse_args(["verify", *argv])
    status: int = args.func(args)
    return status


def s3_output(bucket: Bucket, tmp_path: Path) -> SpoolOutput:
    output = open_output(bucket.uri, spool_dir=tmp_path / "spool", min_free_bytes=0,
                         storage_options={"endpoint_url": bucket.endpoint_url,
                                          "addressing_style": "path"})
    assert isinstance(output, SpoolOutput)
    return output


def problems(report: Any) -> list[str]:
    return [str(failure) for failure in report.failures]


# --- the gzip walk -------------------------------------------------------------------------


def test_gzip_members_finds_starts_and_truncation() -> None:
    first = gzip.compress(b"a" * 1000)
    data = first + gzip.compress(b"b" * 10)
    whole = list(gzip_members(io.BytesIO(data)))
    assert [(m.start, m.data) for m in whole] == [(0, b"a" * 1000), (len(first), b"b" * 10)]
    short = list(gzip_members(io.BytesIO(data[:-3])))
    assert short[-1].problem.startswith("truncated gzip member")
    assert (short[-1].start, short[-1].end) == (len(first), len(data) - 3)
    garbage = list(gzip_members(io.BytesIO(data + b"not gzip")))
    assert [m.problem for m in garbage] == ["", "", "not gzip data"]


# --- whole archives ----------------------------------------------------------------------------


def test_a_good_local_archive_verifies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    build_crawl(LocalOutput(tmp_path))
    report = verify(tmp_path)
    assert report.ok, report.summary()
    assert (len(report.manifests), report.objects, report.records, report.pointers) == (1, 3, 7, 3)
    assert run_cli(str(tmp_path)) == 0
    assert capsys.readouterr().out.startswith("OK ")


def test_a_good_s3_archive_verifies(any_bucket: Bucket, tmp_path: Path) -> None:
    build_crawl(s3_output(any_bucket, tmp_path))
    report = verify(any_bucket.uri, endpoint_url=any_bucket.endpoint_url,
                    addressing_style="path")
    assert report.ok, report.summary()
    assert (report.objects, report.records, report.pointers) == (3, 7, 3)
    assert run_cli(any_bucket.uri, "--endpoint-url", any_bucket.endpoint_url) == 0


def test_a_flipped_byte_and_a_missing_object_are_named(moto_bucket: Bucket, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    build_crawl(s3_output(moto_bucket, tmp_path))
    warc = bytearray(moto_bucket.get(WARC))
    warc[len(warc) // 2] ^= 0x01
    moto_bucket.client.delete_object(Bucket=moto_bucket.name, Key=WARC)
    moto_bucket.put(WARC, bytes(warc))
    moto_bucket.client.delete_object(Bucket=moto_bucket.name, Key=INDEX)

    assert run_cli(moto_bucket.uri, "--endpoint-url", moto_bucket.endpoint_url) == 1
    out = capsys.readouterr().out
    assert out.startswith("FAILED ")
    assert f"FAIL {INDEX}: missing" in out
    assert f"FAIL {WARC}: sha256 " in out
    report = verify(moto_bucket.uri, endpoint_url=moto_bucket.endpoint_url)
    assert {f.key for f in report.failures} >= {WARC, INDEX}


def test_a_truncated_warc_is_caught(tmp_path: Path) -> None:
    build_crawl(LocalOutput(tmp_path))
    path = tmp_path / WARC
    path.write_bytes(path.read_bytes()[:-30])
    found = problems(verify(tmp_path))
    size = path.stat().st_size
    assert any(p.startswith(f"{WARC}: unreadable: bytes ")
               and p.endswith(f"-{size}: truncated gzip member: the file ends inside it")
               for p in found), found
    assert any(p.startswith(f"{WARC}: size ") for p in found)
    assert any(p.startswith(f"{WARC}: sha256 ") for p in found)


@pytest.mark.parametrize("tamper", ["block", "payload"])
def test_a_wrong_digest_is_caught(tmp_path: Path, tamper: str) -> None:
    pointers = build_crawl(LocalOutput(tmp_path), tamper=tamper)
    found = problems(verify(tmp_path))
    record = f"{pointers[0]['record_id']} at offset {pointers[0]['offset']}"
    assert f"{WARC}: {tamper} digest mismatch in {record}" in found
    assert any(p.startswith(f"{ARTICLES}: line 1: ") and f"{tamper} digest mismatch" in p
               for p in found)


@pytest.mark.parametrize("edit, problem", [
    ({"record_id": "<urn:uuid:00000000-0000-0000-0000-000000000000>"},
     "not <urn:uuid:00000000-0000-0000-0000-000000000000>"),
    ({"filename": "other.warc.gz"}, "which no crawl manifest lists"),
    ({"offset": 1}, "not whole gzip member"),
    ({"length": 40}, "not whole gzip member"),
    ({"payload_digest": "sha1:BBBB"}, "pointer says sha1:BBBB"),
])
def test_bad_pointers_are_named(tmp_path: Path, edit: dict[str, Any], problem: str) -> None:
    build_crawl(LocalOutput(tmp_path), pointer_edit=edit)
    found = problems(verify(tmp_path))
    assert len(found) == 1 and found[0].startswith(f"{ARTICLES}: line 2: ")
    assert problem in found[0]


def test_a_pointer_to_a_request_record_is_named(tmp_path: Path) -> None:
    def point_at_request(pointers: list[dict[str, Any]]) -> None:
        start = pointers[0]["offset"] + pointers[0]["length"]  # story-1's request record
        pointers[1].update(offset=start, length=pointers[1]["offset"] - start)

    build_crawl(LocalOutput(tmp_path), edit=point_at_request)
    found = problems(verify(tmp_path))
    assert len(found) == 1 and "a request record, not a response" in found[0]


def test_no_manifest_and_unlisted_objects(tmp_path: Path) -> None:
    (tmp_path / "warc").mkdir()
    (tmp_path / "warc" / "orphan.warc.gz").write_bytes(b"")
    report = verify(tmp_path)
    assert problems(report) == ["crawls/: no crawl manifest found: nothing to verify"]
    assert report.unlisted == ["warc/orphan.warc.gz"]


def test_a_broken_manifest_is_named(tmp_path: Path) -> None:
    (tmp_path / "crawls").mkdir()
    (tmp_path / "crawls" / "x.json").write_text("{not json")
    (tmp_path / "crawls" / "y.json").write_text(json.dumps({"manifest_version": 1, "files": [
        {"key": "warc/a.warc.gz"}]}))
    found = problems(verify(tmp_path))
    assert found[0].startswith("crawls/x.json: unreadable manifest")
    assert found[1] == "crawls/y.json: files[0] lacks key, size or sha256"


def test_bad_usage_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(str(tmp_path / "absent")) == 2
    assert run_cli("gs://bucket") == 2
    assert "unsupported storage scheme" in capsys.readouterr().err


def test_sha256_of_a_local_archive_is_streamed(tmp_path: Path) -> None:
    """The manifest's sha256 is checked against the bytes read, not trusted."""
    build_crawl(LocalOutput(tmp_path))
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    manifest["files"][1]["sha256"] = hashlib.sha256(b"something else").hexdigest()
    (tmp_path / MANIFEST).write_text(json.dumps(manifest))
    assert [f.key for f in verify(tmp_path).failures] == [INDEX]
