"""The lead image's pointer: the crawl's ledger (crawler.requisite_fetching) and the same
pointer rebuilt by reextract (archive.lead_images)."""

from __future__ import annotations

import asyncio
from typing import Any

from archive.lead_images import LeadImagePointers
from crawler.requisite_fetching import RequestedUrls, RequisiteLedger
from crawler.requisites import IMAGE, STYLESHEET, Requisite
from pipelines.responses import FetchedResponse, Outcome

POINTER = {"key": "warc/s/2025/01/01/c-00000.warc.gz", "filename": "c-00000.warc.gz",
           "offset": 10, "length": 20, "record_id": "<urn:uuid:x>", "payload_digest": "sha1:X"}


def test_a_record_waits_for_its_image_fetch_and_gets_its_pointer() -> None:
    async def scenario() -> tuple[Any, Any, Any]:
        ledger = RequisiteLedger()
        ledger.requested([Requisite("http://a/i.png", IMAGE), Requisite("http://a/s.css", STYLESHEET)])
        assert "http://a/s.css" not in ledger.pending  # only images are waited for
        waiting = asyncio.ensure_future(ledger.wait("http://a/i.png", 10))
        await asyncio.sleep(0)
        assert not waiting.done()
        ledger.finished("http://a/i.png", POINTER)
        never = await ledger.wait("http://a/never.png", 10)  # never requested: no wait
        ledger.requested([Requisite("http://a/lost.png", IMAGE)])
        timed_out = await ledger.wait("http://a/lost.png", 0.01)
        return await waiting, never, timed_out

    pointer, never, timed_out = asyncio.run(scenario())
    assert pointer == POINTER and never is None and timed_out is None


def test_the_ledger_keeps_only_recent_fetches() -> None:
    ledger = RequisiteLedger(keep=2)
    for n in range(3):
        ledger.requested([Requisite(f"http://a/{n}.png", IMAGE)])
        ledger.finished(f"http://a/{n}.png", {**POINTER, "offset": n})
    assert list(ledger.pointers) == ["http://a/1.png", "http://a/2.png"]


def test_requested_urls_are_remembered_once() -> None:
    requested = RequestedUrls()
    assert requested.add("http://a/x.css") and not requested.add("http://a/x.css")
    assert requested.add("http://a/y.css") and len(requested) == 2


def fetched(url: str, status: int = 200, offset: int = 0) -> FetchedResponse:
    return FetchedResponse(url=url, date="", status=status, headers=[], payload=b"",
                           pointer={**POINTER, "offset": offset}, crawl_id="c")


def article(image_url: str | None) -> Outcome:
    image = {"url": image_url, "caption": None, "credit": None} if image_url else None
    return Outcome({"crawl_id": "c", "url": "http://a/page", "image": image}, "articles/extracted")


def test_reextract_points_at_the_image_archived_after_the_page() -> None:
    pointers = LeadImagePointers(window=2)
    seen = pointers.watch([fetched("http://a/page"), fetched("http://a/i.png", offset=99),
                           fetched("http://a/broken.png", status=404)])
    next(seen)  # the page, read: its record comes before its image is read
    waiting = list(pointers.attach(article("http://a/i.png")))
    assert waiting == []  # held
    list(seen)
    released = list(pointers.attach(article(None)))
    assert released[0].record["image"]["warc"]["offset"] == 99
    # an image never archived 2xx: released without a pointer after the window, or at the end
    out = list(pointers.attach(article("http://a/broken.png")))
    out += list(pointers.attach(article(None))) + list(pointers.attach(article(None)))
    out += list(pointers.flush())
    broken = [o for o in out if o.record["image"]]
    assert len(broken) == 1 and "warc" not in broken[0].record["image"]
