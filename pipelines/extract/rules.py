"""Named extraction rules that an ablation can switch off.

``NEWSARCHIVE_EXTRACT_ABLATE=name[,name…]`` in the environment turns the named rules off (the
benchmark ``bench/news_dev.py --ablate NAME`` sets it for its worker processes); unknown names
are an error there, not here.  Read at call time, so a test can switch a rule with
``monkeypatch.setenv``.
"""

from __future__ import annotations

import os

ABLATE_ENV = "NEWSARCHIVE_EXTRACT_ABLATE"

RULES: dict[str, str] = {
    "utf8-bytes": "bytes that are valid UTF-8 with multi-byte characters are read as UTF-8, "
                  "whatever charset the page or its headers declare",
    "line-breaks": "trafilatura's <lb/> inside a paragraph is a word separator",
    "figure-credit": "credit anywhere in the lead figure: credit spans, <cite>, a last caption "
                     "part, text beside the caption; a <figcaption> right after its <figure>",
    "lead-figure": "the lead figure when og:image matches no <img>: the headline's article, "
                   "the ImageObject's picture, the first figure before the text",
    "caption-tail-credit": "an unlabelled credit after the caption, set off by a separator or "
                           "brackets: '… | Jane Doe/AFP', '… (Getty Images)', '… REUTERS/Jane "
                           "Doe', 'Caption <span>/ Jane Doe</span>'",
    "caption-after-image": "the short paragraph right after the lead picture is its caption "
                           "when it is all in bold/italics or a labelled credit line is in or "
                           "after it",
    "first-captioned-figure": "when og:image is not printed, or printed without caption or "
                              "credit, the article's first captioned figure wherever it stands",
    "alt-caption": "the lead image's alt/title (else og:image:alt) when no caption is printed",
    "newsroom-byline": "a NewsArticle's declared author is the site itself (alone, with a desk or an agency) "
                       "and the printed byline says the same: the newsroom is the author",
    "signature-author": "a page with no byline signed by a name alone in bold/italics as the "
                        "text's last line",
    "site-owner": "a page with no byline on a site named after a person: that person",
    "body-vote": "the body as a vote of trafilatura precision/recall, jusText and the declared "
                 "articleBody, asked only when a cheap signal says it can help",
    "meta-keywords": "tags from <meta name=keywords> when no other topic list is declared",
    "topic-links": "no declared topic list: the article's visible list of links to topic pages "
                   "(/tag/, /thema/, /tema/ …), not the site's menus nor links in the text",
    "confirmed-tags": "a declared topic list keeps only the items another list of the page "
                      "(declared or visible) also has, when at least two are",
}


def enabled(name: str) -> bool:
    off = os.environ.get(ABLATE_ENV)
    return not off or name not in {n.strip() for n in off.split(",")}
