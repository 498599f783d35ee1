"""`newsarchive init SITE_URL [-o FILE]`: a starter site config from what the site says.

Fetches the home page and robots.txt and takes section pages from the navigation menus,
feeds from ``<link rel="alternate">`` (else the common feed paths that answer with a feed)
and sitemaps from robots.txt's ``Sitemap:`` lines (else /sitemap.xml if it answers with
one).  Every finding is printed with where it came from; nothing is guessed silently.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urljoin, urlsplit

FETCH_TIMEOUT = 20.0
MAX_BODY = 5 * 1024 * 1024
MAX_SECTIONS = 30


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "init",
        help="write a starter site config from a site's home page, feeds and sitemaps",
        description="Fetch SITE_URL and its robots.txt and write a site config listing the "
                    "sections, feeds and sitemaps found there (each printed with its source).",
    )
    parser.add_argument("url", metavar="SITE_URL", help="the site's home page, http(s)://…")
    parser.add_argument("-o", "--output", type=Path, metavar="FILE",
                        help="where to write the config (default: NAME.yaml here)")
    parser.add_argument("--name", help="the site's name in output paths (default: from the host)")
    parser.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    parser.set_defaults(func=run)


@dataclass
class Fetched:
    url: str  # after redirects
    status: int
    body: bytes = b""
    content_type: str = ""
    error: str | None = None  # why nothing came back

    @property
    def ok(self) -> bool:
        return self.error is None and 200 <= self.status < 300


def fetch(url: str, user_agent: str) -> Fetched:
    """GET one URL (redirects followed, body capped at ``MAX_BODY``)."""
    request = urllib.request.Request(url, headers={"User-Agent": user_agent})
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as response:  # noqa: S310
            return Fetched(response.geturl(), response.status, response.read(MAX_BODY),
                           response.headers.get("Content-Type", ""))
    except urllib.error.HTTPError as exc:
        return Fetched(exc.geturl() or url, exc.code)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Fetched(url, 0, error=str(reason) or type(exc).__name__)


def describe(result: Fetched) -> str:
    return result.error or f"HTTP {result.status}"


def site_name_for(url: str) -> str:
    """``https://www.eutoday.net/`` → ``eutoday``; ``http://127.0.0.1:80/`` → ``127-0-0-1``."""
    host = (urlsplit(url).hostname or "site").lower().removeprefix("www.")
    labels = host.split(".")
    if len(labels) > 1 and not host.replace(".", "").isdigit():
        labels = labels[:-1]
    name = re.sub(r"[^a-z0-9_-]+", "-", "-".join(labels)).strip("-")
    return name or "site"


@dataclass
class Survey:
    """What init found, each list with where it came from."""

    home: str
    sections: list[tuple[str, str]] = field(default_factory=list)  # (url, menu text)
    feeds: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # printed, and written as comments


def survey_site(home: Fetched, user_agent: str) -> Survey:
    from w3lib.encoding import html_to_unicode

    from crawler.discovery.site_survey import (
        COMMON_FEED_PATHS,
        COMMON_SITEMAP_PATHS,
        declared_feeds,
        is_feed,
        is_sitemap,
        menu_section_links,
        robots_sitemaps,
    )

    _, html = html_to_unicode(home.content_type, home.body)
    survey = Survey(home=home.url)
    links = menu_section_links(html, home.url)
    survey.sections = [(link.url, link.text) for link in links[:MAX_SECTIONS]]
    if survey.sections:
        survey.notes.append(f"sections: {len(survey.sections)} from the home page's navigation "
                            "menus" + (f" (the first {MAX_SECTIONS} of {len(links)})"
                                       if len(links) > MAX_SECTIONS else ""))
    else:
        survey.sections = [(home.url, "home page")]
        survey.notes.append("sections: no section links in a navigation menu; the home page "
                            "is the only start URL (add section pages by hand)")

    survey.feeds = declared_feeds(html, home.url)
    if survey.feeds:
        survey.notes.append(f"feeds: {len(survey.feeds)} declared by the home page "
                            '(<link rel="alternate">)')
    else:
        for path in COMMON_FEED_PATHS:
            url = urljoin(home.url, path)
            answer = fetch(url, user_agent)
            if answer.ok and is_feed(answer.body):
                survey.feeds.append(answer.url)
        tried = ", ".join(COMMON_FEED_PATHS)
        survey.notes.append(
            f"feeds: none declared by the home page; {len(survey.feeds)} of the common paths "
            f"({tried}) answered with a feed" if survey.feeds else
            f"feeds: none declared by the home page, and none of {tried} answered with a feed")

    robots_url = urljoin(home.url, "/robots.txt")
    robots = fetch(robots_url, user_agent)
    if robots.ok:
        survey.sitemaps = robots_sitemaps(robots.body, robots_url)
    if survey.sitemaps:
        survey.notes.append(f"sitemaps: {len(survey.sitemaps)} from robots.txt (Sitemap: lines)")
    else:
        why = ("has no Sitemap: line" if robots.ok
               else f"could not be read ({describe(robots)})")
        for path in COMMON_SITEMAP_PATHS:
            answer = fetch(urljoin(home.url, path), user_agent)
            if answer.ok and is_sitemap(answer.body):
                survey.sitemaps.append(answer.url)
        tried = ", ".join(COMMON_SITEMAP_PATHS)
        survey.notes.append(
            f"sitemaps: robots.txt {why}; {tried} answered with a sitemap" if survey.sitemaps
            else f"sitemaps: robots.txt {why}, and {tried} did not answer with a sitemap")
    return survey


def _yaml_list(urls: list[str], comments: list[str] | None = None) -> str:
    if not urls:
        return " []\n"
    lines = []
    for i, url in enumerate(urls):
        note = f"  # {comments[i]}" if comments and comments[i] else ""
        lines.append(f"  - {json.dumps(url)}{note}")
    return "\n" + "\n".join(lines) + "\n"


def render_config(name: str, survey: Survey, private: bool, command: str) -> str:
    """The starter config as YAML, with comments saying where each list came from."""
    notes = "".join(f"#   {note}\n" for note in survey.notes)
    today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    return (
        f"# Written by `{command}` on {today}. What it found:\n{notes}"
        "# Check the lists, then: newsarchive crawl THIS_FILE.\n"
        "# Every key, explained: examples/sites/eutoday.yaml in the newsarchive repository.\n"
        f"name: {name}\n"
        "# Section pages: listings whose links lead to articles.\n"
        f"start_urls:{_yaml_list([u for u, _ in survey.sections], [t for _, t in survey.sections])}"
        "# RSS 2.0 / Atom feeds.\n"
        f"feeds:{_yaml_list(survey.feeds)}"
        "# (News) sitemaps; sitemap indexes are followed.\n"
        f"sitemaps:{_yaml_list(survey.sitemaps)}"
        "max_section_pages: 5                # pagination depth per section\n"
        "download_delay: 1.0                 # seconds between requests to this site\n"
        "concurrency: 2\n"
        "autothrottle: true\n"
        + (f"allow_private_addresses: true       # {urlsplit(survey.home).hostname} is a "
           "loopback/private address\n" if private else
           "allow_private_addresses: false\n")
        + '# schedule: "*/30 * * * *"          # for `newsarchive schedule`\n'
    )


def _fail(message: str, status: int) -> int:
    print(f"newsarchive init: {message}", file=sys.stderr)
    return status


def run(args: argparse.Namespace) -> int:
    from crawler.run import crawl_settings

    from crawler.config import NAME_RE, site_config_from_dict
    from crawler.errors import ConfigError
    from crawler.address_guard import resolves_to_refused

    parts = urlsplit(args.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _fail(f"{args.url!r} is not an http(s) URL", 2)
    if args.name is not None and not NAME_RE.match(args.name):
        return _fail(f"--name {args.name!r} must match [a-z0-9_-]+ (it is used in paths)", 2)
    settings = crawl_settings()
    user_agent = settings.get("USER_AGENT")

    home = fetch(args.url, user_agent)
    if not home.ok:
        return _fail(f"cannot fetch {args.url}: {describe(home)}", 1)
    if home.url != args.url:
        print(f"{args.url} redirected to {home.url}")
    name = args.name or site_name_for(home.url)
    output = args.output or Path(f"{name}.yaml")
    if output.exists() and not args.force:
        return _fail(f"{output} exists: choose another file with -o, or --force", 2)

    survey = survey_site(home, user_agent)
    private = resolves_to_refused(urlsplit(home.url).hostname or "")
    text = render_config(name, survey, private, f"newsarchive init {args.url}")
    try:
        import yaml

        site_config_from_dict(yaml.safe_load(text), str(output))
    except ConfigError as exc:  # a URL the site gave that the config refuses
        return _fail(f"the config found is not valid: {exc}", 1)

    print(f"Fetched {home.url} (HTTP {home.status}, {len(home.body):,} bytes)")
    for note in survey.notes:
        print(f"  {note}")
    for label, urls in (("start_urls", [u for u, _ in survey.sections]),
                        ("feeds", survey.feeds), ("sitemaps", survey.sitemaps)):
        for url in urls:
            print(f"  {label:10} {url}")
    if private:
        print(f"  allow_private_addresses: true ({urlsplit(home.url).hostname} is a "
              "loopback/private address, which crawls refuse otherwise)")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        return _fail(f"cannot write {output}: {exc.strerror or exc}", 2)
    print(f"Wrote {output}; check it, then run: newsarchive crawl {output}")
    return 0
