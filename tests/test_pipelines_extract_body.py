"""Body text: completion of trafilatura's paragraphs from the article container, hover cards,
inline "Don't miss" boxes (synthetic pages, original text)."""

from __future__ import annotations

import lxml.etree
import lxml.html

from pipelines.extract import extract_page
from pipelines.extract.blocks import complete, text_blocks
from pipelines.extract.body import clean_paragraphs

URL = "https://news.example/2025/03/story/"
P1 = "The harbour board approved the new ferry timetable after a long evening session on Monday."
P2 = "Residents of the islands had asked for an earlier crossing on weekdays for many years now."
P3 = "The first boats on the new schedule leave the pier at six on the first Monday of April."
P4 = "Operators said the change would need two more crews and a second boat during the summer."


def tree(body: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(f"<html><body>{body}</body></html>")


def test_blocks_split_at_block_elements_and_br() -> None:
    blocks = text_blocks(tree(f"<div>{P1}<br><br>{P2}<p>{P3} <a href='/x'>link</a></p></div>"))
    assert [b.text for b in blocks] == [P1, P2, P3 + " link"]
    assert blocks[2].link_chars == len("link")
    assert blocks[0].owner.tag == "div" and blocks[2].owner.tag == "p"


def test_loose_text_between_kept_paragraphs_is_put_back_in_order() -> None:
    page = tree(f"<main><div class='story'><p>{P1}</p>{P2}<br><img src='/a.jpg'><p>{P3}</p>"
                f"<p>{P4}</p></div></main>")
    assert complete([P1, P3, P4], page) == [P1, P2, P3, P4]


def test_subhead_list_items_and_tweets_inside_the_article_are_put_back() -> None:
    page = tree(f"<article><p>{P1}</p><h2>New crossings</h2><p>{P2}</p>"
                "<ul><li>Monday to Friday: six, seven and eight in the morning.</li></ul>"
                "<blockquote class='twitter-tweet'><p>Finally an early boat!</p>— Islander "
                f"(@islander)</blockquote><p>{P3}</p></article>")
    out = complete([P1, P2, P3], page)
    assert out == [P1, "New crossings", P2,
                   "Monday to Friday: six, seven and eight in the morning.",
                   "Finally an early boat!", "— Islander (@islander)", P3]


def test_furniture_inside_the_article_is_not_put_back() -> None:
    page = tree(f"<article><p>{P1}</p>"
                "<div class='share-buttons'>Share this on every network you know about</div>"
                "<div class='related-posts'>Another story about ferries that you may like</div>"
                "<figure><img src='/a.jpg'><figcaption>The pier at dawn, seen from the "
                "harbour wall</figcaption></figure>"
                "<p style='display:none'>Hidden text that a reader never sees on the page</p>"
                "<p><a href='/a'>A headline linking elsewhere on the site entirely</a></p>"
                f"<h3>Related</h3><ul><li><a href='/b'>Other story</a></li></ul><p>{P2}</p>"
                "</article>")
    assert complete([P1, P2], page) == [P1, P2]


def test_only_prose_leads_and_nothing_after_the_last_kept_block() -> None:
    page = tree(f"<article><div class='summary'>{P4} {P4}</div><div>By Jane Harbour</div>"
                f"<p>{P1}</p><p>{P2}</p><p>Short promo line after the text ends here.</p>"
                f"<p>{P3}</p></article>")
    assert complete([P1, P2], page) == [f"{P4} {P4}", P1, P2]


def test_blocks_outside_the_container_are_left_alone() -> None:
    page = tree(f"<div class='sidebar'><p>{P4}</p></div><article><p>{P1}</p><p>{P2}</p>"
                "</article>")
    assert complete([P1, P2], page) == [P1, P2]


def test_hover_card_inside_a_paragraph_is_dropped() -> None:
    card = ("<span class='rollover-people'><a href='/people/jane'>Jane Harbour</a>"
            "<span class='rollover-people-block'><span class='rollover-block'>"
            "<img src='/jane.jpg'><a href='/1'>Ferry fares to rise in June</a> "
            "<a href='/2'>Harbour board names new chair</a></span></span></span>")
    html = (f"<html><head><title>Ferries</title></head><body><article><h1>Ferries</h1>"
            f"<p>Board chair {card} said the timetable was settled.</p><p>{P1}</p><p>{P2}</p>"
            f"<p>{P3}</p></article></body></html>")
    text = extract_page(html, URL).record["text"]
    assert "Board chair Jane Harbour said the timetable was settled." in text
    assert "Ferry fares to rise" not in text and "new chair" not in text


def test_end_marker_followed_by_article_prose_is_an_inline_box() -> None:
    long = [p + " " + p for p in (P1, P2, P3, P4)]
    lines = [*long[:2], "Don't miss", "Ferry fares to rise in June [VIDEO]", *long[2:],
             long[0].upper().lower()]
    kept = clean_paragraphs(lines, None, []).paragraphs
    assert "Don't miss" not in kept and "Ferry fares to rise in June [VIDEO]" not in kept
    assert kept[-1] == long[0].lower() and long[3] in kept


def test_end_marker_before_teasers_ends_the_article() -> None:
    lines = [P1, P2, P3, "Related articles", "Ferry fares to rise", "New chair named"]
    assert clean_paragraphs(lines, None, []).paragraphs == [P1, P2, P3]


def test_labels_before_a_repeated_headline_go_with_it() -> None:
    prose = "The council voted on Tuesday to close the old bridge for repairs, officials said."
    body = clean_paragraphs(["Top stories", "Bridge to close for repairs", prose],
                            "Bridge to close for repairs", [])
    assert body.paragraphs == [prose]
    # a headline further down, or prose before it, leaves the text alone
    kept = clean_paragraphs([prose, "Bridge to close for repairs"], "Bridge to close for repairs",
                            [])
    assert kept.paragraphs[0] == prose


def test_date_lines_and_copyright_notes_are_not_body_text() -> None:
    prose = ["A long paragraph of the article that says what happened and why it matters."] * 6
    lines = ["기사입력 :[ 2018-08-25 15:24 ]", *prose, "Stand: 27.11.2026, 10:15 Uhr",
             "저작권자 ⓒ 예시뉴스, 무단전재 및 재배포금지"]
    assert clean_paragraphs(lines, None, []).paragraphs == prose
    # a table row with a date is data, and a sentence with a date is text
    row = "2019-01-02 | 5.3 | 4.1"
    sentence = "On 2019-01-02 the plant reopened after three months of repairs."
    assert clean_paragraphs([row, sentence], None, []).paragraphs == [row, sentence]
    # inside the text a dated line is content (an event's date, a deadline)
    inside = [prose[0], prose[1], "Termin: 29.02.2020, 19 Uhr", prose[2], prose[3]]
    assert clean_paragraphs(inside, None, []).paragraphs == inside


def test_a_short_fast_pass_gets_trafilaturas_full_cascade(monkeypatch) -> None:
    import pipelines.extract.body as body_module

    article = lxml.html.fromstring("<html><body><p>x</p></body></html>")
    long_text = "A paragraph of the article that the full cascade finds. " * 40
    calls = []

    def fake(tree, url, settings):
        calls.append(settings.fast)
        root = lxml.etree.Element("body")
        lxml.etree.SubElement(root, "p").text = "Too short." if settings.fast else long_text
        return root

    monkeypatch.setattr(body_module, "trafilatura_body", fake)
    result = body_module.extract_body(article, "https://news.example/a", None, [],
                                      body_module.BodySettings(complete_blocks=False))
    assert calls == [True, False]
    assert result.paragraphs == [long_text.strip()]


def test_a_heading_opened_by_an_empty_anchor_keeps_its_text() -> None:
    # table-of-contents plugins open each heading with an empty anchor element
    article = "".join(
        f"<h2><span class='toc-section' id='q{i}'></span>Question number {i} for the board?"
        f"<span class='toc-section-end'></span></h2><p>{P1} {P2}</p><p>{P3} {P4}</p>"
        for i in range(1, 4))
    html = (f"<html><head><title>Ferry timetable</title></head><body><article><h1>Ferry timetable"
            f"</h1>{article}</article></body></html>")
    text = extract_page(html, URL).record["text"]
    for i in range(1, 4):
        assert f"Question number {i} for the board?" in text


def test_the_lead_in_the_articles_header_is_body_text_but_not_an_appended_articles() -> None:
    from pipelines.extract.body import BodySettings, trafilatura_body

    lead = ("The islands get their early boat at last: the harbour board voted for a six o'clock "
            "crossing on weekdays.")
    story = f"<p>{P1}</p><p>{P2}</p><p>{P3}</p><p>{P4}</p>"
    page = tree(f"<article><header><h1>Ferry timetable</h1><p class='lead'>{lead}</p></header>"
                f"{story}</article><article><header><h1>Museum returns figurehead</h1><p>The "
                "carved figurehead of the old schooner is back in the maritime museum after ten "
                f"years.</p></header><p>The museum had lent it to a gallery abroad.</p></article>")
    body = trafilatura_body(page, URL, BodySettings())
    assert body is not None
    text = " ".join(body.itertext())
    assert lead in text and P4 in text
    assert "figurehead" not in text
    assert [el.tag for el in page.iter("header")] == ["header", "header"]  # the page as it was


def test_embed_consent_notices_and_author_bio_boxes_are_not_body_text() -> None:
    consent = [
        "Empfohlener redaktioneller Inhalt",
        ("An dieser Stelle findet Ihr einen externen Inhalt von Instagram, der den Artikel "
        "ergänzt. Ihr könnt ihn Euch mit einem Klick anzeigen lassen."),
        ("Ich bin damit einverstanden, dass mir externe Inhalte angezeigt werden. Damit können "
        "personenbezogene Daten an Drittplattformen übermittelt werden."),
        "This content is provided by Instagram.",
        "To view this content, you need to accept cookies from the provider.",
    ]
    assert clean_paragraphs([P1, *consent, P2], None, []).paragraphs == [P1, P2]
    # a short post's bio box: "Über <person>" ends the text wherever it sits
    bio = ["Über Simon Harbour", ("Ferry enthusiast and podcaster from the islands, writing "
           "about boats since 2009 and still waiting for the early crossing every Monday."),
           "Zeige alle Beiträge von Simon Harbour →"]
    assert clean_paragraphs([P1, P2, *bio], None, []).paragraphs == [P1, P2]
    # "About Python", "Über Wasser": subheadings, not bios
    for heading in ("About Python", "Über Wasser und Land"):
        assert clean_paragraphs([P1, heading, P2], None, []).paragraphs == [P1, heading, P2]


def test_line_breaks_inside_a_paragraph_separate_words(monkeypatch) -> None:
    from pipelines.extract.rules import ABLATE_ENV

    html = ("<html><head><title>Storm reaches the coast</title></head><body><article>"
            "<h1>Storm reaches the coast</h1>" + "".join(f"<p>{p}</p>" for p in (P1, P2, P3, P4))
            + "<p>PORT TOWN, FL<br>June 3 — The storm moved north<br/>overnight.</p></article>"
            "</body></html>")
    text = extract_page(html, URL).record["text"]
    assert "PORT TOWN, FL June 3 — The storm moved north overnight." in text
    monkeypatch.setenv(ABLATE_ENV, "line-breaks")
    assert "FLJune" in extract_page(html, URL).record["text"]
