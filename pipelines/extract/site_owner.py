"""The person a personal website is named after: its author when a page prints no byline.

A site whose declared name (``og:site_name``, ``application-name``, the ``WebSite`` node) or
whose ``<title>`` affix is a person's name, spelled by the site's own keys (its host or its
declared name), is that person's site: "Wolfgang Michal" on wolfgangmichal.de, "Dr.
Alexander Klier" as the ``og:site_name`` of alexander-klier.net.  A brand named like a person
("Dr. Oetker") needs a given name first and two words, so it stays out.
"""

from __future__ import annotations

from lxml.html import HtmlElement

from .bylines import person_like
from .given_names import starts_with_given_name, without_titles
from .structured import Structured
from .text_utils import clean, fold
from .titles import declared_site_name_strings, title_affixes


def site_owner(tree: HtmlElement, data: Structured, site_keys: set[str]) -> list[str]:
    title = tree.find(".//title")
    affixes = title_affixes(clean(title.text_content())) if title is not None else []
    # (not the publisher: a newspaper's organisation, "Ultima Hora", may read like a name)
    for raw in declared_site_name_strings(data, publisher=False) + affixes:
        name = without_titles(clean(raw))
        if fold(name) not in site_keys and fold(clean(raw)) not in site_keys:
            continue
        if person_like(name) and starts_with_given_name(name):
            return [name]
    return []
