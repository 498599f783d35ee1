"""The body as a vote of extractors (rule ``body-vote``): synthetic pages, original text."""

from __future__ import annotations

import json

import lxml.html
import pytest

from pipelines.extract import body_vote, extract_page
from pipelines.extract.body import BodySettings, extract_body
from pipelines.extract.body_vote import Candidate, Places, vote
from pipelines.extract.rules import ABLATE_ENV, RULES

URL = "https://news.example/2025/03/ferry/"
TITLE = "Ferry timetable approved"
S = [
    "The harbour board approved the new ferry timetable after a long evening session on Monday, "
    "members said.",
    "Residents of the islands had asked for an earlier crossing on weekdays for many years now, "
    "and they welcomed it.",
    "The first boats on the new schedule leave the pier at six on the first Monday of April, "
    "weather permitting.",
    "Operators said the change would need two more crews and a second boat during the summer "
    "months ahead.",
    "The council expects the extra costs to be covered by higher fares for visitors in the peak "
    "season alone.",
    "A spokesperson for the ferry company said the crews would be hired from the islands where "
    "possible.",
    "Tickets for the early crossings go on sale next week at the pier office and on the "
    "company's website.",
    "The board will review the timetable after the first summer and decide whether to keep the "
    "early boats.",
]
COOKIES = ("We use cookies to give you the best experience on our website and to show you "
           "relevant advertising, as described in our policy.")
PROMO = ("Subscribe today and read every story from the islands for less than a coffee a week, "
         "cancel at any time you like.")


def tree(body: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(f"<html><body>{body}</body></html>")


def article(paragraphs: list[str], extra: str = "") -> lxml.html.HtmlElement:
    return tree("<article><h1>Ferry timetable approved</h1>"
                + "".join(f"<p>{p}</p>" for p in paragraphs) + f"</article>{extra}")


def test_a_paragraph_precision_dropped_comes_back_where_others_agree() -> None:
    page = article(S[:4])
    ours = [S[0], S[1], S[3]]
    others = [Candidate("justext", S[:4]), Candidate("article_body", S[:4])]
    assert vote(ours, others, Places(page, ours)) == S[:4]


def test_one_extractor_alone_is_not_enough_to_add_a_paragraph() -> None:
    page = article(S[:4])
    ours = [S[0], S[1], S[3]]
    assert vote(ours, [Candidate("justext", S[:4])], Places(page, ours)) == ours


def test_the_declared_article_body_weighs_as_two() -> None:
    page = article(S[:4])
    ours = [S[0], S[1], S[3]]
    assert vote(ours, [Candidate("article_body", S[:4])], Places(page, ours)) == S[:4]


def test_boilerplate_others_agree_on_stays_out_when_it_is_outside_our_article() -> None:
    page = article(S[:3], extra=f"<div class='consent'><p>{COOKIES}</p></div>")
    ours = S[:3]
    others = [Candidate("justext", [*S[:3], COOKIES]),
              Candidate("article_body", [*S[:3], COOKIES])]
    assert vote(ours, others, Places(page, ours)) == ours


def test_boilerplate_inside_the_article_in_a_promo_box_stays_out() -> None:
    page = tree("<article>" + "".join(f"<p>{p}</p>" for p in S[:3])
                + f"<div class='promo-box'><p>{PROMO}</p></div></article>")
    ours = S[:3]
    others = [Candidate("justext", [*S[:3], PROMO]), Candidate("article_body", [*S[:3], PROMO])]
    assert vote(ours, others, Places(page, ours)) == ours


def test_a_short_label_others_agree_on_is_not_added() -> None:
    page = article([S[0], "Read more", S[1]])
    ours = [S[0], S[1]]
    others = [Candidate("justext", [S[0], "Read more", S[1]]),
              Candidate("article_body", [S[0], "Read more", S[1]])]
    assert vote(ours, others, Places(page, ours)) == ours


def test_short_text_fallback_takes_the_candidate_with_several_times_more() -> None:
    page = article(S)
    ours = [S[0]]
    assert vote(ours, [Candidate("justext", S)], Places(page, ours)) == S


def test_short_text_fallback_leaves_out_what_lies_outside_our_article() -> None:
    page = article(S[:2], extra="<div class='next-story'><article>"
                   + "".join(f"<p>{p}</p>" for p in S[2:]) + "</article></div>")
    ours = S[:2]
    assert vote(ours, [Candidate("justext", S)], Places(page, ours)) == ours


def test_no_vote_when_nothing_says_text_was_lost() -> None:
    assert not body_vote.needs_vote(S, page_chars=sum(map(len, S)), article_body=[])
    assert not body_vote.needs_vote(S, page_chars=sum(map(len, S)), article_body=S[:4])
    assert body_vote.needs_vote(S[:2], page_chars=sum(map(len, S)), article_body=[])
    assert body_vote.needs_vote(S[:4], page_chars=0, article_body=S)


def test_declared_article_body_as_markup_or_escaped_markup_becomes_paragraphs() -> None:
    markup = "".join(f"<p>{p}</p>" for p in S[:2])
    assert body_vote.article_body_paragraphs(markup) == S[:2]
    escaped = markup.replace("<", "&lt;").replace(">", "&gt;")
    assert body_vote.article_body_paragraphs(escaped) == S[:2]
    assert body_vote.article_body_paragraphs("\n".join(S[:2])) == S[:2]
    assert body_vote.article_body_paragraphs(None) == []


def _page_with_column() -> str:
    """A page whose article text sits in a column trafilatura's precision mode drops, the
    declared articleBody holding all of it."""
    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle",
                     "headline": TITLE, "articleBody": "\n".join(S)})
    return (f"<html><head><title>{TITLE}</title>"
            f"<script type='application/ld+json'>{ld}</script></head>"
            "<body><header><nav><a href='/'>Home</a></nav></header><main><article>"
            f"<h1>{TITLE}</h1><p>{S[0]}</p><div class='sidebar-grid'>"
            + "".join(f"<p>{p}</p>" for p in S[1:])
            + "</div></article></main><footer>News Example</footer></body></html>")


def test_the_page_gets_its_whole_text_with_the_vote(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ABLATE_ENV, raising=False)
    text = extract_page(_page_with_column(), URL).record["text"]
    assert text.split("\n\n") == S


def test_switched_off_the_body_is_todays(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "body-vote" in RULES
    monkeypatch.setenv(ABLATE_ENV, "body-vote")
    off = extract_page(_page_with_column(), URL).record["text"]
    monkeypatch.delenv(ABLATE_ENV)
    page = lxml.html.fromstring(_page_with_column())
    today = extract_body(page, URL, TITLE, [], BodySettings(vote=False), "\n".join(S))
    assert off == today.text == S[0]
