"""HeadFirstMetaRefreshMiddleware: Scrapy's meta refresh handling, without decoding every page."""

from __future__ import annotations

import pytest
from scrapy import Request, Spider
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.middlewares import HeadFirstMetaRefreshMiddleware
from tests.test_crawler_middlewares import _TextSpy as TextCounting

URL = "http://news.example/2025/03/harbour"
STORY = b"<p>The harbour reopened on Monday after a week of repairs to the outer wall.</p>" * 40


def _page(head: bytes, charset: str = "utf-8") -> bytes:
    html = b"<html><head>" + head + b"<title>Harbour</title></head><body>" + STORY + b"</body></html>"
    return html.decode("utf-8").encode(charset)


CASES = {
    "no refresh": _page(b""),
    "refresh": _page(b'<meta http-equiv="refresh" content="0; url=/2025/03/harbour-wall">'),
    "upper case": _page(b'<META HTTP-EQUIV=REFRESH CONTENT="2;URL=http://news.example/moved">'),
    "in noscript": _page(b'<noscript><meta http-equiv="refresh" content="0;url=/nojs"></noscript>'),
    "slower than the limit": _page(b'<meta http-equiv="refresh" content="600;url=/later">'),
    "the word in a script": _page(b"<script>setTimeout(refreshAds, 3000)</script>"),
    "after 4,096 characters": _page(b"<!--" + b"x" * 5000 + b'--><meta http-equiv="refresh"'
                                    b' content="0;url=/too-late">'),
    "utf-16": _page(b'<meta http-equiv="refresh" content="0; url=/utf16">', "utf-16"),
    "utf-16 with none": _page(b"", "utf-16"),
    "windows-1251 with one": _page('<meta http-equiv="refresh" content="0;url=/новости">'
                                   .encode("utf-8"), "windows-1251"),
}


def _middlewares() -> tuple[MetaRefreshMiddleware, HeadFirstMetaRefreshMiddleware]:
    crawler = get_crawler(Spider)
    crawler.spider = crawler._create_spider("test")
    return (MetaRefreshMiddleware.from_crawler(crawler),
            HeadFirstMetaRefreshMiddleware.from_crawler(crawler))


def _outcome(result: object) -> str:
    return f"redirect to {result.url}" if isinstance(result, Request) else "kept"


@pytest.mark.parametrize("body", CASES.values(), ids=CASES.keys())
def test_follows_exactly_the_refreshes_scrapy_follows(body: bytes) -> None:
    charset = "utf-16" if body.startswith((b"\xff\xfe", b"\xfe\xff")) else (
        "windows-1251" if "новости".encode("windows-1251") in body else "utf-8")
    scrapy, head_first = _middlewares()
    request = Request(URL)
    response = HtmlResponse(URL, body=body, request=request,
                            headers={"Content-Type": f"text/html; charset={charset}"})
    assert _outcome(head_first.process_response(request, response)) == _outcome(
        scrapy.process_response(request, response))


def test_a_page_without_a_refresh_in_its_head_is_not_decoded() -> None:
    _, head_first = _middlewares()
    request = Request(URL)
    TextCounting.text_reads = 0
    for body in (CASES["no refresh"], CASES["the word in a script"], CASES["in noscript"]):
        response = TextCounting(URL, body=body, request=request,
                                headers={"Content-Type": "text/html"})  # no charset: sniffed
        assert head_first.process_response(request, response) is response
    assert TextCounting.text_reads == 0


def test_a_refresh_it_follows_is_a_redirect_and_dont_redirect_still_holds() -> None:
    _, head_first = _middlewares()
    response = HtmlResponse(URL, body=CASES["refresh"], headers={"Content-Type": "text/html"})
    followed = head_first.process_response(Request(URL), response)
    assert isinstance(followed, Request) and followed.url == "http://news.example/2025/03/harbour-wall"
    held = Request(URL, meta={"dont_redirect": True})
    assert head_first.process_response(held, response) is response


def test_it_replaces_scrapys_in_the_crawl_settings() -> None:
    from crawler.run import crawl_settings

    middlewares = crawl_settings().getdict("DOWNLOADER_MIDDLEWARES")
    assert middlewares["scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware"] is None
    assert middlewares["crawler.middlewares.HeadFirstMetaRefreshMiddleware"] == 580
