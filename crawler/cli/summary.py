"""The end-of-crawl summary printed by `crawl` and `demo`."""

from __future__ import annotations

from crawler.run import CrawlResult


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
        for kind in ("warc", "cdxj", "jsonl"):
            for f in files:
                if f["kind"] == kind:
                    lines.append(f"  {kind:8} {where.rstrip('/')}/{f['key']}  ({f['size']:,} bytes)")
        if result.manifest and not result.manifest.get("not_stored"):
            lines.append(f"  manifest {where.rstrip('/')}/crawls/{result.crawl_id}.json")
        for problem in result.problems:
            lines.append(f"  problem: {problem}")
        not_stored = manifest.get("not_stored") or []
        if not_stored:
            spool = f" {result.spool}" if result.spool else ""
            lines.append(f"  {len(not_stored)} file(s) wait in the local spool{spool}; "
                         "when storage is back run:")
            lines.append(f"    newsarchive upload --pending{spool}")
    return "\n".join(lines)
