"""The seed article from ``../shared/seed-article.txt``, read at test time.

The file is a text rendering of a real WordPress magazine page. It is turned into an
``Article`` dict for the ``wordpress`` family so the test site serves a page of exactly that
shape; its text is never copied into the repository.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crawler.demo.site import slugify

SEED_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "seed-article.txt"
BODY_START = "High-level negotiations"
BODY_END = "undermining American credibility among its allies."
CREDIT_PREFIX = "Image source: "
PUBLISHED = "2025-02-18T10:30:00+01:00"
DESK = "EUToday Correspondents"
# Where the "Read also:" link points: any existing page of the demo site will do.
READ_ALSO_PATH = "/2025/02/21/harbour-authority-ten-years/"


def is_subhead(line: str) -> bool:
    """Short lines without final punctuation are the page's <h2> subheads."""
    return len(line) < 90 and line[-1] not in ".!?:;,\"'”’…)"


def load_seed_article(path: Path = SEED_PATH) -> dict[str, Any]:
    if not path.is_file():
        raise FileNotFoundError(f"seed article not found at {path} (expected ../shared beside the repo)")
    lines = [line.strip() for line in path.read_text("utf-8").splitlines()]
    lines = [line for line in lines if line]
    title = next(line for line in lines if not line.startswith("Home "))
    start = next(i for i, line in enumerate(lines) if line.startswith(BODY_START))
    end = next(i for i, line in enumerate(lines) if line.endswith(BODY_END))
    body: list[Any] = [{"h2": line} if is_subhead(line) else line for line in lines[start:end + 1]]
    credit_line = next(line for line in lines[end:] if line.startswith(CREDIT_PREFIX))
    read_also_at = next(i for i, line in enumerate(lines) if line.startswith("Read also"))
    return {
        "slug": slugify(title),
        "family": "wordpress",
        "section": "analysis",
        "section_label": "ANALYSIS",
        "title": title,
        "description": lines[start],
        "published": PUBLISHED,
        "authors": [DESK],
        "byline": f"by {DESK}",
        "tags": ["Russia", "Ukraine", "United States"],
        "language": "en",
        "image": {"credit": credit_line[len(CREDIT_PREFIX):], "prefix": CREDIT_PREFIX,
                  "style": "after_body", "alt": title},
        "read_also": {"title": lines[read_also_at + 1], "path": READ_ALSO_PATH},
        "boilerplate": ["Image source:"],
        "body": body,
    }
