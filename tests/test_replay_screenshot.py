"""A replay check a person would trust: an article of the demo news site rendered live and
from the archive (pywb, unframed, live fallback off) in headless Chromium looks the same.

The live server is stopped before the replay is rendered, so nothing can come from it.
Screenshots: /tmp/replay-live.png and /tmp/replay-archive.png.
"""

from __future__ import annotations

import gzip
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archive.replay import start_replay
from crawler.demo.server import DemoServer
from crawler.demo.assets import srcset_variants
from crawler.demo.site import DemoSite
from tests.browser_checks import LAUNCH_OPTIONS, different_pixel_share, require_chromium
from tests.servers.hostile import run_crawl

pytestmark = pytest.mark.replay

LIVE_PNG = Path("/tmp/replay-live.png")
ARCHIVE_PNG = Path("/tmp/replay-archive.png")
MAX_DIFFERENT_PIXELS = 0.02
CHANNEL_TOLERANCE = 8  # (anti-aliasing of text)
PAGE_BACKGROUND = (0xF3, 0xEA, 0xD8)  # html { background } in the demo's base.css


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(**LAUNCH_OPTIONS)
        try:
            yield chromium
        finally:
            chromium.close()


def screenshot(browser: Any, url: str, path: Path) -> dict[str, Any]:
    """Render ``url`` at 1280×1600 into ``path``; what the page says of its lead image."""
    page = browser.new_page(viewport={"width": 1280, "height": 1600}, device_scale_factor=1)
    try:
        page.goto(url, wait_until="networkidle", timeout=60_000)
        page.evaluate("document.fonts.ready")
        facts: dict[str, Any] = page.evaluate("""() => {
            const img = document.querySelector('figure img');
            return {image_width: img ? img.naturalWidth : -1,
                    image_src: img ? img.currentSrc : '',
                    sheets: document.styleSheets.length};
        }""")
        page.screenshot(path=str(path))
        return facts
    finally:
        page.close()


def live_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_an_article_replays_from_the_archive_as_it_rendered_live(
    browser: Any, tmp_path: Path
) -> None:
    from PIL import Image

    site = DemoSite()
    article = next(a for a in site.articles if a.family == "wordpress" and a.image_path)
    out = tmp_path / "archive"
    server = DemoServer(site).start()
    try:
        config = site.site_config(server.base_url)
        result = run_crawl(config, out, timeout=600)
        assert result.returncode == 0, result.stderr[-3000:]
        url = server.base_url.rstrip("/") + str(article.path)
        live = screenshot(browser, url, LIVE_PNG)
        records = [json.loads(line) for path in out.glob("articles/**/*.jsonl.gz")
                   for line in gzip.open(path, "rt", encoding="utf-8")]
        record = next(r for r in records if r["url"] == url)
        stamp = "".join(ch for ch in record["fetched_at"] if ch.isdigit())[:14]
        with start_replay(out, framed=False, say=print) as replay:
            # live fallback off: a URL the live site serves but the archive lacks (a srcset
            # candidate smaller than the largest) is a 404
            not_archived = server.base_url.rstrip("/") + srcset_variants(str(article.image_path))[600]
            assert live_status(not_archived) == 200
            assert live_status(replay.replay_url("demo", stamp, not_archived, "mp_")) == 404
            server.stop()  # from here on, nothing can come from the live site
            archived = screenshot(browser, replay.replay_url("demo", stamp, url, "mp_"),
                                  ARCHIVE_PNG)
    finally:
        server.stop()

    # the replay has its stylesheet and its lead image, from the archive
    assert live["image_width"] > 0 and archived["image_width"] == live["image_width"]
    assert archived["sheets"] == live["sheets"] >= 1
    with Image.open(ARCHIVE_PNG) as shot:
        assert shot.convert("RGB").getpixel((2, 2)) == PAGE_BACKGROUND
    share = different_pixel_share(LIVE_PNG, ARCHIVE_PNG, CHANNEL_TOLERANCE)
    print(f"pixels that differ: {share:.4%}")
    assert share <= MAX_DIFFERENT_PIXELS
