"""Synthetic article pages for the field-rule tests (no third-party text)."""

from __future__ import annotations

SITE = "News Example"


def news_page(title: str, article: str, head: str = "", body_class: str = "",
              around: str = "") -> str:
    """A page of the site ``SITE``: ``<title>`` with the site suffix, og:site_name, then the
    article and whatever surrounds it."""
    head = (f"<title>{title} | {SITE}</title>"
            f"<meta property='og:site_name' content='{SITE}'>" + head)
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>{head}</head>"
            f"<body class='{body_class}'>{article}{around}</body></html>")
