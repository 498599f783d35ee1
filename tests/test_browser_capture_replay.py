"""A rendered capture replays like the live page: screenshots of a JavaScript-built article,
live and from the archive through pywb, in headless Chromium, differ in at most 2% of pixels.

The screenshots are kept at ``/tmp/rendered-live.png`` and ``/tmp/rendered-archive.png``.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from archive.replay import ensure_pywb_venv, start_replay
from crawler.demo.server import DemoServer
from crawler.settings import NEWSARCHIVE_RENDER_LAUNCH_OPTIONS
from tests.browser_checks import different_pixel_share, require_chromium, run_crawl
from tests.servers.rendered import INSERTED_MARKER, RenderedNewsSite

pytestmark = [pytest.mark.replay, pytest.mark.browser, pytest.mark.e2e]

LIVE_PNG = Path("/tmp/rendered-live.png")
ARCHIVE_PNG = Path("/tmp/rendered-archive.png")
MAX_DIFFERING = 0.02
# A pixel differs when a channel is off by more than this (anti-aliasing noise is below).
CHANNEL_TOLERANCE = 16
HEADER_RGB = (0x1D, 0x2B, 0x36)  # from the stylesheet: only there when it was replayed
VIEWPORT = {"width": 800, "height": 900}
RENDERED = 'body[data-rendered="yes"] #story p'


async def live_screenshot(url: str, path: Path, size: tuple[int, int]) -> str:
    """Render ``url`` in a ``size`` viewport once its script has inserted the story; save a
    PNG of the viewport, return the article's text."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**NEWSARCHIVE_RENDER_LAUNCH_OPTIONS)
        try:
            page = await browser.new_page(viewport={"width": size[0], "height": size[1]})
            await page.goto(url, wait_until="networkidle")
            await page.wait_for_selector(RENDERED)
            await page.screenshot(path=str(path))
            return await page.inner_text("article")
        finally:
            await browser.close()


async def replay_screenshot(url: str, path: Path) -> tuple[str, tuple[int, int]]:
    """pywb's framed replay of ``url``: a PNG of the replay frame only (the page as replayed,
    without pywb's banner above it); the article's text and the frame's size."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**NEWSARCHIVE_RENDER_LAUNCH_OPTIONS)
        try:
            page = await browser.new_page(viewport=VIEWPORT)
            await page.goto(url, wait_until="networkidle")
            iframe = page.locator("iframe#replay_iframe")
            frame = page.frame_locator("iframe#replay_iframe")
            await frame.locator(RENDERED).first.wait_for()
            box = await iframe.bounding_box()
            assert box is not None
            await iframe.screenshot(path=str(path))
            text = await frame.locator("article").inner_text()
            return text, (round(box["width"]), round(box["height"]))
        finally:
            await browser.close()


def has_colour(path: Path, rgb: tuple[int, int, int]) -> bool:
    pixels = np.asarray(Image.open(path).convert("RGB"))
    return bool((pixels == np.array(rgb, dtype=np.uint8)).all(axis=2).any())


def test_rendered_article_replays_like_the_live_page(tmp_path: Path) -> None:
    require_chromium()
    site = RenderedNewsSite(articles=1)
    ensure_pywb_venv(say=print)
    with DemoServer(site) as server:
        done = run_crawl(site.site_config(server.base_url), tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        [record] = done.records
        stamp = "".join(ch for ch in record["fetched_at"] if ch.isdigit())[:14]
        with start_replay(done.out, port=0, say=print) as replay:
            # pywb's live fallback is off (its default): what replays is from the archive
            url = replay.replay_url("rendered", stamp, record["url"])
            archive_text, size = asyncio.run(replay_screenshot(url, ARCHIVE_PNG))
        live_text = asyncio.run(live_screenshot(record["url"], LIVE_PNG, size))
    assert INSERTED_MARKER in live_text and INSERTED_MARKER in archive_text
    assert has_colour(LIVE_PNG, HEADER_RGB) and has_colour(ARCHIVE_PNG, HEADER_RGB)
    lead = hashlib.md5(b"lead").digest()[:3]  # tiny_png's colour for the lead image
    assert has_colour(ARCHIVE_PNG, (lead[0], lead[1], lead[2]))
    share = different_pixel_share(LIVE_PNG, ARCHIVE_PNG, CHANNEL_TOLERANCE)
    print(f"pixels differing: {share:.4%}")
    assert share <= MAX_DIFFERING
