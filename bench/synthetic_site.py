"""A synthetic news site for crawl benchmarks: generated on disk, served from another process.

    python bench/synthetic_site.py --articles 2000 --out /tmp/site            # generate only
    python bench/synthetic_site.py --articles 2000 --serve --serve-for 600    # generate + serve

The site is deterministic for a given ``--seed`` and article count.  Layout:

* ``/robots.txt`` (disallows ``/search/``, which the header links to),
* ``/`` home page, ``/about/``, ``/contact/``, ``/privacy/``,
* six sections ``/category/<name>/`` with pagination ``/category/<name>/page/N/`` listing
  20 teasers per page (``<link rel=next>`` and numbered page links),
* articles ``/<yyyy>/<mm>/<dd>/<slug>-<id>/`` of ~60–120 KB: inline CSS and JS, a large
  JSON state blob (as Next.js/Arc sites ship), a mega menu, breadcrumb, og/JSON-LD metadata,
  byline, lead image with credit, 400–1,200 words of body, related links, "most read",
  newsletter form, comments, a big footer.  Images live on an external CDN host that neither
  crawler fetches.

Every page also exists as ``.gz`` (``--gzip-level``, default 1, nginx's default gzip_comp_level):
nginx serves it with ``gzip_static`` to clients that send ``Accept-Encoding: gzip`` and the plain
file otherwise, so the server spends almost no CPU on the two cores the crawlers need.  nginx is
used when installed (``apt-get install -y nginx-light``), else a threaded Python server in a
child process.

How the server answers is a ``Serving``: ``Content-Type: text/html`` with or without a
charset, ``Vary: Accept-Encoding`` or not, and (Python server only) chunked bodies or HTTP/1.0
close-delimited ones.  ``refresh_scripts`` puts what many news pages carry in their head into
every article: an ad-refresh script and a ``<noscript>`` meta refresh (which Scrapy ignores).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self

SECTIONS = ["politics", "business", "world", "culture", "science", "sport"]
PER_PAGE = 20
STATIC_PAGES = ["about", "contact", "privacy"]
CDN = "https://cdn.synthetic-news.invalid"
# Page requisites on the site's own host, as real sites share them: one stylesheet that
# @imports another which loads a font, a logo, and a lead image per article (/media/<id>.png).
SITE_CSS = "/static/css/site.css"
BASE_CSS = "/static/css/base.css"
FONT = "/static/fonts/herald.woff2"
LOGO = "/static/img/logo.png"
SHARED_ASSETS = {
    SITE_CSS: f'@import url("{BASE_CSS}");\n.masthead {{ background: url("{LOGO}") no-repeat; }}\n'.encode(),
    BASE_CSS: (f'@font-face {{ font-family: Herald; src: url("{FONT}") format("woff2"); }}\n'
               "body { font-family: Herald, Georgia, serif; }\n" + ".x{color:#123}\n" * 400).encode(),
    FONT: b"wOF2" + bytes(range(256)) * 80,
    LOGO: b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8,
}
MIN_PAGE, MAX_PAGE = 60_000, 120_000
GZIP_LEVEL = 1  # nginx's default gzip_comp_level
# What many news pages carry in their head: ads refreshed by script, and a no-JS fallback
# that reloads the page (Scrapy's MetaRefreshMiddleware ignores <noscript> by default).
REFRESH_SCRIPTS = (
    "<script>var googletag=googletag||{cmd:[]};googletag.cmd.push(function(){"
    "setInterval(function(){googletag.pubads().refresh();},60000);});</script>"
    "<noscript><meta http-equiv=\"refresh\" content=\"0; url=/?nojs=1\"></noscript>"
)

_SYLLABLES = ["ka", "ro", "mi", "ten", "sal", "ver", "dun", "pol", "ia", "ex", "tra", "mon", "gre", "lis", "fa", "nor", "bel", "cas", "ter", "rin", "vo", "ma", "de", "li", "an", "or", "es", "it", "ul", "ba", "ne", "qui", "sto", "pra", "len", "hol", "mer", "dra", "fin", "cor"]
_FIRST = ["Anna", "Jonas", "Maria", "Tom", "Leila", "Kwame", "Sofia", "Ravi", "Elena", "Mateo", "Yuki", "Omar", "Clara", "Felix", "Ines", "Noah"]
_LAST = ["Berg", "Okafor", "Lindqvist", "Moreau", "Haddad", "Novak", "Sato", "Mensah", "Duarte", "Keller", "Rossi", "Walsh", "Iyer", "Costa"]
_AGENCIES = ["Reuters", "AP", "AFP", "Getty Images", "EPA", "dpa"]


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 3)))


def _sentence(rng: random.Random, lo: int = 8, hi: int = 24) -> str:
    words = [_word(rng) for _ in range(rng.randint(lo, hi))]
    return words[0].capitalize() + " " + " ".join(words[1:]) + rng.choice("....?,")[0]


@dataclass(frozen=True)
class Article:
    id: int
    section: str
    title: str
    path: str
    published: str
    authors: tuple[str, ...]
    paragraphs: tuple[int, ...]  # indexes into the paragraph pool
    size: int  # target page size in bytes


class SiteGenerator:
    """Builds every page of the site in ``root`` (deterministic for ``seed``)."""

    def __init__(self, root: Path, articles: int, seed: int = 1, *, gzip_level: int = GZIP_LEVEL,
                 refresh_scripts: bool = False):
        self.root = Path(root)
        self.count = articles
        self.gzip_level = gzip_level
        self.refresh_scripts = refresh_scripts
        self.rng = random.Random(seed)
        rng = self.rng
        # Pools keep generation fast (~1 ms a page): pages pick from them by index, and each
        # page draws different items, so gzip still sees realistic, non-repeating text.
        self.paragraphs = [" ".join(_sentence(rng) for _ in range(rng.randint(3, 7))) for _ in range(4000)]
        self.blob_chunks = [self._blob_chunk(rng, i) for i in range(3000)]
        self.css = self._css(rng)
        self.articles = [self._article(i) for i in range(articles)]
        self.by_section = {s: [a for a in self.articles if a.section == s] for s in SECTIONS}

    # --- content --------------------------------------------------------------------------
    @staticmethod
    def _blob_chunk(rng: random.Random, i: int) -> str:
        item = {
            "id": f"{rng.getrandbits(64):016x}",
            "type": rng.choice(["story", "video", "gallery", "promo", "ad-slot"]),
            "headline": _sentence(rng, 5, 10),
            "tracking": {"cid": rng.getrandbits(32), "pos": i, "ab": rng.choice("ABCD")},
            "image": f"{CDN}/img/{rng.getrandbits(48):012x}.jpg",
            "summary": _sentence(rng, 10, 20),
        }
        return json.dumps(item, separators=(",", ":"))

    @staticmethod
    def _css(rng: random.Random) -> str:
        rules = []
        for i in range(180):
            cls = f".c-{_word(rng)}-{i}"
            props = ";".join(
                f"{rng.choice(['margin', 'padding', 'color', 'font-size', 'line-height', 'border'])}:"
                f"{rng.randint(0, 40)}px" for _ in range(rng.randint(2, 6))
            )
            rules.append(f"{cls}{{{props}}}")
        return "".join(rules)

    def _article(self, i: int) -> Article:
        rng = self.rng
        section = SECTIONS[i % len(SECTIONS)]
        # newest first: article 0 is the latest, one every ~47 minutes going back
        epoch = 1735689600 - i * 2820
        t = time.gmtime(epoch)
        words = [_word(rng) for _ in range(rng.randint(5, 9))]
        title = " ".join(words).capitalize()
        slug = "-".join(words[:6]) + f"-{100000 + i}"
        authors = tuple(f"{rng.choice(_FIRST)} {rng.choice(_LAST)}" for _ in range(rng.choice([1, 1, 1, 2])))
        n_par = rng.randint(6, 16)
        return Article(
            id=i,
            section=section,
            title=title,
            path=f"/{t.tm_year}/{t.tm_mon:02d}/{t.tm_mday:02d}/{slug}/",
            published=time.strftime("%Y-%m-%dT%H:%M:%S+00:00", t),
            authors=authors,
            paragraphs=tuple(rng.randrange(len(self.paragraphs)) for _ in range(n_par)),
            size=rng.randint(MIN_PAGE, MAX_PAGE),
        )

    # --- page chrome ------------------------------------------------------------------------
    def _head(self, title: str, extra: str = "") -> str:
        return (
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{title} | Synthetic Herald</title>"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"{extra}<link rel=\"stylesheet\" href=\"{SITE_CSS}\"><style>{self.css}</style>"
            "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}"
            "gtag('js',new Date());gtag('config','G-SYNTH');</script></head><body>"
        )

    def _menu(self) -> str:
        items = []
        for s in SECTIONS:
            pages = "".join(
                f"<li><a href=\"/category/{s}/page/{n}/\">{s.title()} archive {n}</a></li>"
                for n in range(2, 5) if (n - 1) * PER_PAGE < len(self.by_section[s])
            )
            items.append(
                f"<li class=\"menu-item has-children\"><a href=\"/category/{s}/\">{s.title()}</a>"
                f"<ul class=\"sub-menu\">{pages}</ul></li>"
            )
        return (
            f"<header class=\"site-header masthead\"><div class=\"logo\"><a href=\"/\"><img src=\"{LOGO}\" alt=\"\">Synthetic Herald</a></div>"
            "<form class=\"search\" action=\"/search/\"><input name=\"q\"></form>"
            f"<nav class=\"main-navigation menu\"><ul>{''.join(items)}</ul></nav>"
            "<a class=\"subscribe\" href=\"/search/?q=subscribe\">Subscribe</a></header>"
        )

    def _footer(self) -> str:
        links = "".join(f"<li><a href=\"/category/{s}/\">{s.title()}</a></li>" for s in SECTIONS)
        static = "".join(f"<li><a href=\"/{p}/\">{p.title()}</a></li>" for p in STATIC_PAGES)
        social = "".join(
            f"<a class=\"social\" href=\"https://{n}.invalid/synthetic\"><svg viewBox=\"0 0 24 24\">"
            "<path d=\"M12 2C6.5 2 2 6.5 2 12s4.5 10 10 10 10-4.5 10-10S17.5 2 12 2zm0 18c-4.4 0-8-3.6-8-8"
            "s3.6-8 8-8 8 3.6 8 8-3.6 8-8 8z\"/></svg></a>"
            for n in ("facebook", "twitter", "instagram", "youtube")
        )
        return (
            f"<footer class=\"site-footer\"><ul class=\"footer-sections\">{links}</ul>"
            f"<ul class=\"footer-pages\">{static}</ul><div class=\"social-links\">{social}</div>"
            "<p class=\"copyright\">© 2025 Synthetic Herald Media. All rights reserved.</p>"
            "<div class=\"cookie-banner\">We use cookies to improve your experience.</div></footer>"
        )

    def _teaser(self, a: Article, rng: random.Random) -> str:
        return (
            f"<article class=\"teaser\"><a href=\"{a.path}\"><img src=\"{CDN}/thumb/{a.id}.jpg\" alt=\"\"></a>"
            f"<h2 class=\"teaser-title\"><a href=\"{a.path}\">{a.title}</a></h2>"
            f"<p class=\"excerpt\">{self.paragraphs[a.paragraphs[0]][:200]}</p>"
            f"<span class=\"byline\">{' and '.join(a.authors)}</span>"
            f"<time datetime=\"{a.published}\">{a.published[:10]}</time></article>"
        )

    def _most_read(self, rng: random.Random) -> str:
        picks = [self.articles[rng.randrange(self.count)] for _ in range(min(10, self.count))]
        items = "".join(f"<li><a href=\"{a.path}\">{a.title}</a></li>" for a in picks)
        return f"<aside class=\"sidebar widget most-read\"><h3>Most read</h3><ol>{items}</ol></aside>"

    def _state_blob(self, rng: random.Random, size: int) -> str:
        """A JSON state blob of about ``size`` bytes, as client-rendered news sites embed."""
        parts, total = [], 0
        while total < size:
            chunk = self.blob_chunks[rng.randrange(len(self.blob_chunks))]
            parts.append(chunk)
            total += len(chunk) + 1
        return f"<script id=\"__STATE__\" type=\"application/json\">[{','.join(parts)}]</script>"

    # --- pages ------------------------------------------------------------------------------
    def article_page(self, a: Article) -> str:
        rng = random.Random(a.id * 7919 + 17)
        url = a.path
        credit = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}/{rng.choice(_AGENCIES)}"
        ld = {
            "@context": "https://schema.org", "@type": "NewsArticle", "headline": a.title,
            "datePublished": a.published, "dateModified": a.published,
            "author": [{"@type": "Person", "name": n} for n in a.authors],
            "image": [f"{CDN}/img/{a.id}.jpg"], "articleSection": a.section.title(),
            "publisher": {"@type": "Organization", "name": "Synthetic Herald"},
        }
        head = self._head(a.title, (
            f"<link rel=\"canonical\" href=\"{url}\"><meta property=\"og:type\" content=\"article\">"
            f"<meta property=\"og:title\" content=\"{a.title}\"><meta property=\"og:url\" content=\"{url}\">"
            f"<meta property=\"og:image\" content=\"{CDN}/img/{a.id}.jpg\">"
            "<meta property=\"og:site_name\" content=\"Synthetic Herald\">"
            f"<meta name=\"description\" content=\"{self.paragraphs[a.paragraphs[0]][:150]}\">"
            f"<script type=\"application/ld+json\">{json.dumps(ld)}</script>"
            + (REFRESH_SCRIPTS if self.refresh_scripts else "")
        ))
        body = []
        for n, p in enumerate(a.paragraphs):
            body.append(f"<p>{self.paragraphs[p]}</p>")
            if n == 2:
                other = self.articles[rng.randrange(self.count)]
                body.append(f"<p class=\"read-more\">Read more: <a href=\"{other.path}\">{other.title}</a></p>")
            if n == 4:
                body.append("<div class=\"ad-slot\" data-slot=\"mid-article\"></div>")
        related = "".join(self._teaser(self.articles[rng.randrange(self.count)], rng) for _ in range(6))
        main = (
            f"<div class=\"breadcrumb\"><a href=\"/\">Home</a> › <a href=\"/category/{a.section}/\">"
            f"{a.section.title()}</a></div><main><article class=\"post hentry\">"
            f"<h1 class=\"entry-title\">{a.title}</h1><div class=\"meta\"><span class=\"byline\">By "
            f"{' and '.join(a.authors)}</span> <time class=\"published\" datetime=\"{a.published}\">"
            f"{a.published[:10]}</time></div><figure class=\"lead\"><img src=\"/media/{a.id}.png\" "
            f"alt=\"{a.title}\"><figcaption>{_sentence(rng, 6, 12)} Photo: {credit}</figcaption></figure>"
            f"<div class=\"entry-content\">{''.join(body)}</div>"
            "<div class=\"tags\">" + "".join(f"<span class=\"tag\">{_word(rng)}</span>" for _ in range(4))
            + "</div><div class=\"share\"><a href=\"https://facebook.invalid/share\">Share</a></div>"
            "</article><section class=\"related\"><h3>Related</h3>" + related + "</section>"
            "<section class=\"comments\" id=\"comments\"><h3>Comments</h3><form class=\"comment-form\">"
            "<textarea name=\"comment\"></textarea></form></section></main>"
        )
        page = head + self._menu() + main + self._most_read(rng) + (
            "<div class=\"newsletter widget\"><h3>Newsletter</h3><form><input name=\"email\"></form></div>"
        ) + self._footer()
        blob = self._state_blob(rng, max(0, a.size - len(page) - 30))
        return page + blob + "</body></html>"

    def listing_page(self, section: str, page: int, pages: int) -> str:
        rng = random.Random(page * 31 + SECTIONS.index(section))
        base = f"/category/{section}/"
        url = base if page == 1 else f"{base}page/{page}/"
        items = self.by_section[section][(page - 1) * PER_PAGE: page * PER_PAGE]
        nxt = f"{base}page/{page + 1}/" if page < pages else None
        prev = (base if page == 2 else f"{base}page/{page - 1}/") if page > 1 else None
        extra = f"<link rel=\"canonical\" href=\"{url}\">"
        if nxt:
            extra += f"<link rel=\"next\" href=\"{nxt}\">"
        numbers = "".join(
            f"<a class=\"page-numbers\" href=\"{base if n == 1 else f'{base}page/{n}/'}\">{n}</a>"
            for n in range(max(1, page - 2), min(pages, page + 2) + 1) if n != page
        )
        pagination = (
            (f"<a class=\"prev\" href=\"{prev}\">« Newer</a>" if prev else "") + numbers
            + (f"<a class=\"next\" href=\"{nxt}\">Older »</a>" if nxt else "")
        )
        main = (
            f"<main><h1 class=\"page-title\">{section.title()}</h1><div class=\"listing\">"
            + "".join(self._teaser(a, rng) for a in items)
            + f"</div><nav class=\"pagination\">{pagination}</nav></main>"
        )
        page_html = self._head(f"{section.title()} – page {page}", extra) + self._menu() + main
        page_html += self._most_read(rng) + self._footer()
        return page_html + self._state_blob(rng, 20_000) + "</body></html>"

    def home_page(self) -> str:
        rng = random.Random(5)
        main = "<main><h1>Latest news</h1>" + "".join(self._teaser(a, rng) for a in self.articles[:20]) + "</main>"
        return self._head("Home") + self._menu() + main + self._footer() + "</body></html>"

    def static_page(self, name: str) -> str:
        rng = random.Random(len(name))
        main = f"<main><h1>{name.title()}</h1>" + "".join(f"<p>{_sentence(rng)}</p>" for _ in range(10)) + "</main>"
        return self._head(name.title()) + self._menu() + main + self._footer() + "</body></html>"

    # --- output -----------------------------------------------------------------------------
    def _write(self, path: str, text: str) -> int:
        rel = path.lstrip("/")
        target = self.root / rel / "index.html" if path.endswith("/") else self.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8")
        target.write_bytes(data)
        Path(str(target) + ".gz").write_bytes(gzip.compress(data, self.gzip_level, mtime=0))
        return len(data)

    def _write_bytes(self, path: str, data: bytes) -> None:
        target = self.root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    def generate(self) -> dict[str, int]:
        """Write every page; returns counts and sizes."""
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "robots.txt").write_text(
            "User-agent: *\nDisallow: /search/\n", encoding="ascii"
        )
        article_bytes = 0
        listing_pages = 0
        for a in self.articles:
            article_bytes += self._write(a.path, self.article_page(a))
        for s in SECTIONS:
            pages = max(1, -(-len(self.by_section[s]) // PER_PAGE))
            for n in range(1, pages + 1):
                self._write(f"/category/{s}/" if n == 1 else f"/category/{s}/page/{n}/",
                            self.listing_page(s, n, pages))
                listing_pages += 1
        self._write("/", self.home_page())
        for path, data in SHARED_ASSETS.items():
            self._write_bytes(path, data)
        for a in self.articles:
            self._write_bytes(f"/media/{a.id}.png", b"\x89PNG\r\n\x1a\n" + a.id.to_bytes(8, "big") * 512)
        for name in STATIC_PAGES:
            self._write(f"/{name}/", self.static_page(name))
        return {
            "articles": self.count,
            "listing_pages": listing_pages,
            "other_pages": 1 + len(STATIC_PAGES),
            "article_bytes_mean": article_bytes // max(1, self.count),
        }

    def max_section_pages(self) -> int:
        return max(-(-len(v) // PER_PAGE) for v in self.by_section.values())

    def start_paths(self) -> list[str]:
        return [f"/category/{s}/" for s in SECTIONS]


# --- serving ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Serving:
    """How the server answers (the bytes of the pages are the generator's)."""

    gzip_static: bool = True  # the .gz file to clients that accept gzip
    charset: str | None = None  # ``Content-Type: text/html; charset=…``; None: nginx's default
    vary: bool = True  # ``Vary: Accept-Encoding`` (nginx ``gzip_vary``)
    chunked: bool = False  # Python server only: ``Transfer-Encoding: chunked``
    http10: bool = False  # Python server only: HTTP/1.0, no length, one connection a page

    @property
    def needs_python(self) -> bool:
        return self.chunked or self.http10

    def describe(self) -> str:
        parts = ["gzip_static" if self.gzip_static else "no gzip",
                 f"charset={self.charset}" if self.charset else "no charset",
                 "Vary" if self.vary else "no Vary"]
        if self.chunked:
            parts.append("chunked")
        if self.http10:
            parts.append("HTTP/1.0 close-delimited")
        return ", ".join(parts)


NGINX_CONF = """\
{user}worker_processes 1;
daemon off;
master_process on;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    types {{ text/html html; text/plain txt; application/xml xml; }}
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        root {root};
        index index.html;
        gzip_static {gzip_static};
        gzip_vary {gzip_vary};
        charset {charset};
        location / {{ try_files $uri $uri/ =404; }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(host: str, port: int, proc: subprocess.Popen, deadline: float = 15.0) -> bool:
    """Probe ``/robots.txt`` until it answers 200, the process dies, or the deadline passes."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if proc.poll() is not None:
            return False
        with contextlib.suppress(OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection(host, port, timeout=1)
            conn.request("GET", "/robots.txt")
            ok = conn.getresponse().status == 200
            conn.close()
            if ok:
                return True
        time.sleep(0.05)  # a probe interval, not a wait for readiness
    return False


class SiteServer:
    """Serves ``root`` on 127.0.0.1 from a child process (nginx, else a Python server)."""

    def __init__(self, root: Path, *, gzip_static: bool = True, prefer: str = "nginx",
                 serving: Serving | None = None):
        self.root = Path(root).resolve()
        self.serving = serving or Serving(gzip_static=gzip_static)
        self.gzip_static = self.serving.gzip_static
        self.prefer = "python" if self.serving.needs_python else prefer
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.kind = ""
        self.version = ""
        self._tmp: str | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
        if self.prefer == "nginx" and nginx:
            for _ in range(5):  # the free port may be taken between probe and bind
                if self._start_nginx(nginx):
                    return self
            raise RuntimeError(f"nginx did not start; see {self._tmp}/error.log")
        self._start_python()
        return self

    def _start_nginx(self, nginx: str) -> bool:
        self._tmp = self._tmp or tempfile.mkdtemp(prefix="synthetic-nginx-")
        self.port = free_port()
        conf = Path(self._tmp) / "nginx.conf"
        # As root, nginx's workers would drop to "nobody", who cannot read a 0700 temp dir.
        user = "user root;\n" if os.geteuid() == 0 else ""
        conf.write_text(NGINX_CONF.format(
            user=user, tmp=self._tmp, port=self.port, root=self.root,
            gzip_static="on" if self.gzip_static else "off",
            gzip_vary="on" if self.serving.vary else "off",
            charset=self.serving.charset or "off",
        ))
        self.proc = subprocess.Popen(
            [nginx, "-c", str(conf), "-p", self._tmp, "-e", f"{self._tmp}/error.log"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        if wait_ready("127.0.0.1", self.port, self.proc):
            self.kind = "nginx"
            out = subprocess.run([nginx, "-v"], capture_output=True, text=True, check=False)
            self.version = (out.stderr or out.stdout).strip().split("/")[-1]
            return True
        self._kill()
        return False

    def _start_python(self) -> None:
        cmd = [sys.executable, os.path.abspath(__file__), "--python-server", str(self.root),
               "--serving", json.dumps(self.serving.__dict__)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, start_new_session=True)
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline().strip())
        if not wait_ready("127.0.0.1", self.port, self.proc):
            self._kill()
            raise RuntimeError("Python site server did not start")
        self.kind = "python-threaded"
        self.version = sys.version.split()[0]

    def _kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)  # nginx master + its worker only
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()  # the Python server's port line
        self.proc = None

    def stop(self) -> None:
        self._kill()
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _StaticHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    root: Path = Path(".")
    serving = Serving()
    chunk_size = 8192

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        target = (self.root / path.lstrip("/")).resolve()
        if not str(target).startswith(str(self.root)):
            return self._send(404, b"not found", "text/plain")
        if target.is_dir():
            if not path.endswith("/"):
                self.send_response(301)
                self.send_header("Location", path + "/")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            target = target / "index.html"
        if not target.is_file():
            return self._send(404, b"not found", "text/plain")
        serving = self.serving
        ctype = "text/html" if target.suffix == ".html" else "text/plain"
        if serving.charset:
            ctype += f"; charset={serving.charset}"
        gz = Path(str(target) + ".gz")
        if serving.gzip_static and "gzip" in self.headers.get("Accept-Encoding", "") and gz.is_file():
            return self._send(200, gz.read_bytes(), ctype, encoding="gzip")
        return self._send(200, target.read_bytes(), ctype)

    def _send(self, status: int, body: bytes, ctype: str, encoding: str | None = None) -> None:
        serving = self.serving
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        chunked = serving.chunked and status == 200
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif not serving.http10:
            self.send_header("Content-Length", str(len(body)))
        if encoding:
            self.send_header("Content-Encoding", encoding)
        if serving.vary and serving.gzip_static:
            self.send_header("Vary", "Accept-Encoding")
        self.end_headers()
        if not chunked:
            self.wfile.write(body)
            return
        for start in range(0, len(body), self.chunk_size):
            part = body[start:start + self.chunk_size]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
        self.wfile.write(b"0\r\n\r\n")


def run_python_server(root: str, serving: Serving) -> None:
    attributes = {"root": Path(root).resolve(), "serving": serving,
                  "protocol_version": "HTTP/1.0" if serving.http10 else "HTTP/1.1"}
    handler = type("Handler", (_StaticHandler,), attributes)
    # socketserver's default backlog of 5 drops the SYNs of a crawler opening 16 connections at
    # once (a page each over HTTP/1.0), and each retry waits a second; nginx's is 511.
    server_class = type("Server", (ThreadingHTTPServer,), {"request_queue_size": 511})
    server = server_class(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


@contextlib.contextmanager
def synthetic_site(articles: int = 2000, seed: int = 1, *, gzip_static: bool = True,
                   prefer: str = "nginx", root: Path | None = None, serving: Serving | None = None,
                   gzip_level: int = GZIP_LEVEL,
                   refresh_scripts: bool = False) -> Iterator[tuple[SiteServer, SiteGenerator, dict]]:
    """Generate the site in a temp dir (or ``root``), serve it, clean up afterwards."""
    own = root is None
    where = Path(tempfile.mkdtemp(prefix="synthetic-site-")) if root is None else Path(root)
    try:
        generator = SiteGenerator(where, articles, seed, gzip_level=gzip_level,
                                  refresh_scripts=refresh_scripts)
        info = generator.generate()
        with SiteServer(where, gzip_static=gzip_static, prefer=prefer, serving=serving) as server:
            yield server, generator, info
    finally:
        if own:
            shutil.rmtree(where, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, help="generate into DIR (kept) instead of a temp dir")
    parser.add_argument("--serve", action="store_true", help="serve after generating")
    parser.add_argument("--serve-for", type=float, default=600.0, metavar="SECONDS",
                        help="stop serving after this long (default 600)")
    parser.add_argument("--server", choices=["nginx", "python"], default="nginx")
    parser.add_argument("--no-gzip", action="store_true", help="never send gzip-encoded bodies")
    parser.add_argument("--gzip-level", type=int, default=GZIP_LEVEL, help="of the pre-gzipped pages")
    parser.add_argument("--charset", help="declare this charset in Content-Type (default: none)")
    parser.add_argument("--no-vary", action="store_true", help="no Vary: Accept-Encoding")
    parser.add_argument("--chunked", action="store_true", help="chunked bodies (Python server)")
    parser.add_argument("--http10", action="store_true", help="HTTP/1.0, close-delimited (Python server)")
    parser.add_argument("--refresh-scripts", action="store_true",
                        help="an ad-refresh script and a <noscript> meta refresh in every article")
    parser.add_argument("--python-server", metavar="ROOT", help=argparse.SUPPRESS)
    parser.add_argument("--serving", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.python_server:
        run_python_server(args.python_server, Serving(**json.loads(args.serving or "{}")))
        return 0
    serving = Serving(gzip_static=not args.no_gzip, charset=args.charset, vary=not args.no_vary,
                      chunked=args.chunked, http10=args.http10)
    started = time.monotonic()
    if not args.serve:
        root = args.out or Path(tempfile.mkdtemp(prefix="synthetic-site-"))
        info = SiteGenerator(root, args.articles, args.seed, gzip_level=args.gzip_level,
                             refresh_scripts=args.refresh_scripts).generate()
        print(json.dumps({"root": str(root), **info, "seconds": round(time.monotonic() - started, 1)}))
        return 0
    with synthetic_site(args.articles, args.seed, prefer=args.server, root=args.out, serving=serving,
                        gzip_level=args.gzip_level, refresh_scripts=args.refresh_scripts) as (server, gen, info):
        print(json.dumps({"base_url": server.base_url, "server": f"{server.kind} {server.version}",
                          "serving": serving.describe(),
                          "start_urls": [server.base_url + p for p in gen.start_paths()], **info}), flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            time.sleep(args.serve_for)
    return 0


if __name__ == "__main__":
    sys.exit(main())
