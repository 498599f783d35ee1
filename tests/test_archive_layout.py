"""``archive.layout`` owns every key and path of an archive and every way of listing them:
its keys, and a check over the source that no other module globs or formats one."""

from __future__ import annotations

import ast
from datetime import datetime, timezone
from pathlib import Path

import pytest

from archive import layout

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("archive", "crawler", "pipelines")
OWNER = "archive/layout.py"
GLOBS = {"glob", "rglob", "iglob"}
# Parts of archive file names: a string holding one builds or matches a key.
NAME_PARTS = (".warc.gz", ".cdxj", ".jsonl.gz", ".part", ".open", "dedup.sqlite", "state/live")
TOPS = ("warc/", "indexes/", "articles/", "crawls/", "state/")
CRAWL_ID = "20260102T030405Z-abcdef"


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def key_handling(source: str) -> list[tuple[int, str]]:
    """(line, what) for every glob call and every string that spells a piece of a key.

    Text with a space in it (messages, help; an f-string counts as a whole) and URLs are not
    keys; stats names such as ``warc/truncated/<reason>`` are not keys, so a top-level folder
    counts only on its own (``"crawls/"``, ``f"crawls/{crawl_id}"``) or after a slash.
    """
    tree = ast.parse(source)
    skipped = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts = [p for p in node.values if isinstance(p, ast.Constant)]
            if any(ch.isspace() for p in parts for ch in str(p.value)):
                skipped.update(id(p) for p in parts)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in GLOBS:
            found.append((node.lineno, f".{node.func.attr}()"))
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        text = node.value
        if id(node) in skipped or "://" in text or any(ch.isspace() for ch in text):
            continue
        if any(part in text for part in NAME_PARTS) or text in TOPS \
                or any(f"/{top}" in text for top in TOPS):
            found.append((node.lineno, repr(text)))
    return found


def test_no_module_but_layout_globs_or_spells_an_archive_key() -> None:
    offenders = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if name != OWNER:
                offenders += [f"{name}:{line}: {what}"
                              for line, what in key_handling(path.read_text(encoding="utf-8"))]
    assert not offenders, "keys and listings belong in archive/layout.py:\n" + "\n".join(offenders)


@pytest.mark.parametrize("source", [
    'paths = root.glob("warc/**/*.warc.gz")\n',
    'paths = sorted(folder.rglob("*"))\n',
    'key = f"crawls/{crawl_id}.json"\n',
    'key = f"{where}/crawls/{crawl_id}"\n',
    'partial = path.with_name(path.name + ".part")\n',
    'keys = storage.list("indexes/")\n',
])
def test_the_check_catches_key_handling(source: str) -> None:
    assert key_handling(source)


@pytest.mark.parametrize("source", [
    'stats.inc_value("articles/extract_failed")\n',
    'stats.inc_value(f"warc/truncated/{reason}")\n',
    'raise ValueError(f"no WARC files under {archive}/warc/")\n',
    'RECORD_TYPE = "http://netpreserve.org/warc/1.1/revisit"\n',
    'print(f"no manifests under {uri} (crawls/)")\n',
    'def f():\n    """Keys look like ``warc/<site>/x.warc.gz``."""\n',
])
def test_the_check_lets_stats_messages_and_docstrings_be(source: str) -> None:
    assert key_handling(source) == []


def test_keys_of_one_crawl() -> None:
    opened = datetime(2026, 1, 3, tzinfo=timezone.utc)
    warc = layout.warc_key("site", CRAWL_ID, 7, opened)
    assert warc == f"warc/site/2026/01/03/{CRAWL_ID}-00007.warc.gz"
    assert layout.index_key_for(warc) == f"indexes/site/2026/01/03/{CRAWL_ID}-00007.cdxj"
    assert layout.articles_key("site", CRAWL_ID) == f"articles/site/2026/01/02/{CRAWL_ID}.jsonl.gz"
    assert layout.manifest_key(CRAWL_ID) == f"crawls/{CRAWL_ID}.json"
    assert layout.crawl_id_of(Path(warc).name + layout.OPEN_SUFFIX) == CRAWL_ID
    assert [layout.file_kind(k) for k in (warc, layout.index_key_for(warc),
                                          layout.articles_key("site", CRAWL_ID),
                                          layout.manifest_key(CRAWL_ID), "state/x")] \
        == ["warc", "cdxj", "jsonl", "manifest", "other"]
    # a WARC opened the day its crawl started is found again from its name alone
    first = layout.warc_key("site", CRAWL_ID, 0, datetime(2026, 1, 2, tzinfo=timezone.utc))
    assert layout.key_from_name("site", Path(first).name) == first
    assert layout.key_from_path(Path("/anywhere") / first) == first
    with pytest.raises(ValueError, match="not a WARC key"):
        layout.index_key_for(layout.manifest_key(CRAWL_ID))


def test_listings_of_a_local_archive(tmp_path: Path) -> None:
    other = "20260102T030405Z-123456"
    opened = datetime(2026, 1, 2, tzinfo=timezone.utc)
    keys = [layout.warc_key("site", CRAWL_ID, 0, opened), layout.warc_key("site", other, 0, opened),
            layout.articles_key("site", CRAWL_ID), layout.manifest_key(other)]
    for key in keys:
        (tmp_path / key).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / key).write_bytes(b"x")
    open_warc = layout.open_path(tmp_path / layout.warc_key("site", CRAWL_ID, 1, opened))
    open_warc.write_bytes(b"x")
    layout.part_path(tmp_path / layout.manifest_key(CRAWL_ID)).write_bytes(b"x")
    layout.crawl_lock_path(tmp_path, CRAWL_ID).parent.mkdir(parents=True)
    layout.crawl_lock_path(tmp_path, CRAWL_ID).write_bytes(b"")

    assert [layout.key_of(tmp_path, p) for p in layout.warc_files(tmp_path, CRAWL_ID)] == keys[:1]
    assert len(layout.warc_files(tmp_path)) == 2
    assert layout.open_warc_files(tmp_path, CRAWL_ID) == [open_warc]
    assert layout.open_warc_files(tmp_path, other) == []
    assert [site for site, _ in layout.site_articles_files(tmp_path)] == ["site"]
    assert layout.manifested_crawl_ids(tmp_path) == {other}
    assert layout.locked_crawl_ids(tmp_path) == [CRAWL_ID]
    assert layout.stale_parts(tmp_path, CRAWL_ID) == [
        layout.part_path(tmp_path / layout.manifest_key(CRAWL_ID))]
    assert layout.warc_files_among([tmp_path]) == sorted(tmp_path / k for k in keys[:2])


def test_a_storage_targets_revisit_index_lives_beside_its_spools(tmp_path: Path) -> None:
    path = layout.storage_dedup_state_path(tmp_path / "spool", "s3://bucket/a prefix")
    assert path == tmp_path / "state" / "s3_bucket_a_prefix" / "dedup.sqlite"
