"""A killed crawl's JSONL: every whole line is kept, the file is valid or gone, and the
recovered crawl verifies (real ``kill -9`` of a writer process, then recovery)."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from archive.recovery import local_crawl as interrupted
from archive.crawl_lock import CrawlLock
from archive.layout import crawl_lock_path
from archive.jsonl_gzip import LineFlushedGzipPlugin, cut_jsonl, readable_prefix, whole_lines
from archive.output import LocalOutput
from archive.recovery.local_crawl import recover_interrupted_crawls

REPO = Path(__file__).resolve().parents[1]
CRAWL_ID = "20261127T010203Z-abcdef"
JSONL_KEY = f"articles/news/2026/11/27/{CRAWL_ID}.jsonl.gz"

# A crawl as the spider runs one: each exchange archived, then its JSONL line written through
# the feed plugin; prints the number of lines written, for ever, until killed.
CRAWL_LOOP = f"""
import json, random, sys
from pathlib import Path
from archive.jsonl_gzip import LineFlushedGzipPlugin
from tests.test_archive_capture import make_middleware
from tests.test_archive_dedup import exchange
out = Path(sys.argv[1])
mw = make_middleware(out, {CRAWL_ID!r}, WARC_GZIP_LEVEL=1)
path = out / {JSONL_KEY!r}
path.parent.mkdir(parents=True, exist_ok=True)
plugin = LineFlushedGzipPlugin(open(path, "ab"), {{"gzip_compresslevel": 1}})
n = 0
while True:
    url = f"http://x/{{n}}"
    request = exchange(mw, url, random.Random(n).randbytes(2_000) + b"%d" % n)
    line = {{"url": url, "text": "word " * 300, "warc": request.meta["warc"]}}
    plugin.write((json.dumps(line) + "\\n").encode())
    n += 1
    print(n, flush=True)
"""

WRITE_LOOP = """
import sys
from archive.jsonl_gzip import LineFlushedGzipPlugin
plugin = LineFlushedGzipPlugin(open(sys.argv[1], "ab"), {"gzip_compresslevel": 1})
n = 0
while True:
    plugin.write(b'{"n": %d, "pad": "%s"}\\n' % (n, b"x" * (n % 700)))
    n += 1
    print(n, flush=True)
"""


def run_until_killed(script: str, arg: Path, lines: int) -> int:
    """Run ``script`` until it has reported ``lines`` writes, SIGKILL it; return the last count."""
    child = subprocess.Popen([sys.executable, "-c", script, str(arg)], cwd=REPO,
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    written = 0
    with child.stdout:
        for line in child.stdout:
            written = int(line)
            if written >= lines:
                break
        os.kill(child.pid, signal.SIGKILL)
    assert child.wait(timeout=30) == -signal.SIGKILL
    return written


def test_killed_writer_leaves_every_written_line_readable(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl.gz"
    written = run_until_killed(WRITE_LOOP, path, 500)
    lines = whole_lines(readable_prefix(path.read_bytes()))
    assert len(lines) >= written >= 500
    assert [json.loads(line)["n"] for line in lines] == list(range(len(lines)))

    assert cut_jsonl(path, {}) == len(lines)
    assert gzip.decompress(path.read_bytes()).splitlines(keepends=True) == lines


def test_closed_plugin_file_is_one_valid_gzip_stream(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl.gz"
    with open(path, "ab") as handle:
        plugin = LineFlushedGzipPlugin(handle, {"gzip_compresslevel": 1})
        for n in range(50):
            assert plugin.write(b'{"n": %d}\n' % n) == len(b'{"n": %d}\n' % n)
        plugin.close()
    assert gzip.decompress(path.read_bytes()) == b"".join(b'{"n": %d}\n' % n for n in range(50))


def _stream(lines: list[bytes]) -> tuple[bytes, list[int]]:
    """A line-flushed gzip stream without its trailer, and where each line's bytes end."""
    deflate = zlib.compressobj(1, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    data, ends = b"", []
    for line in lines:
        data += deflate.compress(line) + deflate.flush(zlib.Z_SYNC_FLUSH)
        ends.append(len(data))
    return data, ends


def test_every_cut_keeps_exactly_the_lines_written_before_it(tmp_path: Path) -> None:
    lines = [b'{"n": %d, "t": "%s"}\n' % (n, b"ab" * n) for n in range(40)]
    data, ends = _stream(lines)
    path = tmp_path / "a.jsonl.gz"
    for cut in range(len(data) + 1):
        path.write_bytes(data[:cut])
        flushed = sum(1 for end in ends if end <= cut)
        kept = cut_jsonl(path, {})
        # a line may decompress whole just before its flush marker has been written
        assert flushed <= kept <= flushed + 1, cut
        if kept:
            assert gzip.decompress(path.read_bytes()) == b"".join(lines[:kept]), cut
        else:
            assert not path.exists(), cut  # no line: no file, never a 0-byte one


def test_garbage_after_the_torn_stream_loses_no_whole_line(tmp_path: Path) -> None:
    lines = [b'{"n": %d}\n' % n for n in range(3000)]
    data, _ = _stream(lines)
    path = tmp_path / "a.jsonl.gz"
    path.write_bytes(data + b"\0" * 8192)  # a power loss may leave zeroed blocks
    assert cut_jsonl(path, {}) == len(lines)


def test_lines_pointing_past_what_a_warc_kept_are_dropped(tmp_path: Path) -> None:
    records = [
        {"n": 0, "warc": {"filename": "c-00000.warc.gz", "offset": 0, "length": 100}},
        {"n": 1, "warc": {"filename": "c-00000.warc.gz", "offset": 100, "length": 50}},
        {"n": 2, "warc": {"filename": "gone-00000.warc.gz", "offset": 0, "length": 10}},
        {"n": 3, "warc": {"filename": "earlier-00000.warc.gz", "offset": 9, "length": 9}},
        ["not", "a", "record"],
    ]
    path = tmp_path / "a.jsonl.gz"
    path.write_bytes(gzip.compress(b"".join(json.dumps(r).encode() + b"\n" for r in records)))
    assert cut_jsonl(path, {"c-00000.warc.gz": 120, "gone-00000.warc.gz": 0}) == 2
    kept = [json.loads(line)["n"] for line in gzip.decompress(path.read_bytes()).splitlines()]
    assert kept == [0, 3]


def newsarchive(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crawler", *args], capture_output=True,
                          text=True, timeout=300, check=False, cwd=REPO)


def test_killed_crawl_keeps_its_jsonl_lines_and_verifies(tmp_path: Path) -> None:
    written = run_until_killed(CRAWL_LOOP, tmp_path, 40)
    assert crawl_lock_path(tmp_path, CRAWL_ID).exists()  # left by the killed crawl

    (message,) = recover_interrupted_crawls(LocalOutput(tmp_path))
    assert message.startswith(f"recovered interrupted crawl {CRAWL_ID}")
    kept = int(message.split(" JSONL records kept")[0].rsplit(" ", 1)[1])
    assert kept >= written >= 40
    manifest = json.loads((tmp_path / f"crawls/{CRAWL_ID}.json").read_text())
    assert manifest["status"] == "recovered" and manifest["counts"]["articles"] == kept
    listed = {f["key"]: f for f in manifest["files"]}
    assert {f["kind"] for f in listed.values()} == {"warc", "cdxj", "jsonl"}
    assert all(f["size"] > 0 for f in listed.values())
    assert len(gzip.decompress((tmp_path / JSONL_KEY).read_bytes()).splitlines()) == kept
    assert not list(tmp_path.rglob("*.open")) and not list(tmp_path.rglob("*.part"))
    assert not crawl_lock_path(tmp_path, CRAWL_ID).exists()

    check = newsarchive("verify", str(tmp_path))
    assert check.returncode == 0, check.stdout + check.stderr
    assert f"{kept} pointer" in check.stdout or str(kept) in check.stdout
    assert recover_interrupted_crawls(LocalOutput(tmp_path)) == []


def test_a_crawl_killed_before_its_first_line_lists_no_jsonl(tmp_path: Path) -> None:
    run_until_killed(CRAWL_LOOP, tmp_path, 3)
    jsonl = tmp_path / JSONL_KEY
    jsonl.write_bytes(b"")  # as Scrapy's buffered GzipPlugin left it
    (message,) = recover_interrupted_crawls(LocalOutput(tmp_path))
    assert "0 JSONL records kept" in message
    manifest = json.loads((tmp_path / f"crawls/{CRAWL_ID}.json").read_text())
    assert {f["kind"] for f in manifest["files"]} == {"warc", "cdxj"}
    assert not jsonl.exists()
    check = newsarchive("verify", str(tmp_path))
    assert check.returncode == 0, check.stdout + check.stderr


class Killed(BaseException):
    """Stands for a kill -9 at one step of recovery (nothing after it runs)."""


@pytest.mark.parametrize("step", ["cut_jsonl", "write_manifest_file", "finish_open_warc"])
def test_recovery_killed_midway_is_finished_by_the_next_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str) -> None:
    run_until_killed(CRAWL_LOOP, tmp_path, 20)
    original = getattr(interrupted, step)

    def killed(*args: object, **kwargs: object) -> object:
        original(*args, **kwargs)  # the step's own writes happen, then the process dies
        raise Killed

    monkeypatch.setattr(interrupted, step, killed)
    with pytest.raises(Killed):
        recover_interrupted_crawls(LocalOutput(tmp_path))
    monkeypatch.setattr(interrupted, step, original)
    # what a kill mid-write of an index or the manifest leaves too
    (tmp_path / f"crawls/{CRAWL_ID}.json.part").parent.mkdir(exist_ok=True)
    (tmp_path / f"crawls/{CRAWL_ID}.json.part").write_text("{")
    (index,) = tmp_path.glob("indexes/**/*.cdxj")
    index.with_name(index.name + ".part").write_text("x")

    messages = recover_interrupted_crawls(LocalOutput(tmp_path))
    if step == "finish_open_warc":  # killed after its last step: nothing left to do
        assert messages == []
    else:
        (message,) = messages
        assert message.startswith(f"recovered interrupted crawl {CRAWL_ID}")
        assert " 0 JSONL records kept" not in message
    assert not list(tmp_path.rglob("*.open"))
    manifest = json.loads((tmp_path / f"crawls/{CRAWL_ID}.json").read_text())
    assert {f["kind"] for f in manifest["files"]} == {"warc", "cdxj", "jsonl"}
    if step != "finish_open_warc":  # recovery was still due: it swept the leftovers
        assert not list(tmp_path.rglob("*.part"))
    check = newsarchive("verify", str(tmp_path))
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_live_crawl_between_warc_files_is_left_alone(tmp_path: Path) -> None:
    run_until_killed(CRAWL_LOOP, tmp_path, 5)
    (open_path,) = tmp_path.rglob("*.warc.gz.open")
    open_path.rename(open_path.with_name(open_path.name.removesuffix(".open")))  # no .open
    lock = CrawlLock.for_crawl(tmp_path, CRAWL_ID)
    assert lock.try_acquire()  # as the live crawl holds it
    try:
        assert recover_interrupted_crawls(LocalOutput(tmp_path)) == []
        assert not (tmp_path / "crawls").exists()
    finally:
        lock.release()
    (message,) = recover_interrupted_crawls(LocalOutput(tmp_path))
    assert message.startswith(f"recovered interrupted crawl {CRAWL_ID}")


def test_a_lock_left_beside_a_manifest_is_removed(tmp_path: Path) -> None:
    run_until_killed(CRAWL_LOOP, tmp_path, 5)
    assert len(recover_interrupted_crawls(LocalOutput(tmp_path))) == 1
    manifest = (tmp_path / f"crawls/{CRAWL_ID}.json").read_bytes()
    stale = crawl_lock_path(tmp_path, CRAWL_ID)
    stale.write_text("")  # as a crawl killed between its manifest and the lock's removal
    assert recover_interrupted_crawls(LocalOutput(tmp_path)) == []
    assert not stale.exists()
    assert (tmp_path / f"crawls/{CRAWL_ID}.json").read_bytes() == manifest


def test_an_unreadable_crawl_is_named_and_left_as_found(tmp_path: Path) -> None:
    bad = tmp_path / f"warc/news/2026/11/27/{CRAWL_ID}-00000.warc.gz"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"not a WARC at all")
    (message,) = recover_interrupted_crawls(LocalOutput(tmp_path))
    assert message.startswith(f"could not recover interrupted crawl {CRAWL_ID}: ")
    assert "\n" not in message
    assert bad.read_bytes() == b"not a WARC at all" and not (tmp_path / "crawls").exists()
