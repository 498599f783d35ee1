"""WACZ 1.1.1 packages of an archive, for ReplayWeb.page.

Written here, not with py-wacz, whose dependencies would upgrade the crawler's chardet;
``wacz validate`` (py-wacz, from its own venv) still checks the result. WARCs are stored
uncompressed in the zip so readers can seek; the CDXJ index, pages.jsonl and datapackage.json
(size and sha256 of every file) follow py-wacz's two-level layout.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import subprocess
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archive.cdxj import Regions, readable_regions, run_indexer
from archive.layout import part_path, site_articles_files, site_warc_files

WACZ_VERSION = "1.1.1"
WACZ_REQUIREMENT = "wacz==0.6.*"
PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "Articles"}


def archive_warcs(archive: Path) -> list[tuple[str, Path]]:
    """(name inside the WACZ, path) of every WARC under ``archive/warc``.

    Base names are kept unless two sites of one crawl share one; then the site prefixes it.
    """
    warcs = site_warc_files(archive)
    counts: dict[str, int] = {}
    for _, warc in warcs:
        counts[warc.name] = counts.get(warc.name, 0) + 1
    named = []
    for site, warc in warcs:
        named.append((warc.name if counts[warc.name] == 1 else f"{site}-{warc.name}", warc))
    return named


def iter_pages(archive: Path, renamed: dict[tuple[str, str], str],
               losses: list[str] | None = None) -> Iterator[dict[str, Any]]:
    """pages.jsonl entries for the articles of the archive's JSONL files; a line or file
    that cannot be read is named in ``losses`` and skipped."""
    losses = [] if losses is None else losses
    for site, path in site_articles_files(archive):
        number = 0
        try:
            with gzip.open(path, "rt", encoding="utf-8") as f:
                for number, line in enumerate(f, 1):
                    if not line.strip():
                        continue
                    try:
                        yield _page(json.loads(line), site, renamed)
                    except (ValueError, KeyError, TypeError, AttributeError) as exc:
                        losses.append(f"{path}: line {number}: not an article record ({exc!r})")
        except (OSError, EOFError, UnicodeDecodeError, zlib.error) as exc:
            losses.append(f"{path}: unreadable after line {number}: {exc}")


def _page(record: dict[str, Any], site: str, renamed: dict[tuple[str, str], str]
          ) -> dict[str, Any]:
    pointer = record["warc"]
    return {
        "id": pointer["record_id"].strip("<>").removeprefix("urn:uuid:"),
        "url": record["url"],
        "ts": record["fetched_at"],
        "title": record["title"],
        "text": record["text"],
        "filename": renamed.get((site, pointer["filename"]), pointer["filename"]),
    }


def _sha256(data_or_path: bytes | Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    if isinstance(data_or_path, bytes):
        digest.update(data_or_path)
        return len(data_or_path), "sha256:" + digest.hexdigest()
    size = 0
    with open(data_or_path, "rb") as f:
        while chunk := f.read(1 << 20):
            size += len(chunk)
            digest.update(chunk)
    return size, "sha256:" + digest.hexdigest()


def compressed_index(warcs: list[tuple[str, Path]], losses: list[str] | None = None,
                     known: dict[Path, Regions] | None = None) -> tuple[bytes, bytes]:
    """(index.cdx.gz, index.idx) for the WARCs under their WACZ names (cdxj-indexer; a
    damaged WARC over its readable records, the rest named in ``losses``)."""
    with tempfile.TemporaryDirectory(prefix="newsarchive-wacz-") as tmp:
        inputs, by_link = [], {}
        for name, path in warcs:  # index under the names the WACZ uses
            link = Path(tmp) / name
            link.symlink_to(path.resolve())
            inputs.append(str(link))
            if known and path in known:
                by_link[str(link)] = known[path]
        idx, data = io.StringIO(), io.BytesIO()
        found = run_indexer(idx, inputs, by_link, post_append=True, sort=True, compress=data,
                            data_out_name="index.cdx.gz")
    if losses is not None:
        losses.extend(item.replace(f"{tmp}/", "", 1) for item in found)
    return data.getvalue(), idx.getvalue().encode("utf-8")


def readable_warcs(warcs: list[tuple[str, Path]], losses: list[str]
                   ) -> tuple[list[tuple[str, Path]], dict[Path, Regions]]:
    """The WARCs holding at least one readable record, and the regions of each; every
    unreadable span is named in ``losses`` (a WARC without a readable record is left out)."""
    kept, known = [], {}
    for name, path in warcs:
        regions, lost = known[path] = readable_regions(path)
        losses.extend(f"{path}: {span}" for span in lost)
        if regions:
            kept.append((name, path))
        else:
            losses.append(f"{path}: no readable WARC record: left out of the WACZ")
    return kept, known


class NothingReadable(ValueError):
    """Not one WARC of the archive holds a readable record."""


def write_wacz(
    archive: Path, output: Path, *, title: str | None = None, software: str = "",
    losses: list[str] | None = None,
) -> dict[str, Any]:
    """Package the archive at ``archive`` as ``output``; returns the datapackage.

    Damaged WARCs are packaged as they are and indexed over their readable records; a
    WARC without one is left out.  ``losses`` receives every span, file or JSONL line that
    could not be read.  Raises ``ValueError`` when there is no WARC to package
    (:class:`NothingReadable` when there are WARCs but none readable).
    """
    archive, output = Path(archive), Path(output)
    losses = [] if losses is None else losses
    warcs = archive_warcs(archive)
    if not warcs:
        raise ValueError(f"no WARC files under {archive}/warc/")
    warcs, known = readable_warcs(warcs, losses)
    if not warcs:
        raise NothingReadable(f"none of the WARC files under {archive}/warc/ holds a "
                              "readable record")
    renamed = {
        (path.relative_to(archive / "warc").parts[0], path.name): name
        for name, path in warcs if name != path.name
    }
    pages = list(iter_pages(archive, renamed, losses))
    pages_bytes = "".join(
        json.dumps(entry, ensure_ascii=False) + "\n" for entry in [PAGES_HEADER, *pages]
    ).encode("utf-8")
    cdx_gz, idx = compressed_index(warcs, losses, known)

    resources: list[dict[str, Any]] = []

    def resource(path: str, size_hash: tuple[int, str]) -> None:
        size, digest = size_hash
        resources.append({"name": os.path.basename(path).lower(), "path": path,
                          "hash": digest, "bytes": size})

    output.parent.mkdir(parents=True, exist_ok=True)
    partial = part_path(output)
    try:
        with zipfile.ZipFile(partial, "w", allowZip64=True) as zf:
            for name, path in warcs:
                zf.write(path, f"archive/{name}", compress_type=zipfile.ZIP_STORED)
                resource(f"archive/{name}", _sha256(path))
            members: list[tuple[str, bytes, int]] = [
                ("indexes/index.cdx.gz", cdx_gz, zipfile.ZIP_STORED),
                ("indexes/index.idx", idx, zipfile.ZIP_DEFLATED),
                ("pages/pages.jsonl", pages_bytes, zipfile.ZIP_DEFLATED),
            ]
            for member, data, compression in members:
                zf.writestr(member, data, compress_type=compression)
                resource(member, _sha256(data))
            package: dict[str, Any] = {
                "profile": "data-package",
                "resources": resources,
                "title": title or f"newsarchive: {archive.resolve().name}",
                "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "wacz_version": WACZ_VERSION,
                "software": software or _software(),
            }
            if pages:
                package["mainPageURL"] = pages[0]["url"]
                package["mainPageDate"] = pages[0]["ts"]
            package_bytes = json.dumps(package, indent=2).encode("utf-8")
            zf.writestr("datapackage.json", package_bytes, compress_type=zipfile.ZIP_DEFLATED)
            digest = {"path": "datapackage.json", "hash": _sha256(package_bytes)[1]}
            zf.writestr("datapackage-digest.json", json.dumps(digest, indent=2),
                        compress_type=zipfile.ZIP_DEFLATED)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, output)
    return package


def _software() -> str:
    from pipelines.versions import PACKAGE_VERSION

    return f"newsarchive {PACKAGE_VERSION}"


def validate_wacz(path: Path, say: Callable[[str], None] = print) -> tuple[bool, str]:
    """Run py-wacz's ``wacz validate`` (from its own venv) on ``path``: (passed, output)."""
    from archive.replay import _venv_bin, cache_dir, ensure_tool_venv

    venv = Path(os.environ.get("NEWSARCHIVE_WACZ_VENV") or cache_dir() / "wacz-venv")
    ensure_tool_venv(venv, WACZ_REQUIREMENT, say, "WACZ validation")
    proc = subprocess.run(
        [str(_venv_bin(venv, "wacz")), "validate", "-f", str(path)],
        capture_output=True, text=True, check=False,
    )
    output = proc.stdout + proc.stderr
    return proc.returncode == 0 and "Validation succeeded" in output, output
