"""URL shape rules shared by link discovery: assets, navigation pages, article-like paths."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

ASSET_EXTENSIONS = frozenset(
    "jpg jpeg png gif webp svg ico bmp tif tiff avif css js json mjs map woff woff2 ttf otf eot "
    "pdf zip gz tgz bz2 xz 7z rar mp3 mp4 m4a m4v mov avi wmv webm ogg ogv wav flac "
    "doc docx xls xlsx ppt pptx odt exe dmg apk iso".split()
)

# Path segments of pages that are never articles (they are still fetched when linked from a
# listing's content, and the page-level check has the last word).
NAVIGATION_SEGMENTS = frozenset(
    "tag tags category categories section sections topic topics author authors autor auteur "
    "page search login logout register signup subscribe account feed rss wp-admin wp-login.php "
    "about about-us contact contact-us impressum imprint privacy privacy-policy terms "
    "datenschutz kontakt cookies cookie-policy newsletter archive archives".split()
)

DATE_PATH_RE = re.compile(r"/(19|20)\d\d/(0?[1-9]|1[0-2])(/(0?[1-9]|[12]\d|3[01]))?/")
NUMERIC_ID_RE = re.compile(r"(?:^|[/\-_.])\d{5,}(?:[/\-_.]|$)")
ARTICLE_SUFFIX_RE = re.compile(r"\.(s?html?|php|aspx?)$", re.IGNORECASE)
PAGINATION_PATH_RE = re.compile(r"/page/(\d+)/?$|[?&](?:page|p|seite|pagina)=(\d+)", re.I)


def normalize_url(url: str) -> str:
    """Drop the fragment; keep everything else as the site wrote it."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def is_asset(url: str) -> bool:
    path = urlsplit(url).path.lower()
    return "." in path.rsplit("/", 1)[-1] and path.rsplit(".", 1)[-1] in ASSET_EXTENSIONS


def host_allowed(url: str, allowed_domains: list[str]) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return any(host == d or host.endswith("." + d) for d in (d.lower() for d in allowed_domains))


def is_navigation_url(url: str) -> bool:
    segments = [s for s in urlsplit(url).path.lower().split("/") if s]
    if not segments:
        return True  # the home page
    return any(s in NAVIGATION_SEGMENTS for s in segments[:-1]) or segments[-1] in NAVIGATION_SEGMENTS


def article_url_score(url: str) -> int:
    """How much a URL looks like an article: > 0 likely, 0 unknown, < 0 unlikely."""
    parts = urlsplit(url)
    path = parts.path
    if is_navigation_url(url) or PAGINATION_PATH_RE.search(path + ("?" + parts.query if parts.query else "")):
        return -2
    score = 0
    if DATE_PATH_RE.search(path + "/"):
        score += 2
    last = [s for s in path.split("/") if s][-1]
    slug = ARTICLE_SUFFIX_RE.sub("", last)
    if len(re.findall(r"[^\W_]+", slug)) >= 4 and ("-" in slug or "_" in slug):
        score += 2
    if NUMERIC_ID_RE.search(path):
        score += 1
    if ARTICLE_SUFFIX_RE.search(last):
        score += 1
    return score
