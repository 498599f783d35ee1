"""bench/ablation.py: every switch changes a small synthetic page the way its name says (so a
renamed entry point fails here instead of ablating nothing), names are checked, patches are
undone, and the switches work in a worker pool."""

from __future__ import annotations

import json
import os
import pickle
from collections.abc import Callable
from pathlib import Path

import pytest

from bench import ablation, extraction, news_dev
from crawler.cli.extract_cmd import predict_folder, predict_newsarchive
from pipelines.extract.rules import ABLATE_ENV

URL = "https://news.example/2024/harbour-bridge-reopens"
PROSE = [
    "The harbour bridge reopened to traffic on Tuesday morning after eight months of repairs "
    "to its steel deck, the city's transport office said in a statement.",
    "Engineers replaced more than four hundred rivets and repainted the main span, which "
    "carries about thirty thousand vehicles on an ordinary working day.",
    "Commuters who had used the ferry during the closure said the crossing now took less than "
    "ten minutes again, compared with almost an hour on busy days.",
    "The repairs cost slightly more than planned because corrosion under the deck turned out "
    "to be worse than the first inspection had suggested last spring.",
    "A second phase of work on the approach roads is planned for next year, but the office "
    "said it would be done at night so that the bridge can stay open.",
    "Local shop owners near the southern ramp welcomed the news and said that trade had "
    "fallen sharply while the bridge was closed to cars and bicycles.",
]
HEADLINE = "Harbour bridge reopens after repairs"
H1 = f"<h1>{HEADLINE}</h1>"


def paras(first: int = 0, last: int = 6) -> str:
    return "".join(f"<p>{p}</p>" for p in PROSE[first:last])


def page(body: str, head: str = "", title: str = f"{HEADLINE} | Example Times") -> str:
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
            f"{head}</head><body>{body}</body></html>")


def ld(**fields: object) -> str:
    node = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": HEADLINE,
            **fields}
    return f"<script type='application/ld+json'>{json.dumps(node)}</script>"


def person(name: str) -> dict:
    return {"@type": "Person", "name": name}


ARTICLE = page(
    f"<article>{H1}<p class='byline'>By Jane Doe</p><p>Updated: 7 March 2024</p>{paras(0, 3)}"
    f"<p>Photo: John Smith</p>{paras(3)}"
    "<p>Read also: Ferry timetable changes for the spring season</p>"
    "<p>Related posts</p><p>Bridge painting contest announced</p>"
    "<a rel='tag' href='/tag/bridges'>Bridges</a></article>",
    ld(datePublished="2024-03-05T10:00:00+01:00", author=person("Jane Doe"))
    + f"<meta property='og:title' content='{HEADLINE} | Example Times'>"
    "<meta property='og:type' content='article'>"
    "<meta property='og:site_name' content='Example Times'>"
    "<meta property='og:image' content='https://news.example/img/bridge.jpg'>"
    "<meta property='article:tag' content='Transport'>"
    "<meta property='article:tag' content='City'>")
PERSONAL_SITE = page(f"<article>{H1}<p class='byline'>By Wolfgang Schmale</p>{paras()}</article>",
                     "<meta property='og:site_name' content='Wolfgang Schmale'>",
                     title=f"{HEADLINE} | Wolfgang Schmale")
TOC_HEADINGS = "".join(f"<h2><span id='toc-{i}'></span>Question number {i} about the bridge?"
                       f"</h2><p>{p}</p>" for i, p in enumerate(PROSE))
HOVER_CARD = (f"<p>{PROSE[0]} Our reporter <a href='/p/jd'>Jane Doe</a><span class='tooltip'>"
              "<img src='/jd.jpg'>Ferry strike ends after two weeks of talks</span> was there.</p>")

Field = Callable[[dict], object]


def text(record: dict) -> str:
    return record["text"]


# name: (page, its URL, the field read, its value with the part on, off; parts off in both)
CASES: dict[str, tuple[str, str, Field, Callable[[object], bool], Callable[[object], bool],
                       tuple[str, ...]]] = {
    "block-completion": (
        page(f"<main><div class='story'>{H1}{paras(0, 2)}{PROSE[2]}<br><img src='/a.jpg'>"
             f"{paras(3)}</div></main>"), URL, text,
        lambda t: PROSE[2] in t, lambda t: PROSE[2] not in t, ()),
    "boilerplate": (ARTICLE, URL, text,
                    lambda t: "Read also" not in t and "Bridge painting" not in t,
                    lambda t: "Read also" in t and "Bridge painting" in t, ()),
    "prune-xpath": (page(f"<article>{H1}{HOVER_CARD}{paras(1)}</article>"), URL, text,
                    lambda t: "Ferry strike" not in t, lambda t: "Ferry strike" in t, ()),
    "lead-header": (
        page(f"<article><header>{H1}<p>{PROSE[5]}</p></header>{paras(0, 5)}</article>"), URL,
        text, lambda t: PROSE[5] in t, lambda t: PROSE[5] not in t, ("block-completion",)),
    "credit-lines": (ARTICLE, URL, lambda r: ((r["image"] or {}).get("credit"),
                                              "Photo: John Smith" in r["text"]),
                     lambda v: v == ("John Smith", False), lambda v: v == (None, True), ()),
    "headline-title": (ARTICLE, URL, lambda r: r["title"], lambda t: t == HEADLINE,
                       lambda t: t == f"{HEADLINE} | Example Times", ()),
    "printed-dates": (ARTICLE, URL, lambda r: r["published"], lambda d: d == "2024-03-07",
                      lambda d: d == "2024-03-05T10:00:00+01:00", ()),
    "htmldate": (page(f"<article>{H1}{paras()}<p>The office first announced the closure on "
                      "2023-07-10.</p></article>"), "https://news.example/harbour",
                 lambda r: r["published"], lambda d: d == "2023-07-10", lambda d: d is None,
                 ()),
    "byline-markup": (
        page(f"<article>{H1}{paras()}<p>Reporting by Erika Musterfrau, who covers transport."
             "</p></article>", ld(author=person("Erika Musterfrau"))), URL,
        lambda r: r["authors"], lambda a: a == ["Erika Musterfrau"], lambda a: a == [], ()),
    "byline-printed": (ARTICLE, URL, lambda r: r["byline"], lambda b: b == "By Jane Doe",
                       lambda b: b is None, ()),
    "byline-page-text": (page(f"<article>{H1}{paras()}</article>",
                              ld(author=person("Ghost Writer"))), URL,
                         lambda r: r["authors"], lambda a: a == [],
                         lambda a: a == ["Ghost Writer"], ()),
    "given-names": (PERSONAL_SITE, "https://wolfgangschmale.example/bridge",
                    lambda r: r["authors"], lambda a: a == ["Wolfgang Schmale"],
                    lambda a: a == [], ()),
    "jsonld": (ARTICLE, URL, lambda r: r["published"], lambda d: d == "2024-03-07",
               lambda d: d == "2024-03-07", ()),  # replaced below: the printed day stays
    "microdata": (
        page(f"<article itemscope itemtype='https://schema.org/NewsArticle'>"
             f"<h1 itemprop='headline'>{HEADLINE}</h1><div itemprop='author' itemscope "
             "itemtype='https://schema.org/Person'><meta itemprop='name' "
             f"content='Erika Musterfrau'></div>{paras()}<p>Erika Musterfrau covers transport."
             "</p></article>"), URL, lambda r: r["authors"],
        lambda a: a == ["Erika Musterfrau"], lambda a: a == [], ()),
    "opengraph": (ARTICLE, URL, lambda r: r["site_name"], lambda s: s == "Example Times",
                  lambda s: s is None, ()),
    "declared-tags": (ARTICLE, URL, lambda r: r["tags"], lambda t: t == ["Transport", "City"],
                      lambda t: t == ["Bridges"], ()),
    "page-type": (page(f"<article>{H1}<p>{PROSE[0]}</p></article>"), URL,
                  lambda r: r["is_article"], lambda a: a is False, lambda a: a is True, ()),
}
# JSON-LD holds the only publication time: without it the printed day alone is left
CASES["jsonld"] = (page(f"<article>{H1}{paras()}</article>",
                        ld(datePublished="2024-03-05T10:00:00+01:00")), URL,
                   lambda r: r["published"], lambda d: d == "2024-03-05T10:00:00+01:00",
                   lambda d: d != "2024-03-05T10:00:00+01:00", ())


def test_every_switch_has_a_case() -> None:
    assert set(CASES) == set(ablation.SWITCHES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_switch_changes_its_page_as_named(name: str) -> None:
    html, url, field, when_on, when_off, also_off = CASES[name]
    on = field(ablation.Ablated(also_off)(html.encode(), url))
    off = field(ablation.Ablated((*also_off, name))(html.encode(), url))
    assert when_on(on), f"{name} on: {on!r}"
    assert when_off(off), f"{name} off: {off!r}"


def test_a_rule_name_switches_the_rule_off_inside_the_call_only() -> None:
    html = page(f"<article>{H1}{paras()}</article>",
                "<meta name='keywords' content='bridge, harbour'>")
    assert predict_newsarchive(html.encode(), URL)["tags"] == ["bridge", "harbour"]
    assert ablation.Ablated(("meta-keywords",))(html.encode(), URL)["tags"] == []
    assert ABLATE_ENV not in os.environ
    assert predict_newsarchive(html.encode(), URL)["tags"] == ["bridge", "harbour"]


def test_patches_are_undone_also_after_an_error() -> None:
    import pipelines.extract.body as body

    complete = body.complete
    with pytest.raises(RuntimeError), ablation.switched_off(("block-completion", "site-owner")):
        assert body.complete is not complete
        assert os.environ[ABLATE_ENV] == "site-owner"
        raise RuntimeError
    assert body.complete is complete
    assert ABLATE_ENV not in os.environ


def test_a_renamed_entry_point_is_an_error_not_a_silent_no_op(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import pipelines.extract.body as body

    monkeypatch.delattr(body, "complete")
    with pytest.raises(AttributeError), ablation.switched_off(("block-completion",)):
        pass


def test_unknown_names_are_a_clear_error(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError, match="unknown ablation name.*no-such-module.*known: .*"
                                         "block-completion"):
        ablation.parse("block-completion,no-such-module")
    with pytest.raises(ValueError, match="no-such-module"):
        ablation.Ablated(("no-such-module",))(b"<html></html>", URL)
    assert news_dev.main(["--shared", str(tmp_path), "--ablate", "no-such-module"]) == 2
    assert "unknown ablation name(s) no-such-module" in capsys.readouterr().err
    assert extraction.main([str(tmp_path), "--ablate", "no-such-module"]) == 2
    assert "unknown ablation name(s) no-such-module" in capsys.readouterr().err
    assert news_dev.main(["--shared", str(tmp_path), "--each", "no-such-module"]) == 2


def test_switches_work_in_a_worker_pool(tmp_path: Path) -> None:
    html, url, *_ = CASES["declared-tags"]
    (tmp_path / "pages").mkdir()
    rows = []
    for i in range(3):
        (tmp_path / "pages" / f"p{i}.html").write_text(html, encoding="utf-8")
        rows.append(json.dumps({"id": f"p{i}", "url": url, "file": f"p{i}.html"}))
    (tmp_path / "truth.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    predictor = ablation.Ablated(("declared-tags",))
    assert pickle.loads(pickle.dumps(predictor)) == predictor
    off = [p["tags"] for p, _ in predict_folder(tmp_path, predictor, processes=2, fresh=True)]
    on = [p["tags"] for p, _ in predict_folder(tmp_path, predict_newsarchive, processes=2,
                                               fresh=True)]
    assert off == [["Bridges"]] * 3 and on == [["Transport", "City"]] * 3


def test_changed_pages_reads_better_as_better_with_the_part_on() -> None:
    on = {"a": {"title": 1.0, "body f1": 0.5}, "b": {"title": 0.0}}
    off = {"a": {"title": 0.0, "body f1": 0.9}, "b": {"title": 1.0}}
    changed = news_dev.changed_pages(on, off)
    assert changed["title"] == ({"a"}, {"b"})
    assert changed["body f1"] == (set(), {"a"})


def test_costs_time_the_switched_entry_points_and_put_them_back() -> None:
    import pipelines.extract.body as body

    complete = body.complete
    html, url, *_ = CASES["block-completion"]
    with ablation.costs(("block-completion", "prune-xpath")) as spent:
        record = predict_newsarchive(html.encode(), url)
    assert PROSE[2] in record["text"]  # timed, not switched off
    assert spent["block-completion"] > 0
    assert "prune-xpath" not in spent  # data, not a function: not timed
    assert body.complete is complete
