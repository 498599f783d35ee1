"""Lead image caption and credit on news-page layouts (synthetic pages, original text).

Each rule test also switches its rule off (``NEWSARCHIVE_EXTRACT_ABLATE``) and checks the
result changes: the page exercises the rule, not something else.
"""

from __future__ import annotations

import pytest

from pipelines.extract import extract
from pipelines.extract.images import credit_shaped, split_credit
from pipelines.extract.rules import ABLATE_ENV, RULES
from tests.synthetic_pages import news_page

URL = "https://news.example/2025/04/harbour-ferry/"
OG = "<meta property='og:image' content='https://cdn.news.example/img/ferry-1200x630.jpg'>"
TEXT = "".join(
    f"<p>The harbour board met again on day {i} to discuss the ferry timetable, the crews and "
    f"the second boat the operators want for the summer season on the islands.</p>"
    for i in range(1, 9))


def article(figure: str, before: str = "") -> str:
    return f"<article><h1>Ferry timetable approved</h1>{before}{figure}{TEXT}</article>"


def image_of(html: str) -> dict:
    return extract(html, URL)["image"]


def without(rule: str, monkeypatch: pytest.MonkeyPatch, html: str) -> dict:
    """The image with the rule(s) ``rule`` ("a" or "a,b") switched off."""
    assert all(name in RULES for name in rule.split(","))
    monkeypatch.setenv(ABLATE_ENV, rule)
    try:
        return image_of(html)
    finally:
        monkeypatch.delenv(ABLATE_ENV)


@pytest.mark.parametrize("caption", [
    "The ferry leaves the pier (left).",
    "The ferry leaves the pier (file).",
    "The crossing takes 50/50 minutes in winter",
    "Ferries run hourly | Timetable changes in April, when the new boats arrive and the crews.",
    "The ferry at the pier (photographed on Monday by the harbour master from the tower)",
])
def test_caption_endings_that_are_not_credits(caption: str) -> None:
    assert split_credit(caption)[1] is None


@pytest.mark.parametrize(("line", "name"), [
    ("Fot. Jan Kowalski", "Jan Kowalski"),
    ("Zdjęcie: Anna Nowak", "Anna Nowak"),
    ("Imagem: João Silva", "João Silva"),
    ("Kuva: Matti Meikäläinen", "Matti Meikäläinen"),
    ("Symbolbild: picture alliance/dpa", "picture alliance/dpa"),
    ("Ảnh: Nguyễn Văn A", "Nguyễn Văn A"),
    ("Crédit : Claire Dubois", "Claire Dubois"),
])
def test_credit_labels_in_more_languages(line: str, name: str) -> None:
    assert split_credit(line) == ("", name)


def test_credit_shape() -> None:
    assert credit_shaped("Jane Doe/AFP") and credit_shaped("picture alliance/dpa")
    assert credit_shaped("dpa") and credit_shaped("Getty Images")
    assert not credit_shaped("The ferry leaves the pier at six. It is late.")
    assert not credit_shaped("left") and not credit_shaped("File")
    assert not credit_shaped("@islander")


def test_credit_span_beside_the_figcaption(monkeypatch: pytest.MonkeyPatch) -> None:
    figure = ("<figure><img src='https://cdn.news.example/img/ferry-800x450.jpg'>"
              "<figcaption>The new ferry at the pier.</figcaption>"
              "<span class='img-copyright'>Jane Doe/Harbour Press</span></figure>")
    html = news_page("Ferry timetable approved", article(figure), OG)
    assert image_of(html)["credit"] == "Jane Doe/Harbour Press"
    assert image_of(html)["caption"] == "The new ferry at the pier."
    assert without("figure-credit", monkeypatch, html)["credit"] is None


def test_credit_element_naming_its_source() -> None:
    figure = ("<figure><img src='https://cdn.news.example/img/ferry-800x450.jpg'>"
              "<figcaption>The new ferry at the pier. <span class='credit'>Quelle: Hafenamt"
              "</span></figcaption></figure>")
    html = news_page("Ferry timetable approved", article(figure), OG)
    assert image_of(html)["credit"] == "Hafenamt"


def test_cite_in_the_caption_is_the_credit(monkeypatch: pytest.MonkeyPatch) -> None:
    figure = ("<figure><img src='https://cdn.news.example/img/ferry-800x450.jpg'>"
              "<figcaption><p>The new ferry at the pier. <cite>Harbour Press</cite></p>"
              "</figcaption></figure>")
    html = news_page("Ferry timetable approved", article(figure), OG)
    assert image_of(html) == {"url": "https://cdn.news.example/img/ferry-1200x630.jpg",
                              "caption": "The new ferry at the pier.", "credit": "Harbour Press"}
    assert without("figure-credit", monkeypatch, html)["credit"] is None


def test_last_part_of_a_caption_is_the_credit(monkeypatch: pytest.MonkeyPatch) -> None:
    figure = ("<figure><img src='https://cdn.news.example/img/ferry-800x450.jpg'>"
              "<figcaption><span class='a1'>The new ferry at the pier.</span>"
              "<span class='a2'>Jane Doe</span></figcaption></figure>")
    html = news_page("Ferry timetable approved", article(figure), OG)
    assert image_of(html)["caption"] == "The new ferry at the pier."
    assert image_of(html)["credit"] == "Jane Doe"
    off = without("figure-credit", monkeypatch, html)
    assert off["credit"] is None and off["caption"] == "The new ferry at the pier.Jane Doe"


def test_text_on_the_picture_outside_the_caption(monkeypatch: pytest.MonkeyPatch) -> None:
    on_picture = ("<figure><div><img src='https://cdn.news.example/img/ferry-800x450.jpg'>"
                  "<small>© Jane Doe</small></div>"
                  "<figcaption>The new ferry at the pier.</figcaption></figure>")
    under = ("<figure><img src='https://cdn.news.example/img/ferry-800x450.jpg'>"
             "<figcaption>The new ferry at the pier.</figcaption><footer>Harbour Press</footer>"
             "</figure>")
    for figure, credit in ((on_picture, "Jane Doe"), (under, "Harbour Press")):
        html = news_page("Ferry timetable approved", article(figure), OG)
        assert image_of(html) == {"url": "https://cdn.news.example/img/ferry-1200x630.jpg",
                                  "caption": "The new ferry at the pier.", "credit": credit}
        assert without("figure-credit", monkeypatch, html)["credit"] is None


def test_figcaption_printed_after_its_figure(monkeypatch: pytest.MonkeyPatch) -> None:
    figure = ("<div><figure><img src='https://cdn.news.example/img/ferry-800x450.jpg'></figure>"
              "<figcaption><span>The new ferry at the pier</span>"
              "<span class='caption-author'>Jane Doe</span></figcaption></div>")
    html = news_page("Ferry timetable approved", article(figure), OG)
    assert image_of(html)["caption"] == "The new ferry at the pier"
    assert image_of(html)["credit"] == "Jane Doe"
    # caption-after-image reads the same caption as the element after the picture block
    assert without("figure-credit,caption-after-image", monkeypatch, html)["credit"] is None


def test_sized_rendition_of_og_image_in_the_article_not_the_teaser(
        monkeypatch: pytest.MonkeyPatch) -> None:
    teaser = ("<aside><article><figure><img src='https://cdn.news.example/img/160x90_ferry.jpg'>"
              "<figcaption>Teaser picture (Teaser Agency)</figcaption></figure>"
              "<h2>Ferry story</h2></article></aside>")
    og = "<meta property='og:image' content='https://cdn.news.example/img/1200x630_ferry.jpg'>"
    lead = ("<div class='lead-picture'><img src='https://cdn.news.example/img/1536x864_ferry.jpg'>"
            "<div class='caption'>The new ferry at the pier. "
            "<span class='credit'>Jane Doe</span></div></div>")
    html = news_page("Ferry timetable approved", teaser + article(lead), og)
    assert image_of(html)["credit"] == "Jane Doe"
    assert without("lead-figure", monkeypatch, html)["credit"] != "Jane Doe"


def test_lead_figure_after_a_standfirst(monkeypatch: pytest.MonkeyPatch) -> None:
    standfirst = ("<p>The harbour board approved the new ferry timetable on Monday evening "
                  "after residents of the islands asked for an earlier crossing on weekdays "
                  "for years.</p>")
    figure = ("<figure><img src='https://cdn.news.example/img/other-crop.jpg' width='800'>"
              "<figcaption>The new ferry at the pier. Photo: Jane Doe</figcaption></figure>")
    html = news_page("Ferry timetable approved",
                     "<article><h1>Ferry timetable approved</h1><img src='/logo.png'>"
                     f"{standfirst}{figure}{TEXT}</article>", OG)
    assert image_of(html)["credit"] == "Jane Doe"
    # first-captioned-figure finds the same figure wherever it stands
    assert without("lead-figure,first-captioned-figure", monkeypatch, html)["credit"] is None


def test_alt_text_is_the_last_resort_caption(monkeypatch: pytest.MonkeyPatch) -> None:
    head = OG + ("<meta property='og:image:alt' content='The new ferry leaves the pier at six. "
                 "(AP Photo/Jane Doe)'>")
    html = news_page("Ferry timetable approved", article(""), head)
    assert image_of(html) == {"url": "https://cdn.news.example/img/ferry-1200x630.jpg",
                              "caption": "The new ferry leaves the pier at six.",
                              "credit": "AP Photo/Jane Doe"}
    assert without("alt-caption", monkeypatch, html)["caption"] is None


@pytest.mark.parametrize("alt", ["Ferry timetable approved", "Logo of the Harbour News Group",
                                 "ferry-boat-pier-1200x630.jpg at the pier today"])
def test_alt_that_is_no_caption(alt: str) -> None:
    img = f"<img src='https://cdn.news.example/img/ferry-1200x630.jpg' alt='{alt}'>"
    html = news_page("Ferry timetable approved", article(img), OG)
    assert image_of(html)["caption"] is None


def test_no_credit_where_none_is_printed() -> None:
    figure = ("<figure><img src='https://cdn.news.example/img/ferry-800x450.jpg'>"
              "<figcaption>The new ferry at the pier, where the crews wait for the first "
              "crossing of the day.</figcaption></figure>")
    html = news_page("Ferry timetable approved", article(figure), OG)
    assert image_of(html) == {"url": "https://cdn.news.example/img/ferry-1200x630.jpg",
                              "caption": "The new ferry at the pier, where the crews wait for "
                                         "the first crossing of the day.", "credit": None}


@pytest.mark.parametrize(("caption", "credit"), [
    ("The new ferry at the pier. | Jane Doe/Harbour Press", "Jane Doe/Harbour Press"),
    ("The new ferry at the pier (Getty Images)", "Getty Images"),
    ("The new ferry at the pier. HARBOUR/Jane Doe", "HARBOUR/Jane Doe"),
])
def test_unlabelled_credit_after_the_caption(caption: str, credit: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    assert split_credit(caption) == (caption.split(credit)[0].rstrip(" |(").rstrip(), credit)
    figure = ("<figure><img src='https://cdn.news.example/img/ferry-800x450.jpg'>"
              f"<figcaption>{caption}</figcaption></figure>")
    html = news_page("Ferry timetable approved", article(figure), OG)
    assert image_of(html)["credit"] == credit
    assert without("caption-tail-credit", monkeypatch, html)["credit"] is None


@pytest.mark.parametrize("credit_part", ["<span>/ Jane Doe</span>", " | <b>Jane Doe/Harbour Press</b>"])
def test_credit_element_set_off_after_the_caption_text(credit_part: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    figure = ("<figure><img src='https://cdn.news.example/img/ferry-800x450.jpg'>"
              f"<figcaption><p>The new ferry at the pier {credit_part}</p></figcaption></figure>")
    html = news_page("Ferry timetable approved", article(figure), OG)
    image = image_of(html)
    assert image["caption"] == "The new ferry at the pier"
    assert image["credit"] in ("Jane Doe", "Jane Doe/Harbour Press")
    assert without("caption-tail-credit", monkeypatch, html)["credit"] is None


def test_element_after_the_caption_text_without_a_separator_is_no_credit() -> None:
    figure = ("<figure><img src='https://cdn.news.example/img/ferry-800x450.jpg'>"
              "<figcaption><p>The new ferry at <b>Harbour Pier</b></p></figcaption></figure>")
    html = news_page("Ferry timetable approved", article(figure), OG)
    assert image_of(html) == {"url": "https://cdn.news.example/img/ferry-1200x630.jpg",
                              "caption": "The new ferry at Harbour Pier", "credit": None}


@pytest.mark.parametrize(("after", "caption", "credit"), [
    ("<p><strong>The new ferry at the pier.</strong></p>", "The new ferry at the pier.", None),
    ("<p><span>The new ferry at the pier</span></p><p>Image: Jane Doe</p>",
     "The new ferry at the pier", "Jane Doe"),
])
def test_caption_printed_as_the_paragraph_after_the_picture(
        after: str, caption: str, credit: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    picture = f"<div><img src='https://cdn.news.example/img/ferry-800x450.jpg'></div>{after}"
    html = news_page("Ferry timetable approved", article(picture), OG)
    assert image_of(html) == {"url": "https://cdn.news.example/img/ferry-1200x630.jpg",
                              "caption": caption, "credit": credit}
    assert without("caption-after-image", monkeypatch, html)["caption"] is None


def test_plain_paragraph_after_the_picture_is_no_caption() -> None:
    picture = ("<div><img src='https://cdn.news.example/img/ferry-800x450.jpg'></div>"
               "<p>The ferry leaves at six.</p>")
    html = news_page("Ferry timetable approved", article(picture), OG)
    assert image_of(html)["caption"] is None


@pytest.mark.parametrize(("after", "caption", "credit"), [
    ("<div class='hero-caption'>The new ferry at the pier <span class='credit'>Jane Doe</span>"
     "</div>", "The new ferry at the pier", "Jane Doe"),
    ("<div><div class='caption'><span class='caption__credit'>Illustration by Jane Doe</span>"
     "</div></div>", None, "Illustration by Jane Doe"),
    ("<div><span>The new ferry at the pier.</span><small>Harbour Press</small></div>",
     "The new ferry at the pier.", "Harbour Press"),
])
def test_caption_element_after_the_picture_block(
        after: str, caption: str | None, credit: str, monkeypatch: pytest.MonkeyPatch) -> None:
    picture = ("<div><div><picture><img src='https://cdn.news.example/img/ferry-800x450.jpg'>"
               f"</picture><button>Show the description</button></div></div>{after}")
    html = news_page("Ferry timetable approved", article(picture), OG)
    assert image_of(html) == {"url": "https://cdn.news.example/img/ferry-1200x630.jpg",
                              "caption": caption, "credit": credit}
    assert without("caption-after-image", monkeypatch, html)["credit"] is None


def test_first_captioned_figure_when_og_image_is_not_printed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    uncaptioned = "<figure><img src='https://cdn.news.example/img/map.png'></figure>"
    figure = ("<figure><img src='https://cdn.news.example/img/other-crop.jpg'>"
              "<figcaption>The new ferry at the pier. Photo: Jane Doe</figcaption></figure>")
    body = (f"<article><h1>Ferry timetable approved</h1>{TEXT}{uncaptioned}{figure}"
            f"{TEXT}</article>")
    html = news_page("Ferry timetable approved", body, OG)
    assert image_of(html) == {"url": "https://cdn.news.example/img/ferry-1200x630.jpg",
                              "caption": "The new ferry at the pier.", "credit": "Jane Doe"}
    assert without("first-captioned-figure", monkeypatch, html) == {
        "url": "https://cdn.news.example/img/ferry-1200x630.jpg", "caption": None, "credit": None}


def test_printed_og_image_with_its_own_caption_keeps_it() -> None:
    lead = ("<figure><img src='https://cdn.news.example/img/ferry-800x450.jpg'>"
            "<figcaption>The new ferry at the pier.</figcaption></figure>")
    later = ("<figure><img src='https://cdn.news.example/img/crew.jpg'>"
             "<figcaption>The crew. Photo: Jane Doe</figcaption></figure>")
    html = news_page("Ferry timetable approved", article(lead + TEXT + later), OG)
    assert image_of(html)["caption"] == "The new ferry at the pier."
    assert image_of(html)["credit"] is None
