"""The crawl manifest ``crawls/<crawl_id>.json``: written last, so present means complete.

It records the site config, software versions, counts from the crawl stats, and every
output file with its size and sha256.
"""

from __future__ import annotations

import json
import logging
import os
import platform
from collections.abc import Iterable
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

from scrapy import signals
from scrapy.crawler import Crawler

from archive.crawl_output import crawl_output
from archive.layout import articles_key, file_kind, manifest_key, part_path
from pipelines.versions import EXTRACTOR_NAME, EXTRACTOR_VERSION, PACKAGE_VERSION

logger = logging.getLogger(__name__)

MANIFEST_VERSION = 1
# finish reasons that are a normal end of a crawl
NORMAL_FINISH = {"finished", "closespider_itemcount", "closespider_pagecount"}
SOFTWARE = ["scrapy", "warcio", "trafilatura", "extruct", "boto3", "twisted", "lxml"]


def software_versions() -> dict[str, str]:
    """newsarchive's own pair (from ``pipelines.versions``, not the installed metadata, which
    an editable install leaves stale), the extractor's, Python's and the libraries'."""
    versions = {"newsarchive": PACKAGE_VERSION, "extractor": f"{EXTRACTOR_NAME}/{EXTRACTOR_VERSION}",
                "python": platform.python_version()}
    for name in SOFTWARE:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def crawl_counts(stats: dict[str, Any]) -> dict[str, Any]:
    def total(prefix: str) -> int:
        return sum(v for k, v in stats.items() if k.startswith(prefix) and isinstance(v, int))

    return {
        "requests": stats.get("downloader/request_count", 0),
        "responses": stats.get("downloader/response_count", 0),
        # Pages the spider read (sections, feeds, sitemaps, article candidates): not
        # robots.txt, error pages or redirects.
        "page_responses": sum(stats.get(f"pages/{kind}", 0)
                              for kind in ("sections", "feeds", "sitemaps", "candidates")),
        "articles": stats.get("item_scraped_count", 0),
        "non_articles": total("pages/non_articles/"),
        "skipped": total("skipped/"),
        "extract_failed": stats.get("articles/extract_failed", 0),
        "http_errors": total("httperror/response_ignored_status_count/"),
        "download_errors": stats.get("downloader/exception_count", 0)
        - stats.get("downloader/exception_type_count/scrapy.exceptions.IgnoreRequest", 0),
        "retries": stats.get("retry/count", 0),
        "robots_forbidden": stats.get("robotstxt/forbidden", 0),
        "warc_records": stats.get("warc/records_written", 0),
        "warc_bytes": stats.get("warc/bytes_written", 0),
        "warc_files": stats.get("warc/files_closed", 0),
        "warc_revisits": stats.get("warc/revisits_written", 0),
        "warc_write_failed": stats.get("warc/write_failed", 0),
        "uploaded": stats.get("s3/uploaded", 0),
        # incremental crawling: records written for new and changed articles, articles
        # fetched unchanged, re-checks answered 304, known articles not fetched
        "articles_new": stats.get("revisions/new", 0),
        "articles_updated": stats.get("revisions/updated", 0),
        "articles_unchanged": stats.get("revisions/unchanged", 0),
        "not_modified": stats.get("incremental/not_modified", 0),
        "skipped_known": stats.get("incremental/skipped_known", 0),
        "finish_reason": stats.get("finish_reason"),
        # Page requisites (images, stylesheets, fonts…), apart from the page counts above.
        "requisites": {k.removeprefix("requisites/"): v for k, v in sorted(stats.items())
                       if k.startswith("requisites/")},
    }


class CrawlManifest:
    """Writes the manifest once everything else has been closed (``engine_stopped``)."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.started_at = datetime.now(timezone.utc)
        self.manifest: dict[str, Any] | None = None
        self.problems: list[str] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlManifest:
        extension = cls(crawler)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def engine_stopped(self) -> None:
        spider = self.crawler.spider
        crawl_id = getattr(spider, "crawl_id", "") or self.crawler.settings.get("NEWSARCHIVE_CRAWL_ID")
        site = getattr(spider, "site", None)
        output = crawl_output(self.crawler)
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        if self.crawler.settings.getbool("NEWSARCHIVE_EXTRACT") and site is not None:
            key = articles_key(site.name, crawl_id)
            if output.local_path(key).exists():
                output.file_closed(key)
        failed = output.finish()
        stats.update(getattr(output, "stats", None) or {})
        counts = crawl_counts(stats)
        from pipelines.reasons import not_article_reasons
        from pipelines.responses import ExtractSettings

        counts["not_articles_by_reason"] = not_article_reasons(
            stats, ExtractSettings.from_settings(self.crawler.settings).word_floors)
        # A worker on a shared frontier may find every request taken by the others.
        expect_responses = not self.crawler.settings.getbool("FRONTIER_SHARED")
        self.problems = problems_of(counts, failed, expect_responses)
        # Storage sees the manifest only once every other file is stored (it is held back
        # in the spool until then), so what it says is written as if all were stored.
        stored_problems = problems_of(counts, [], expect_responses)
        written = build_manifest(
            crawl_id,
            status="finished-with-errors" if stored_problems else "complete",
            problems=stored_problems,
            counts=counts,
            files=output.files,
            sites=[site.to_dict()] if site is not None else [],
            started_at=self.started_at,
        )
        self.manifest = {**written, "problems": self.problems, "not_stored": failed,
                         "status": "finished-with-errors" if self.problems else "complete"}
        if failed:
            logger.error("Files not stored (left in the spool for `upload --pending`): %s", failed)
        # Written and handed to the output even then: a storage output holds it back until
        # the rest is stored, by `upload --pending` if not now.
        key = manifest_key(crawl_id)
        path = output.local_path(key)
        write_manifest_file(path, written)
        output.file_closed(key)
        failed = output.finish()
        if failed and not self.manifest["not_stored"]:
            self.problems.append(f"manifest not stored: {failed}")
        self.manifest["not_stored"] = failed
        logger.info("Crawl %s: manifest %s", crawl_id, key)


class ListedFile(Protocol):
    key: str
    size: int
    sha256: str


def build_manifest(
    crawl_id: str,
    *,
    status: str,
    problems: list[str],
    counts: dict[str, Any],
    files: Iterable[ListedFile],
    sites: list[dict[str, Any]] | None = None,
    started_at: datetime | None = None,
) -> dict[str, Any]:
    """The manifest document: the one builder for a crawl's end and for crash recovery."""
    return {
        "manifest_version": MANIFEST_VERSION,
        "crawl_id": crawl_id,
        "started_at": started_at.isoformat(timespec="seconds") if started_at else None,
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "status": status,
        "problems": problems,
        "sites": sites or [],
        "software": software_versions(),
        "counts": counts,
        "files": [{"key": f.key, "kind": file_kind(f.key), "size": f.size, "sha256": f.sha256}
                  for f in files],
        "not_stored": [],
    }


def recovered_manifest(
    crawl_id: str,
    files: Iterable[ListedFile],
    *,
    open_files: int,
    bytes_cut: int,
    warc_records: int,
    jsonl_lines: int,
    jsonl_whole: bool = False,
) -> tuple[str, dict[str, Any]]:
    """(the problem line, the manifest) of a crawl finished by crash recovery."""
    jsonl = ("its JSONL was closed whole" if jsonl_whole else
             f"{jsonl_lines} JSONL records kept (`newsarchive reextract` rebuilds the rest "
             "from the WARCs)")
    problem = (f"crawl was interrupted; {open_files} open WARC file(s) recovered, "
               f"{bytes_cut} bytes of torn records cut, {jsonl}")
    return problem, build_manifest(
        crawl_id, status="recovered", problems=[problem],
        counts={"warc_records": warc_records, "articles": jsonl_lines}, files=files)


def write_manifest_file(path: Path, manifest: dict[str, Any]) -> None:
    """Write ``manifest`` to ``path`` whole or not at all (a kill leaves the old state)."""
    partial = part_path(path)
    with open(partial, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


def problems_of(
    counts: dict[str, Any], failed: list[str], expect_responses: bool = True
) -> list[str]:
    problems = []
    if counts["finish_reason"] not in NORMAL_FINISH:
        problems.append(f"crawl ended early: {counts['finish_reason']}")
    if counts.get("warc_write_failed"):
        problems.append("WARC writing failed (disk full?): the crawl was stopped, nothing truncated")
    # (a crawl stopped early may simply not have got that far)
    if counts["page_responses"] == 0 and expect_responses and counts["finish_reason"] in NORMAL_FINISH:
        problems.append("no page responses (no responses at all): is the site reachable?"
                        if counts["responses"] == 0 else
                        "no page responses: every start URL failed (only robots.txt, "
                        "redirects or error pages answered)")
    if counts["extract_failed"]:
        problems.append(f"{counts['extract_failed']} pages failed extraction")
    if failed:
        problems.append(f"{len(failed)} files not stored")
    return problems
