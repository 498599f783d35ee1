"""The end-of-crawl summary printed by `crawl` and `demo`."""

from __future__ import annotations

from typing import Any

from archive.layout import manifest_key
from crawler.run import CrawlResult

TOP_REASONS = 5


def reason_lines(counts: dict[str, Any]) -> list[str]:
    """The most frequent reasons pages were not taken as articles (manifest counts)."""
    reasons = counts.get("not_articles_by_reason") or []
    if not reasons:
        return []
    if counts.get("articles", 0) == 0 and counts.get("responses", 0) > 0:
        head = "  no articles: pages were fetched but none was taken as an article. Why not:"
    else:
        head = "  not taken as articles:"
    lines = [head]
    for entry in reasons[:TOP_REASONS]:
        noun = "page" if entry["pages"] == 1 else "pages"
        lines.append(f"    {entry['pages']} {noun}: {entry['why']}")
    rest = sum(entry["pages"] for entry in reasons[TOP_REASONS:])
    if rest:
        lines.append(f"    {rest} more for {len(reasons) - TOP_REASONS} other reasons "
                     "(manifest: counts.not_articles_by_reason)")
    return lines


def summarize(results: list[CrawlResult], where: str) -> str:
    lines = [f"Note: {line}" for line in (results[0].recovered if results else [])]
    for result in results:
        manifest = result.manifest or {}
        counts = manifest.get("counts", {})
        files = manifest.get("files", [])
        lines.append(f"Site {result.site}, crawl {result.crawl_id}:")
        lines.append(
            f"  {counts.get('responses', 0)} responses, {counts.get('articles', 0)} articles, "
            f"{counts.get('non_articles', 0)} non-articles, {counts.get('http_errors', 0)} HTTP errors, "
            f"{counts.get('download_errors', 0)} download errors, {counts.get('skipped', 0)} skipped"
        )
        requisites = counts.get("requisites") or {}
        if requisites:
            failed = sum(v for k, v in requisites.items() if k.startswith(("failed/", "skipped/")))
            lines.append(f"  page requisites: {requisites.get('responses', 0)} fetched "
                         f"({requisites.get('bytes', 0):,} bytes), {requisites.get('reused', 0)} "
                         f"reused by other pages, {failed} not fetched (manifest: "
                         "counts.requisites)")
        lines.extend(reason_lines(counts))
        for kind in ("warc", "cdxj", "jsonl"):
            for f in files:
                if f["kind"] == kind:
                    lines.append(f"  {kind:8} {where.rstrip('/')}/{f['key']}  ({f['size']:,} bytes)")
        if result.manifest and not result.manifest.get("not_stored"):
            lines.append(f"  manifest {where.rstrip('/')}/{manifest_key(result.crawl_id)}")
        for problem in result.problems:
            lines.append(f"  problem: {problem}")
        not_stored = manifest.get("not_stored") or []
        if not_stored:
            spool = f" {result.spool}" if result.spool else ""
            lines.append(f"  {len(not_stored)} file(s) wait in the local spool{spool}; "
                         "when storage is back run:")
            lines.append(f"    newsarchive upload --pending{spool}")
    return "\n".join(lines)
