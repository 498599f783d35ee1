"""The bundled demo news site: articles in three markup families, listings, feeds, sitemaps.

``DemoSite.handle`` turns a request into a ``DemoResponse`` without any networking, so the same
site runs behind ``DemoServer`` (``newsarchive demo``, tests) or is called directly.
``article_truth`` says what a crawl of the site must emit; ``site_config`` how to crawl it.
Families (``Article.family``): ``wordpress``, ``publisher`` (JSON-LD), ``drupal`` (microdata).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import re
import string
import struct
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import format_datetime
from functools import cache
from http import HTTPStatus
from importlib import resources
from typing import Any
from urllib.parse import quote, urlsplit

import yaml

from crawler.demo import assets

SITE_NAME = "Harbourside Post"
SECTIONS: dict[str, str] = {
    "politics": "Politics",
    "business": "Business",
    "culture": "Culture",
    "analysis": "ANALYSIS",
}
PAGE_SIZE = 4
FAMILIES = ("wordpress", "publisher", "drupal")
SERVER_HEADER = "nginx/1.24.0"

# Page furniture a crawl must keep out of the article text, by family.
BOILERPLATE: dict[str, list[str]] = {
    "wordpress": [
        "You may also like", "Leave a Comment", "Editors' Picks", "Latest Posts",
        "We use cookies to improve your experience", "Subscribe to our newsletter",
        "Save my name, email, and website",
    ],
    "publisher": [
        "Share this article", "Sign up to The Morning Brief", "Most read", "More on this story",
        "We and our partners use cookies", "Support independent journalism",
    ],
    "drupal": [],
}
DRUPAL_CHROME: dict[str, dict[str, str]] = {
    "de": {"by": "Von", "tags": "Schlagworte", "share": "Artikel teilen",
           "related": "Mehr zum Thema", "home": "Startseite", "skip": "Direkt zum Inhalt",
           "newsletter": "Jetzt den kostenlosen Newsletter abonnieren und nichts verpassen.",
           "cookie": "Diese Website verwendet Cookies, um Ihnen ein besseres Nutzererlebnis zu bieten.",
           "legal": "Impressum", "privacy": "Datenschutz", "contact": "Kontakt",
           "updated": "Aktualisiert"},
    "fr": {"by": "Par", "tags": "Mots-clés", "share": "Partager l'article",
           "related": "Lire aussi sur le même sujet", "home": "Accueil",
           "skip": "Aller au contenu principal",
           "newsletter": "Inscrivez-vous à notre lettre d'information quotidienne.",
           "cookie": "Ce site utilise des cookies pour améliorer votre expérience de navigation.",
           "legal": "Mentions légales", "privacy": "Confidentialité", "contact": "Contact",
           "updated": "Mis à jour"},
    "en": {"by": "By", "tags": "Tags", "share": "Share this story",
           "related": "Related content", "home": "Home", "skip": "Skip to main content",
           "newsletter": "Get our weekly digest of the best local reporting.",
           "cookie": "This website uses cookies to give you a better browsing experience.",
           "legal": "Imprint", "privacy": "Privacy", "contact": "Contact", "updated": "Updated"},
}
FR_MONTHS = ("janvier février mars avril mai juin juillet août septembre octobre novembre "
             "décembre").split()


@dataclass
class DemoResponse:
    """One HTTP response as the server must write it.

    ``headers`` keep their order and may repeat. With ``Transfer-Encoding: chunked`` among
    them the server chunk-encodes ``chunks`` (or ``body`` as one chunk). ``drop_after`` cuts
    the connection after that many body bytes; ``delay`` waits before the status line.
    """

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    chunks: list[bytes] | None = None
    drop_after: int | None = None
    delay: float = 0.0


@dataclass
class Article:
    """One article as written in ``data/*.yaml`` (or passed as ``extra_articles``).

    ``body`` items: a string is a paragraph, ``{"h2": text}`` a subhead, ``{"ul": [..]}`` a
    list, ``{"quote": text}`` a block quote. ``image``: ``{"caption", "credit", "prefix",
    "style"}`` with style ``after_body`` | ``caption_span`` | ``caption_paren``.
    """

    slug: str
    family: str
    section: str
    title: str
    published: str
    body: list[Any]
    description: str = ""
    section_label: str | None = None
    modified: str | None = None
    authors: list[str] = field(default_factory=list)
    byline: str | None = None
    tags: list[str] = field(default_factory=list)
    language: str = "en"
    image: dict[str, Any] | None = None
    path: str | None = None
    listed: bool = True  # on section, tag, author and home pages
    in_feed: bool = True
    in_sitemap: bool = True
    emit: bool = True  # part of article_truth
    charset: str = "utf-8"
    read_also: dict[str, str] | None = None
    boilerplate: list[str] = field(default_factory=list)
    post_id: int = 0

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"article {self.slug!r}: unknown family {self.family!r}")
        self.section_label = self.section_label or SECTIONS[self.section]
        self.published_dt = dt.datetime.fromisoformat(self.published)
        if self.path is None:
            d = self.published_dt
            self.path = {
                "wordpress": f"/{d:%Y/%m/%d}/{self.slug}/",
                "publisher": f"/{self.section}/{d:%Y}/{d:%b}/{d:%d}/{self.slug}".lower(),
                "drupal": f"/{self.language}/{slugify(self.section_label)}/{self.slug}",
            }[self.family]
        self.post_id = self.post_id or int(hashlib.md5(self.slug.encode()).hexdigest()[:5], 16)

    @property
    def image_path(self) -> str | None:
        if self.image is None:
            return None
        d = self.published_dt
        return {
            "wordpress": f"/wp-content/uploads/{d:%Y/%m}/{self.slug}.png",
            "publisher": f"/img/media/{self.post_id:x}/master/{self.slug}.png",
            "drupal": f"/sites/default/files/styles/large/public/{d:%Y-%m}/{self.slug}.png",
        }[self.family]

    @property
    def paragraphs(self) -> list[str]:
        return [item for item in self.body if isinstance(item, str)]


@dataclass
class ListingEntry:
    """A link on a section listing: usually an article, sometimes something posing as one."""

    path: str
    title: str
    published: str
    summary: str = ""
    section: str = "politics"


def slugify(text: str) -> str:
    text = text.lower().replace("ß", "ss").replace("’", "").replace("'", "")
    text = text.translate(str.maketrans("äöüéèêàâçîïôûù", "aoueeeaaciiouu"))
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


@cache
def template(name: str) -> string.Template:
    return string.Template((resources.files(__package__) / "templates" / name).read_text("utf-8"))


def load_bundled_articles() -> list[dict[str, Any]]:
    articles: list[dict[str, Any]] = []
    data = resources.files(__package__) / "data"
    for entry in sorted(data.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            articles.extend(yaml.safe_load(entry.read_text("utf-8")))
    return articles


def tiny_png(seed: str, width: int = 12, height: int = 8) -> bytes:
    """A valid solid-colour PNG whose colour depends on ``seed``."""
    rgb = hashlib.md5(seed.encode()).digest()[:3]
    raw = b"".join(b"\x00" + rgb * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def response(status: int, body: bytes, content_type: str, *extra: tuple[str, str],
             reason: str | None = None) -> DemoResponse:
    headers = [
        ("Server", SERVER_HEADER),
        ("Date", format_datetime(dt.datetime.now(dt.UTC), usegmt=True)),
        ("Content-Type", content_type),
        *extra,
    ]
    return DemoResponse(status, reason or HTTPStatus(status).phrase, headers, body)


def html_response(text: str, status: int = 200, *extra: tuple[str, str]) -> DemoResponse:
    return response(status, text.encode("utf-8"), "text/html; charset=UTF-8",
                    ("Cache-Control", "max-age=300"), ("Vary", "Accept-Encoding"), *extra)


def redirect(location: str, status: int = 301) -> DemoResponse:
    body = f'<html><body><a href="{html.escape(location)}">Moved</a></body></html>'
    return response(status, body.encode(), "text/html; charset=UTF-8", ("Location", location))


def article_validators(article: Article) -> list[tuple[str, str]]:
    """ETag (of the article's own fields, not of the page around it, as a CMS's post
    revision) and Last-Modified (its modified or published time)."""
    fields = (article.title, article.body, article.description, article.authors, article.modified)
    etag = hashlib.sha1(repr(fields).encode("utf-8")).hexdigest()[:16]
    changed = dt.datetime.fromisoformat(article.modified or article.published).astimezone(dt.UTC)
    return [("ETag", f'"{etag}"'), ("Last-Modified", format_datetime(changed, usegmt=True))]


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def human_date(d: dt.datetime, style: str, language: str = "en") -> str:
    if style == "wordpress":
        return f"{d:%B} {d.day}, {d.year}"
    if style == "publisher":
        zone = " GMT" if d.utcoffset() == dt.timedelta(0) else f" {d:%z}"
        return f"{d:%a} {d.day} {d:%b %Y %H.%M}{zone}"
    if language == "de":
        return f"{d:%d.%m.%Y} – {d:%H:%M} Uhr"
    if language == "fr":
        return f"{d.day} {FR_MONTHS[d.month - 1]} {d.year} à {d:%H:%M}"
    return f"{d:%d/%m/%Y - %H:%M}"


def render_body(blocks: Iterable[Any]) -> str:
    out = []
    for block in blocks:
        if isinstance(block, str):
            out.append(f"<p>{esc(block)}</p>")
        elif "h2" in block:
            out.append(f"<h2>{esc(block['h2'])}</h2>")
        elif "ul" in block:
            items = "".join(f"<li>{esc(item)}</li>" for item in block["ul"])
            out.append(f"<ul>{items}</ul>")
        elif "quote" in block:
            out.append(f"<blockquote><p>{esc(block['quote'])}</p></blockquote>")
        else:
            raise ValueError(f"unknown body block {block!r}")
    return "\n".join(out)


def linked_byline(article: Article, attrs: str = 'rel="author"') -> str:
    """The byline as printed, each author's name linked to their author page."""
    text = esc(article.byline or "")
    for name in article.authors:
        link = f'<a {attrs} href="/author/{slugify(name)}/">{esc(name)}</a>'
        text = text.replace(esc(name), link, 1)
    return text


def figure_html(article: Article, url: str, family: str) -> str:
    image = article.image
    if image is None:
        return ""
    alt = esc(image.get("alt") or article.title)
    credit = esc(f"{image.get('prefix', '')}{image['credit']}")
    caption = esc(image.get("caption") or "")
    style = image.get("style", "caption_span")
    if style == "after_body":
        figcaption = f"<figcaption>{caption}</figcaption>" if caption else ""
    elif style == "caption_paren":
        figcaption = f"<figcaption>{caption} ({credit})</figcaption>"
    elif family == "drupal":
        figcaption = (f'<figcaption><span itemprop="caption">{caption}</span> <span class="field '
                      f'field--name-field-copyright" itemprop="copyrightHolder">{credit}</span>'
                      "</figcaption>")
    else:
        figcaption = (f'<figcaption><span class="caption-text">{caption}</span> '
                      f'<span class="credit">{credit}</span></figcaption>')
    img = (f'<img src="{url}" srcset="{assets.srcset(url)}" sizes="(max-width: 1100px) 100vw, '
           f'1100px" alt="{alt}" width="1200" height="800" loading="eager">')
    if family == "drupal":
        return (f'<div class="field field--name-field-image"><figure itemprop="image" itemscope '
                f'itemtype="https://schema.org/ImageObject"><meta itemprop="url" content="{url}">'
                f"{img}{figcaption}</figure></div>")
    return f'<figure class="wp-block-image size-large article__media">{img}{figcaption}</figure>'


class DemoSite:
    """The demo news site. ``extra_articles`` are dicts in the ``Article`` shape."""

    def __init__(self, extra_articles: list[Any] | None = None) -> None:
        raw = load_bundled_articles() + list(extra_articles or [])
        articles = [a if isinstance(a, Article) else Article(**a) for a in raw]
        self.articles = sorted(articles, key=lambda a: a.published_dt, reverse=True)
        self.by_path: dict[str, Article] = {}
        for article in self.articles:
            if article.path in self.by_path:
                raise ValueError(f"two articles at {article.path}")
            self.by_path[str(article.path)] = article
        self.images = {a.image_path: a.slug for a in self.articles if a.image_path}
        for article in self.articles:
            if article.image_path:
                self.images.update({variant: article.slug for variant in
                                    assets.srcset_variants(article.image_path).values()})
        self.images[assets.LOGO_PATH] = "logo"
        # Links on section listings that are not (emitted) articles; subclasses add to it.
        self.extra_links: dict[str, list[ListingEntry]] = {s: [] for s in SECTIONS}

    def add_article(self, data: dict[str, Any]) -> Article:
        """Publish one more article (``Article`` fields), as a CMS would between two crawls."""
        article = Article(**data)
        if article.path in self.by_path:
            raise ValueError(f"two articles at {article.path}")
        self.articles = sorted([*self.articles, article], key=lambda a: a.published_dt,
                               reverse=True)
        self.by_path[str(article.path)] = article
        if article.image_path:
            self.images[article.image_path] = article.slug
        return article

    def edit_article(self, path: str, **changes: Any) -> Article:
        """Change fields of the article at ``path`` (its ETag and Last-Modified follow)."""
        article = self.by_path[path]
        for name, value in changes.items():
            setattr(article, name, value)
        return article

    # -- requests ---------------------------------------------------------------------------
    def handle(self, method: str, target: str, headers: Mapping[str, str]) -> DemoResponse:
        if method not in ("GET", "HEAD", "POST"):
            return response(405, b"Method Not Allowed\n", "text/plain", ("Allow", "GET, HEAD"))
        parts = urlsplit(target)
        host = next((v for k, v in headers.items() if k.lower() == "host"), "")
        origin = f"http://{host}" if host else ""
        found = self.route(parts.path, parts.query, origin)
        return found if found is not None else self.not_found()

    def route(self, path: str, query: str, origin: str) -> DemoResponse | None:
        simple = {
            "/": self.home_page, "/robots.txt": self.robots, "/feed/": self.rss,
            "/atom.xml": self.atom, "/news-sitemap.xml": self.news_sitemap,
            "/about/": self.about_page, "/contact/": self.contact_page,
        }
        if path in simple:
            return simple[path](origin)
        if path in self.by_path:
            return self.article_response(self.by_path[path], origin)
        if path in self.images:
            return response(200, tiny_png(self.images[path]), "image/png",
                            ("Cache-Control", "max-age=31536000"))
        if (furniture := assets.asset(path)) is not None:
            return response(200, furniture[0], furniture[1], ("Cache-Control", "max-age=86400"))
        if m := re.fullmatch(r"/category/([a-z]+)/(?:page/(\d+)/)?", path):
            return self.section_page(m[1], int(m[2] or 1))
        if m := re.fullmatch(r"/(tag|author)/([a-z0-9-]+)/", path):
            return self.archive_page(m[1], m[2])
        if not path.endswith("/") and self.route(path + "/", query, origin) is not None:
            return redirect(path + "/")
        return None

    def not_found(self) -> DemoResponse:
        content = ('<article class="error-404"><h1 class="page-title">Page not found</h1>'
                   "<p>Sorry, the page you were looking for could not be found.</p></article>")
        return html_response(self.render_page("Page not found", content), 404)

    # -- pages ------------------------------------------------------------------------------
    @property
    def listed(self) -> list[Article]:
        return [a for a in self.articles if a.listed]

    def menu_html(self) -> str:
        return "".join(f'<li class="menu-item"><a href="/category/{key}/">{label.title()}</a></li>'
                       for key, label in SECTIONS.items())

    def render_page(self, title: str, content: str, head: str = "", lang: str = "en-US",
                    body_class: str = "page", charset: str = "UTF-8") -> str:
        def items(articles: list[Article]) -> str:
            return "".join(f'<li><a href="{a.path}">{esc(a.title)}</a></li>' for a in articles)

        listed = self.listed
        return template("wp_page.html").substitute(
            lang=lang, charset=charset, page_title=esc(f"{title} - {SITE_NAME}"), head=head,
            body_class=body_class, site_name=SITE_NAME, today="Monday, March 17, 2025",
            menu=self.menu_html(), content=content, latest_posts=items(listed[:5]),
            editors_picks=items(listed[3::7][:3]),
        )

    def listing_html(self, kind: str, heading: str, entries: list[ListingEntry],
                     pagination: str = "", intro: str = "") -> str:
        rows = []
        for entry in entries:
            article = self.by_path.get(entry.path.split("?")[0])
            thumb = (f'<img src="{article.image_path}" alt="" width="263" height="175">'
                     if article and article.image_path else "")
            published = dt.datetime.fromisoformat(entry.published)
            rows.append(template("listing_item.html").substitute(
                post_id=article.post_id if article else 0, url=esc(entry.path),
                title=esc(entry.title), thumb=thumb, section=entry.section,
                section_label=SECTIONS[entry.section], published=entry.published,
                published_human=human_date(published, "wordpress"), summary=esc(entry.summary),
            ))
        return template("listing.html").substitute(
            kind=kind, heading=esc(heading), items="\n".join(rows), pagination=pagination,
            intro=intro)

    def section_entries(self, section: str) -> list[ListingEntry]:
        entries = [ListingEntry(str(a.path), a.title, a.published, a.description, a.section)
                   for a in self.listed if a.section == section]
        entries += self.extra_links.get(section, [])
        return sorted(entries, key=lambda e: dt.datetime.fromisoformat(e.published), reverse=True)

    def section_pages(self, section: str) -> int:
        return max(1, -(-len(self.section_entries(section)) // PAGE_SIZE))

    def section_page(self, section: str, page: int) -> DemoResponse | None:
        if section not in SECTIONS:
            return None
        pages = self.section_pages(section)
        if page > pages:
            return None
        entries = self.section_entries(section)[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]

        def page_url(n: int) -> str:
            return f"/category/{section}/" if n == 1 else f"/category/{section}/page/{n}/"

        head, nav = [], []
        if page > 1:
            head.append(f'<link rel="prev" href="{page_url(page - 1)}">')
            nav.append(f'<a class="prev page-numbers" rel="prev" href="{page_url(page - 1)}">'
                       "‹ Newer posts</a>")
        nav.append(f'<span class="page-numbers current">Page {page} of {pages}</span>')
        if page < pages:
            head.append(f'<link rel="next" href="{page_url(page + 1)}">')
            nav.append(f'<a class="next page-numbers" rel="next" href="{page_url(page + 1)}">'
                       "Older posts ›</a>")
        label = SECTIONS[section]
        content = self.listing_html("Category", label.title(), entries, " ".join(nav))
        return html_response(self.render_page(label.title(), content, "\n".join(head),
                                              body_class=f"archive category-{section}"))

    def archive_page(self, kind: str, slug: str) -> DemoResponse | None:
        if kind == "tag":
            names = {slugify(t): t for a in self.listed for t in a.tags}
            chosen = [a for a in self.listed if slug in map(slugify, a.tags)]
        else:
            names = {slugify(n): n for a in self.listed for n in a.authors}
            chosen = [a for a in self.listed if slug in map(slugify, a.authors)]
        if slug not in names:
            return None
        entries = [ListingEntry(str(a.path), a.title, a.published, a.description, a.section)
                   for a in chosen]
        heading = names[slug]
        intro = ("" if kind == "tag" else
                 f'<p class="author-description">Articles by {esc(heading)} for {SITE_NAME}.</p>')
        content = self.listing_html(kind.title(), heading, entries, intro=intro)
        return html_response(self.render_page(heading, content, body_class=f"archive {kind}"))

    def home_page(self, origin: str) -> DemoResponse:
        content = self.listing_html("Latest", "Latest news", [
            ListingEntry(str(a.path), a.title, a.published, a.description, a.section)
            for a in self.listed[:8]])
        return html_response(self.render_page("Home", content, body_class="home"))

    def about_page(self, origin: str) -> DemoResponse:
        content = template("static_about.html").substitute(site_name=SITE_NAME)
        return html_response(self.render_page("About", content))

    def contact_page(self, origin: str) -> DemoResponse:
        content = template("static_contact.html").substitute(site_name=SITE_NAME)
        return html_response(self.render_page("Contact", content))

    # -- articles ---------------------------------------------------------------------------
    def related(self, article: Article, count: int) -> list[Article]:
        same = [a for a in self.listed if a.section == article.section and a is not article]
        return same[:count]

    def read_also(self, article: Article) -> dict[str, str]:
        if article.read_also:
            return article.read_also
        older = [a for a in self.listed if a.published_dt < article.published_dt]
        target = older[0] if older else self.listed[-1]
        return {"title": target.title, "path": str(target.path)}

    def article_response(self, article: Article, origin: str) -> DemoResponse:
        text = self.render_article(article, origin)
        if article.charset.lower() in ("utf-8", "utf8"):
            found = html_response(text)
        else:
            # Declared only in <meta charset>: the Content-Type carries no charset parameter.
            found = response(200, text.encode(article.charset, "xmlcharrefreplace"), "text/html")
        found.headers += article_validators(article)
        return found

    def render_article(self, article: Article, origin: str) -> str:
        url = origin + str(article.path)
        image_url = origin + article.image_path if article.image_path else ""
        common = {
            "title": esc(article.title), "section": article.section,
            "section_label": esc(str(article.section_label)), "published": article.published,
            "site_name": SITE_NAME, "url": esc(url), "url_q": quote(url, safe=""),
            "title_q": quote(article.title, safe=""), "post_id": article.post_id,
            "charset": article.charset, "description": esc(article.description),
            "body": render_body(article.body), "menu": self.menu_html(),
            "figure": figure_html(article, image_url, article.family),
            "og_image": (f'<meta property="og:image" content="{image_url}">' if image_url else ""),
            "image_url": image_url,
        }
        return getattr(self, f"render_{article.family}")(article, common)

    def render_wordpress(self, article: Article, common: dict[str, Any]) -> str:
        d = article.published_dt
        image = article.image
        after_body = ""
        if image and image.get("style") == "after_body":
            after_body += f"<p>{esc(image.get('prefix', '') + image['credit'])}</p>\n"
        read_also = self.read_also(article)
        after_body += (f"<p><strong>Read also:</strong></p>\n<p><a href=\"{read_also['path']}\">"
                       f"{esc(read_also['title'])}</a></p>")
        byline = ""
        if article.byline:
            attrs = 'class="author-url url fn n" rel="author"'
            byline = f'<span class="author-italic author vcard">{linked_byline(article, attrs)}</span>'
        updated = ""
        if article.modified:
            mod = dt.datetime.fromisoformat(article.modified)
            updated = (f'<span class="updated-date">Updated: <time class="updated" '
                       f'datetime="{article.modified}">{human_date(mod, "wordpress")}</time></span>')
        tags = "".join(f'<a href="/tag/{slugify(t)}/" rel="tag">{esc(t)}</a>' for t in article.tags)
        related = "".join(
            f'<div class="item item-related"><a class="related-thumb" href="{a.path}"></a>'
            f'<h3><a href="{a.path}">{esc(a.title)}</a></h3><span class="date">'
            f"{human_date(a.published_dt, 'wordpress')}</span></div>"
            for a in self.related(article, 3))
        words = sum(len(p.split()) for p in article.paragraphs)
        content = template("wp_article.html").substitute(
            common, byline_html=byline, published_human=human_date(d, "wordpress"),
            updated_html=updated, after_body=after_body, related=related,
            minutes=max(1, words // 220),
            tags=f'<div class="post-tags">{tags}</div>' if tags else "")
        head = [f'<meta name="description" content="{common["description"]}">',
                f'<link rel="canonical" href="{common["url"]}">',
                '<meta property="og:type" content="article">',
                f'<meta property="og:title" content="{common["title"]}">',
                f'<meta property="og:url" content="{common["url"]}">', common["og_image"],
                f'<meta property="article:section" content="{common["section_label"]}">',
                f'<meta property="article:published_time" content="{article.published}">']
        if article.modified:
            head.append(f'<meta property="article:modified_time" content="{article.modified}">')
        head += [f'<meta property="article:tag" content="{esc(t)}">' for t in article.tags]
        if article.authors:
            head.append(f'<meta name="author" content="{esc(", ".join(article.authors))}">')
        return self.render_page(article.title, content, "\n".join(head),
                                lang=article.language, charset=article.charset,
                                body_class=f"post-template-default single single-post "
                                           f"postid-{article.post_id}")

    def render_publisher(self, article: Article, common: dict[str, Any]) -> str:
        ld: dict[str, Any] = {
            "@context": "https://schema.org", "@type": "NewsArticle",
            "headline": article.title, "description": article.description,
            "datePublished": article.published, "dateModified": article.modified or article.published,
            "articleSection": article.section_label, "keywords": article.tags,
            "inLanguage": article.language, "mainEntityOfPage": common["url"],
            "publisher": {"@type": "NewsMediaOrganization", "name": SITE_NAME},
        }
        if article.authors:
            ld["author"] = [{"@type": "Person", "name": name, "url": f"/author/{slugify(name)}/"}
                            for name in article.authors]
        if article.image:
            ld["image"] = {
                "@type": "ImageObject", "url": common["image_url"],
                "caption": article.image.get("caption"), "creditText": article.image["credit"],
                "copyrightHolder": {"@type": "Organization",
                                    "name": article.image["credit"].split("/")[-1]},
            }
        jsonld = json.dumps(ld, ensure_ascii=False).replace("</", "<\\/")
        byline = (f'<address class="article__byline" aria-label="Contributor info">'
                  f"{linked_byline(article)}</address>" if article.byline else "")
        modified = ""
        if article.modified:
            mod = dt.datetime.fromisoformat(article.modified)
            modified = (f' <span class="article__updated">Last modified on <time datetime='
                        f'"{article.modified}">{human_date(mod, "publisher")}</time></span>')
        tags = "".join(f'<li><a href="/tag/{slugify(t)}/">{esc(t)}</a></li>' for t in article.tags)
        links = "".join(f'<li><a href="{a.path}">{esc(a.title)}</a></li>'
                        for a in self.related(article, 4))
        most_read = "".join(f'<li><a href="{a.path}">{esc(a.title)}</a></li>'
                            for a in sorted(self.listed, key=lambda a: a.post_id)[:5])
        return template("publisher_article.html").substitute(
            common, lang_tag=article.language,
            jsonld=jsonld, byline_html=byline, modified_html=modified,
            published_human=human_date(article.published_dt, "publisher"),
            modified_meta=(f'<meta property="article:modified_time" content="{article.modified}">'
                           if article.modified else ""),
            tags=(f'<div class="article__tags"><h3>Topics</h3><ul>{tags}</ul></div>'
                  if tags else ""),
            related=links, most_read=most_read)

    def render_drupal(self, article: Article, common: dict[str, Any]) -> str:
        chrome = DRUPAL_CHROME.get(article.language, DRUPAL_CHROME["en"])
        byline = esc(article.byline or "")
        for name in article.authors:
            person = (f'<span itemprop="author" itemscope itemtype="https://schema.org/Person">'
                      f'<a itemprop="url" href="/author/{slugify(name)}/">'
                      f'<span itemprop="name">{esc(name)}</span></a></span>')
            byline = byline.replace(esc(name), person, 1)
        byline_html = (f'<div class="field field--name-field-author byline">{byline}</div>'
                       if article.byline else "")
        modified = ""
        if article.modified:
            mod = dt.datetime.fromisoformat(article.modified)
            modified = (f'<span class="field--name-changed">{chrome["updated"]}: <time '
                        f'itemprop="dateModified" datetime="{article.modified}">'
                        f"{human_date(mod, 'drupal', article.language)}</time></span>")
        tags = "".join(f'<div class="field__item"><a href="/tag/{slugify(t)}/" hreflang='
                       f'"{article.language}" itemprop="keywords">{esc(t)}</a></div>'
                       for t in article.tags)
        tags_html = ('<div class="field field--name-field-tags field--type-entity-reference '
                     f'field--label-above"><div class="field__label">{chrome["tags"]}</div>'
                     f'<div class="field__items">{tags}</div></div>') if tags else ""
        related = "".join(f'<li><a href="{a.path}" hreflang="{a.language}">{esc(a.title)}</a></li>'
                          for a in self.related(article, 3))
        return template("drupal_article.html").substitute(
            common, lang=article.language, byline_html=byline_html, modified_html=modified,
            published_human=human_date(article.published_dt, "drupal", article.language),
            tags=tags_html, related=related, **{f"t_{k}": esc(v) for k, v in chrome.items()})

    # -- feeds, sitemaps, robots ------------------------------------------------------------
    def robots(self, origin: str) -> DemoResponse:
        text = ("User-agent: *\nDisallow: /private/\nDisallow: /wp-admin/\n"
                "Allow: /wp-admin/admin-ajax.php\n\n"
                f"Sitemap: {origin}/news-sitemap.xml\n")
        return response(200, text.encode(), "text/plain; charset=utf-8")

    def rss(self, origin: str) -> DemoResponse:
        items = []
        for a in (a for a in self.articles if a.in_feed):
            creator = f"<dc:creator><![CDATA[{', '.join(a.authors)}]]></dc:creator>" if a.authors else ""
            items.append(
                f"<item><title>{esc(a.title)}</title><link>{esc(origin + str(a.path))}</link>"
                f"{creator}<pubDate>{format_datetime(a.published_dt)}</pubDate>"
                f"<category><![CDATA[{a.section_label}]]></category>"
                f'<guid isPermaLink="false">{origin}/?p={a.post_id}</guid>'
                f"<description>{esc(a.description)}</description></item>")
        xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
               'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">'
               f"<channel><title>{SITE_NAME}</title>"
               f'<atom:link href="{origin}/feed/" rel="self" type="application/rss+xml"/>'
               f"<link>{origin}/</link><description>News from the harbour city</description>"
               f"<language>en-US</language>"
               f"<lastBuildDate>{format_datetime(self.articles[0].published_dt)}</lastBuildDate>"
               + "\n".join(items) + "</channel></rss>\n")
        return response(200, xml.encode(), "application/rss+xml; charset=UTF-8")

    def atom(self, origin: str) -> DemoResponse:
        entries = []
        for a in (a for a in self.articles if a.in_feed):
            authors = "".join(f"<author><name>{esc(n)}</name></author>" for n in a.authors)
            entries.append(
                f"<entry><title>{esc(a.title)}</title>"
                f'<link rel="alternate" type="text/html" href="{esc(origin + str(a.path))}"/>'
                f"<id>{origin}/?p={a.post_id}</id><published>{a.published}</published>"
                f"<updated>{a.modified or a.published}</updated>{authors}"
                f'<category term="{esc(str(a.section_label))}"/>'
                f"<summary>{esc(a.description)}</summary></entry>")
        xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
               f'xml:lang="en"><title>{SITE_NAME}</title><id>{origin}/</id>'
               f'<link rel="alternate" href="{origin}/"/><link rel="self" href="{origin}/atom.xml"/>'
               f"<updated>{self.articles[0].published}</updated>" + "\n".join(entries) + "</feed>\n")
        return response(200, xml.encode(), "application/atom+xml; charset=UTF-8")

    def news_sitemap(self, origin: str) -> DemoResponse:
        urls = [
            f"<url><loc>{esc(origin + str(a.path))}</loc><news:news><news:publication>"
            f"<news:name>{SITE_NAME}</news:name><news:language>{a.language}</news:language>"
            f"</news:publication><news:publication_date>{a.published}</news:publication_date>"
            f"<news:title>{esc(a.title)}</news:title></news:news></url>"
            for a in self.articles if a.in_sitemap]
        xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset '
               'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
               'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
               + "\n".join(urls) + "\n</urlset>\n")
        return response(200, xml.encode(), "application/xml; charset=UTF-8")

    # -- what a crawl must produce ----------------------------------------------------------
    def article_truth(self, base_url: str) -> list[dict[str, Any]]:
        return [self.truth_for(a, base_url) for a in self.articles if a.emit]

    def truth_for(self, article: Article, base_url: str) -> dict[str, Any]:
        base_url = base_url.rstrip("/")
        image = None
        boilerplate = list(BOILERPLATE[article.family]) + list(article.boilerplate)
        if article.image:
            image = {"url": base_url + str(article.image_path),
                     "caption": article.image.get("caption"), "credit": article.image["credit"]}
            boilerplate.append(article.image.get("prefix", "") + article.image["credit"])
        if article.family == "wordpress":
            boilerplate += ["Read also", self.read_also(article)["title"]]
        if article.family == "drupal":
            chrome = DRUPAL_CHROME.get(article.language, DRUPAL_CHROME["en"])
            boilerplate += [chrome[k] for k in ("share", "related", "newsletter", "cookie")]
        return {
            "url": base_url + str(article.path), "title": article.title,
            "authors": list(article.authors), "byline": article.byline,
            "published": article.published, "modified": article.modified,
            "section": article.section_label, "tags": list(article.tags),
            "language": article.language, "image": image, "description": article.description,
            "first_paragraph": article.paragraphs[0], "last_paragraph": article.paragraphs[-1],
            "boilerplate": boilerplate, "family": article.family,
        }

    def site_config(self, base_url: str) -> dict[str, Any]:
        base_url = base_url.rstrip("/")
        return {
            "name": "demo",
            "start_urls": [f"{base_url}/category/{section}/" for section in SECTIONS],
            "feeds": [f"{base_url}/feed/", f"{base_url}/atom.xml"],
            "sitemaps": [f"{base_url}/news-sitemap.xml"],
            "max_section_pages": 5,
            "allow_private_addresses": True,
            "download_delay": 0,
            "concurrency": 8,
            "autothrottle": False,
        }
