"""A server that sends pre-gzipped pages as ``Content-Type: text/html`` without a charset.

The site is served by the crawl benchmark's static server (bench/synthetic_site.py) in its own
process; the crawl is the real CLI.  A test-only ``sitecustomize`` in the crawl process records
every charset guess (``charset_normalizer.from_bytes``) and every ``.text`` read of a
compressed body: an article page left compressed must never be charset-sniffed, and a
no-charset meta refresh must still be followed.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from warcio.archiveiterator import ArchiveIterator

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent
MOVED = "/2025/01/01/harbour-story-moved-100001/"
ARTICLE = "/2025/01/01/harbour-reopens-after-repairs-100002/"
# What many news pages carry in their head: ad refresh by script, a no-JS reload in <noscript>.
AD_REFRESH = (
    "<script>googletag.cmd.push(function(){setInterval(function(){googletag.pubads().refresh();}"
    ",60000);});</script><noscript><meta http-equiv=\"refresh\" content=\"0; url=/?nojs=1\"></noscript>"
)
PARAGRAPH = ("<p>Die Hafenmauer wurde nach einer Woche Arbeit wieder geöffnet; the harbour reopened "
             "on Monday after a week of repairs to the outer wall — “a relief”, said Åsa Ørsted.</p>")

SPY = '''
import atexit, json, os
import charset_normalizer
_events = []
_real_from_bytes = charset_normalizer.from_bytes
def _spy_from_bytes(data, *args, **kwargs):
    _events.append({"what": "from_bytes", "gzip": bytes(data[:2]) == b"\\x1f\\x8b"})
    return _real_from_bytes(data, *args, **kwargs)
charset_normalizer.from_bytes = _spy_from_bytes
from scrapy.http import TextResponse
_real_text = TextResponse.text
def _spy_text(self):
    _events.append({"what": "text", "gzip": self.body[:2] == b"\\x1f\\x8b", "url": self.url})
    return _real_text.fget(self)
TextResponse.text = property(_spy_text)
@atexit.register
def _dump():
    with open(os.environ["SPEED_SPY_OUT"], "w") as handle:
        json.dump(_events, handle)
'''


def _bench_module(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _write(root: Path, path: str, html: str) -> bytes:
    """The page and its pre-gzipped twin (level 6); returns the gzip bytes the server sends."""
    target = root / path.lstrip("/") / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    data = html.encode("utf-8")
    target.write_bytes(data)
    compressed = gzip.compress(data, 6, mtime=0)
    Path(f"{target}.gz").write_bytes(compressed)
    return compressed


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, bytes]]]:
    """A section page linking to a moved article (meta refresh) and its new address."""
    synthetic_site = _bench_module("synthetic_site")
    root = tmp_path_factory.mktemp("no-charset-site")
    (root / "robots.txt").write_text("User-agent: *\nDisallow:\n", encoding="ascii")
    sent = {
        "/news/": _write(root, "/news/", f'<html><head><title>News</title></head><body>'
                                         f'<a href="{MOVED}">Harbour story</a></body></html>'),
        MOVED: _write(root, MOVED, f'<html><head><title>Moved</title><meta http-equiv="refresh" '
                                   f'content="0; url={ARTICLE}"></head><body>Moved.</body></html>'),
        ARTICLE: _write(root, ARTICLE, f"<!DOCTYPE html><html><head><title>Harbour reopens</title>"
                                       f"{AD_REFRESH}</head><body><article><h1>Harbour reopens</h1>"
                                       f"{PARAGRAPH * 40}</article></body></html>"),
    }
    # Content-Type: text/html with no charset, as nginx sends by default; gzip_static.
    with synthetic_site.SiteServer(root, prefer="python", serving=synthetic_site.Serving()) as server:
        yield server.base_url, sent


@pytest.fixture(scope="module")
def crawl(site: tuple[str, dict[str, bytes]], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base_url, _ = site
    work = tmp_path_factory.mktemp("no-charset-crawl")
    (work / "spy").mkdir()
    (work / "spy" / "sitecustomize.py").write_text(SPY, encoding="utf-8")
    config = work / "site.yaml"
    config.write_text(yaml.safe_dump({
        "name": "nocharset", "start_urls": [base_url + "/news/"], "allow_private_addresses": True,
        "download_delay": 0, "autothrottle": False, "concurrency": 4,
        "article_patterns": [r"/\d{4}/\d{2}/\d{2}/"],
    }), encoding="utf-8")
    env = dict(os.environ, SPEED_SPY_OUT=str(work / "spy.json"),
               PYTHONPATH=os.pathsep.join([str(work / "spy"), str(ROOT), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run(
        [sys.executable, "-m", "crawler", "crawl", str(config), "--out", str(work / "out"), "--no-extract"],
        check=False, capture_output=True, text=True, timeout=300, env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    responses = {}
    for path in sorted((work / "out").glob("warc/**/*.warc.gz")):
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "response":
                    responses[record.rec_headers.get_header("WARC-Target-URI")] = (
                        record.http_headers, record.raw_stream.read())
    return {"base_url": base_url, "responses": responses,
            "spy": json.loads((work / "spy.json").read_text(encoding="utf-8"))}


def test_compressed_bodies_are_never_charset_sniffed(crawl: dict[str, Any]) -> None:
    spy = crawl["spy"]
    assert not [e for e in spy if e["gzip"]], spy
    # the article page (ad-refresh script, <noscript> refresh) stayed compressed: never read
    assert not [e for e in spy if e["what"] == "text" and e["url"].endswith(ARTICLE)]


def test_no_charset_meta_refresh_is_followed_and_archived_byte_exact(crawl: dict[str, Any],
                                                                     site: tuple[str, dict[str, bytes]]) -> None:
    base_url, sent = site
    responses = crawl["responses"]
    assert set(responses) >= {base_url + MOVED, base_url + ARTICLE}  # the refresh was followed
    for path in (MOVED, ARTICLE):
        headers, payload = responses[base_url + path]
        assert headers.get_header("Content-Type") == "text/html"
        assert headers.get_header("Content-Encoding") == "gzip"
        assert payload == sent[path]  # the bytes the server sent, still gzip level 6
