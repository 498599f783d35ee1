"""``RenderedNewsSite``: a small news site whose article text only a browser sees.

Each article page is a skeleton (headline, lead image, stylesheet, an empty ``#story``);
``/static/story.js`` (served gzip-compressed to clients that accept it) fetches
``/api/story/<slug>.json`` and inserts the paragraphs.  A crawler that does not run scripts
gets the headline and nothing else.  All text is original fiction for these tests.
"""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Callable, Mapping
from typing import Any

from crawler.demo.site import DemoResponse, html_response, response, tiny_png

SCRIPT_PATH = "/static/story.js"
STYLESHEET_PATH = "/static/rendered.css"
IMAGE_PATH = "/static/lead.png"
SLOW_IMAGE_PATH = "/static/slow.png"
SECTION_PATH = "/news/"
# Every article's text holds this phrase; only the script puts it in the page.
INSERTED_MARKER = "lighthouse keepers of the northern breakwater"

STORY_JS = """\
(function () {
  var slug = location.pathname.split("/").filter(Boolean).pop();
  fetch("/api/story/" + slug + ".json")
    .then(function (r) { return r.json(); })
    .then(function (story) {
      var box = document.getElementById("story");
      story.paragraphs.forEach(function (text) {
        var p = document.createElement("p");
        p.textContent = text;
        box.appendChild(p);
      });
      document.body.setAttribute("data-rendered", "yes");
    });
})();
"""

STYLESHEET = """\
body { margin: 0; font-family: sans-serif; background: #f4efe6; color: #1d2b36; }
header { background: #1d2b36; color: #f4efe6; padding: 16px 24px; font-size: 28px; }
article { max-width: 640px; margin: 24px auto; padding: 0 16px; }
h1 { font-size: 34px; color: #7a1f2b; }
img.lead { display: block; width: 100%; height: 120px; }
#story p { font-size: 18px; line-height: 1.5; }
"""

PARAGRAPHS = [
    "The {n} lighthouse keepers of the northern breakwater handed over their keys on "
    "Tuesday, ending a tradition of staffed lights that began when the harbour was dug.",
    "An automatic lamp installed over the winter now turns on at dusk and reports faults to "
    "the port office by radio, which the harbour board says will save money every year.",
    "Former keepers said they would miss the long nights on the rocks, the storms that shook "
    "the tower and the visitors who climbed the stairs to see the lens on open days.",
    "The board plans to turn the keepers' cottage into a small museum about the breakwater, "
    "with logbooks, uniforms and the brass fog bell that hung beside the door for a century.",
]


class RenderedNewsSite:
    """``handle`` for ``DemoServer``; ``on_story`` is called (with the count so far) each
    time a story's text is served, before the response is written."""

    def __init__(self, articles: int = 3, on_story: Callable[[int], None] | None = None,
                 slow_image: float = 0.0, extra_html: str = ""):
        """``slow_image``: seconds an extra image on every article page takes to answer;
        ``extra_html``: more markup at the end of every article page."""
        self.slugs = [f"breakwater-story-{i}" for i in range(1, articles + 1)]
        self.slow_image = slow_image
        self.extra_html = extra_html
        self.on_story = on_story
        self.stories_served = 0
        self._lock = threading.Lock()

    def site_config(self, base_url: str, **overrides: Any) -> dict[str, Any]:
        return {
            "name": "rendered",
            "start_urls": [base_url + SECTION_PATH],
            "article_patterns": [r"/news/breakwater-story-\d+/$"],
            "max_section_pages": 1,
            "download_delay": 0,
            "concurrency": 4,
            "autothrottle": False,
            "allow_private_addresses": True,
            "render": True,
            **overrides,
        }

    def article_path(self, slug: str) -> str:
        return f"{SECTION_PATH}{slug}/"

    def handle(self, method: str, target: str, headers: Mapping[str, str]) -> DemoResponse:
        path = target.split("?", 1)[0]
        accepts_gzip = "gzip" in {k.lower(): v for k, v in headers.items()}.get(
            "accept-encoding", "")
        if path == "/robots.txt":
            return response(200, b"User-agent: *\nAllow: /\n", "text/plain")
        if path == SECTION_PATH:
            return html_response(self.listing())
        if path == SCRIPT_PATH:
            body = STORY_JS.encode()
            if accepts_gzip:
                return response(200, gzip.compress(body, mtime=0), "application/javascript",
                                ("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding"))
            return response(200, body, "application/javascript")
        if path == STYLESHEET_PATH:
            return response(200, STYLESHEET.encode(), "text/css")
        if path == SLOW_IMAGE_PATH:
            found = response(200, tiny_png("slow", 8, 8), "image/png")
            found.delay = self.slow_image
            return found
        if path == IMAGE_PATH:
            return response(200, tiny_png("lead", 64, 24), "image/png")
        for number, slug in enumerate(self.slugs, 1):
            if path == self.article_path(slug):
                return html_response(self.article(slug, number))
            if path == f"/api/story/{slug}.json":
                with self._lock:
                    self.stories_served += 1
                    served = self.stories_served
                if self.on_story is not None:
                    self.on_story(served)
                text = [p.format(n=number + 1) for p in PARAGRAPHS]
                return response(200, json.dumps({"paragraphs": text}).encode(),
                                "application/json")
        return html_response("<html><body><h1>Not found</h1></body></html>", 404)

    def slow_image_html(self) -> str:
        return f'\n<img src="{SLOW_IMAGE_PATH}" alt="">' if self.slow_image else ""

    def listing(self) -> str:
        links = "".join(f'<li><a href="{self.article_path(s)}">Breakwater story {i}</a></li>'
                        for i, s in enumerate(self.slugs, 1))
        return (f"<!DOCTYPE html><html><head><title>News</title></head><body>"
                f"<h1>News</h1><ul>{links}</ul></body></html>")

    def article(self, slug: str, number: int) -> str:
        title = f"Breakwater light goes automatic, story {number}"
        return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{title}</title>
<meta property="og:type" content="article">
<meta property="og:title" content="{title}">
<meta name="description" content="The keepers of the northern breakwater hand over.">
<link rel="stylesheet" href="{STYLESHEET_PATH}">
</head><body>
<header>The Breakwater Gazette</header>
<article>
<h1>{title}</h1>
<img class="lead" src="{IMAGE_PATH}" alt="The northern breakwater light">
<div id="story"></div>
</article>{self.slow_image_html()}{self.extra_html}
<script src="{SCRIPT_PATH}"></script>
</body></html>
"""
