"""A record's ``warc.key``: where its WARC lives relative to the archive root.

The key layout itself is owned by ``archive.warc_writer.RotatingWarcWriter.key_for``
(``warc/<site>/<YYYY>/<MM>/<DD>/<crawl_id>-<serial>.warc.gz``, the date being the day the
file was opened); this module only finds the key of a file it is given.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from archive.warc_writer import RotatingWarcWriter, crawl_id_of
from archive.crawl_id import crawl_date

_LAYOUT_PARTS = 6  # warc / site / YYYY / MM / DD / file
_DATE_PART = re.compile(r"^\d+$")
_SITE = re.compile(r"^[a-z0-9_-]+$")
_WARC_NAME = re.compile(r"^(?P<crawl_id>.+)-(?P<serial>\d+)\.warc\.gz$")


def key_from_path(path: str | PurePath) -> str | None:
    """The key of a WARC file that sits in an archive layout (``…/warc/<site>/Y/M/D/f``)."""
    parts = PurePath(path).parts[-_LAYOUT_PARTS:]
    if len(parts) < _LAYOUT_PARTS or parts[0] != "warc" or not _SITE.match(parts[1]):
        return None
    if not all(_DATE_PART.match(p) for p in parts[2:5]):
        return None
    return "/".join(parts)


def key_from_name(site: str | None, filename: str) -> str | None:
    """The key of one of newsarchive's WARCs from its name: the file opened on the day its
    crawl started (true unless a crawl rotated files after midnight UTC)."""
    match = _WARC_NAME.match(filename)
    if not site or not _SITE.match(site) or match is None:
        return None
    crawl_id = crawl_id_of(filename)
    try:
        started = crawl_date(crawl_id)
    except ValueError:
        return None
    layout = RotatingWarcWriter(None, site, crawl_id, {})  # type: ignore[arg-type]  # no file
    key = layout.key_for(int(match["serial"]), started)
    return key if key.endswith("/" + filename) else None


def site_of_key(key: str | None) -> str | None:
    return key.split("/")[1] if key else None


def key_in_crawl(writer: RotatingWarcWriter | None, filename: str) -> str | None:
    """The key of a WARC the running crawl's writer wrote or is writing, else None (a
    revisit's original in an earlier crawl).  Exact even when files rotated after midnight."""
    if writer is None:
        return None
    keys = [writer.current_key, *reversed(writer.closed_keys)]
    return next((k for k in keys if k and k.rsplit("/", 1)[-1] == filename), None)


# archive.capture.warcinfo_fields writes "newsarchive crawl of site '<name>'".
_WARCINFO_SITE = re.compile(r"^newsarchive crawl of site '([a-z0-9_-]+)'$")


def site_of_warcinfo(fields: dict[str, str]) -> str | None:
    """The site named by a newsarchive WARC's warcinfo record."""
    match = _WARCINFO_SITE.match(fields.get("description", ""))
    return match[1] if match else None
