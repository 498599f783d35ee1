"""Extraction across languages and scripts, on synthetic pages (original text, no third-party
page content): image credits in six languages, right-to-left and CJK text, legacy charsets
declared only in ``<meta>``."""

from __future__ import annotations

import pytest

from pipelines.extract import extract_page
from pipelines.extract.images import credit_line, split_credit

URL = "https://news.example/2025/03/story/"


def page(body: str, lang: str = "en", head: str = "") -> str:
    return (f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>"
            f"<title>Story</title>{head}</head><body><article><h1>Story</h1>{body}"
            "</article></body></html>")


PARAGRAPHS = {
    "en": ["The harbour board approved the new ferry timetable after a long evening session.",
           "Residents of the islands had asked for an earlier crossing on weekdays for years.",
           "The first boats on the new schedule leave the pier at six on the first Monday."],
    "de": ["Der Hafenrat hat den neuen Fährfahrplan nach einer langen Abendsitzung beschlossen.",
           "Die Bewohner der Inseln hatten seit Jahren eine frühere Überfahrt an Werktagen verlangt.",
           "Die ersten Schiffe nach dem neuen Plan legen am ersten Montag um sechs Uhr ab."],
    "fr": ["Le conseil du port a approuvé le nouvel horaire des ferries après une longue séance.",
           "Les habitants des îles réclamaient depuis des années une traversée plus matinale.",
           "Les premiers bateaux du nouvel horaire quitteront le quai à six heures lundi."],
    "es": ["La junta del puerto aprobó el nuevo horario de los transbordadores tras una larga sesión.",
           "Los vecinos de las islas pedían desde hacía años un cruce más temprano entre semana.",
           "Los primeros barcos del nuevo horario saldrán del muelle a las seis el lunes."],
    "it": ["Il consiglio del porto ha approvato il nuovo orario dei traghetti dopo una lunga seduta.",
           "Gli abitanti delle isole chiedevano da anni una traversata più mattutina nei feriali.",
           "Le prime navi del nuovo orario lasceranno il molo alle sei di lunedì prossimo."],
    "nl": ["Het havenbestuur keurde na een lange avondvergadering de nieuwe dienstregeling goed.",
           "Bewoners van de eilanden vroegen al jaren om een vroegere overtocht op werkdagen.",
           "De eerste boten volgens de nieuwe regeling vertrekken maandag om zes uur van de steiger."],
}

# (language, credit line as printed, the name it gives)
CREDIT_LINES = [
    ("en", "Photo: Jane Harbour", "Jane Harbour"),
    ("en", "Image source: Island Ferries Ltd", "Island Ferries Ltd"),
    ("en", "Photograph: Tom Pier/Harbour Images", "Tom Pier/Harbour Images"),
    ("en", "© Northern Ferry Archive", "Northern Ferry Archive"),
    ("de", "Foto: Max Mole", "Max Mole"),
    ("de", "Bild: Hafenamt", "Hafenamt"),
    ("de", "Bildquelle: Inselverwaltung", "Inselverwaltung"),
    ("fr", "Crédit : Louise Quai", "Louise Quai"),
    ("fr", "Photographie : Jean Bassin", "Jean Bassin"),
    ("fr", "Crédits photos : Agence Littoral", "Agence Littoral"),
    ("es", "Foto: Ana Muelle", "Ana Muelle"),
    ("es", "Imagen: Autoridad Portuaria", "Autoridad Portuaria"),
    ("it", "Foto: Marco Molo", "Marco Molo"),
    ("it", "Immagine: Autorità Portuale", "Autorità Portuale"),
    ("nl", "Foto: Pieter Kade", "Pieter Kade"),
    ("nl", "Beeld: Havenbedrijf", "Havenbedrijf"),
]


@pytest.mark.parametrize(("lang", "line", "name"), CREDIT_LINES,
                         ids=[f"{lang}-{line.split()[0]}" for lang, line, _ in CREDIT_LINES])
def test_credit_line_recognised_and_removed_from_text(lang: str, line: str, name: str) -> None:
    assert credit_line(line) == name
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS[lang][:1]) + f"<p>{line}</p>" + \
        "".join(f"<p>{p}</p>" for p in PARAGRAPHS[lang][1:])
    head = '<meta property="og:image" content="https://news.example/img/ferry.jpg">'
    result = extract_page(page(body, lang, head), URL)
    text = result.record["text"]
    assert line not in text and name not in text
    for paragraph in PARAGRAPHS[lang]:
        assert paragraph in text
    assert result.record["image"]["credit"] == name


@pytest.mark.parametrize(("caption", "expected"), [
    ("The ferry at dawn. Photo: Jane Harbour", ("The ferry at dawn.", "Jane Harbour")),
    ("Die Fähre im Morgenlicht Foto: Max Mole", ("Die Fähre im Morgenlicht", "Max Mole")),
    ("Le ferry au petit matin (Photo: Louise Quai)", ("Le ferry au petit matin", "Louise Quai")),
    ("El transbordador al amanecer. © Ana Muelle", ("El transbordador al amanecer.", "Ana Muelle")),
    ("Il traghetto all'alba | Foto: Marco Molo", ("Il traghetto all'alba", "Marco Molo")),
    ("De veerboot bij dageraad. Beeld: Havenbedrijf", ("De veerboot bij dageraad.", "Havenbedrijf")),
    ("The pier in winter (AP Photo/Jane Harbour)", ("The pier in winter", "AP Photo/Jane Harbour")),
    ("Die Mole bei Sturm. Bild © Max Mole/Hafenblatt", ("Die Mole bei Sturm.", "Max Mole/Hafenblatt")),
    ("A quiet pier: nobody waiting", ("A quiet pier: nobody waiting", None)),
])
def test_caption_credit_split(caption: str, expected: tuple[str, str | None]) -> None:
    assert split_credit(caption) == expected


def test_figcaption_credit_span_and_image_object() -> None:
    body = ("<figure><img src='/img/ferry.jpg' width='800'><figcaption>Die Fähre am Kai "
            "<span class='credit'>Foto: Max Mole</span></figcaption></figure>"
            + "".join(f"<p>{p}</p>" for p in PARAGRAPHS["de"]))
    head = '<meta property="og:image" content="https://news.example/img/ferry.jpg">'
    image = extract_page(page(body, "de", head), URL).record["image"]
    assert image["caption"] == "Die Fähre am Kai"
    assert image["credit"] == "Max Mole"

    ld = ('<script type="application/ld+json">{"@context": "https://schema.org", "@type": '
          '"NewsArticle", "headline": "Story", "image": {"@type": "ImageObject", "url": '
          '"https://news.example/img/pier.jpg", "caption": "Le quai", "creditText": '
          '"Louise Quai"}}</script>')
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS["fr"])
    image = extract_page(page(body, "fr", ld), URL).record["image"]
    assert image == {"url": "https://news.example/img/pier.jpg", "caption": "Le quai",
                     "credit": "Louise Quai"}


RTL_AND_CJK = {
    "ar": ["وافق مجلس الميناء على جدول العبارات الجديد بعد جلسة مسائية طويلة.",
           "طالب سكان الجزر منذ سنوات بعبور أبكر في أيام العمل.",
           "تغادر أولى السفن وفق الجدول الجديد الرصيف في السادسة صباح يوم الاثنين."],
    "he": ["מועצת הנמל אישרה את לוח הזמנים החדש של המעבורות לאחר ישיבת ערב ארוכה.",
           "תושבי האיים ביקשו במשך שנים מעבר מוקדם יותר בימי חול.",
           "הספינות הראשונות לפי הלוח החדש יוצאות מהרציף בשש בבוקר ביום שני."],
    "zh": ["港口委员会在漫长的晚间会议后批准了新的渡轮时刻表。",
           "岛上居民多年来一直要求在工作日提供更早的班次。",
           "按照新时刻表，第一批渡轮将于周一早上六点离开码头。"],
    "ja": ["港湾委員会は長い夜の会議の末、新しいフェリーの時刻表を承認した。",
           "島の住民は何年も前から平日の早い便を求めていた。",
           "新しい時刻表の最初の船は月曜日の朝六時に桟橋を出発する。"],
    "ko": ["항만위원회는 긴 저녁 회의 끝에 새 여객선 시간표를 승인했다.",
           "섬 주민들은 수년 동안 평일 이른 배편을 요구해 왔다.",
           "새 시간표에 따른 첫 배는 월요일 오전 여섯 시에 부두를 떠난다."],
}


@pytest.mark.parametrize("lang", sorted(RTL_AND_CJK))
def test_rtl_and_cjk_text_kept(lang: str) -> None:
    direction = " dir='rtl'" if lang in ("ar", "he") else ""
    body = f"<div{direction}>" + "".join(f"<p>{p}</p>" for p in RTL_AND_CJK[lang]) + "</div>"
    result = extract_page(page(body, lang).encode("utf-8"), URL)
    text = result.record["text"]
    for paragraph in RTL_AND_CJK[lang]:
        assert paragraph in text
    assert result.record["language"] == lang


@pytest.mark.parametrize("lang", sorted(RTL_AND_CJK))
def test_rtl_and_cjk_text_survives_broken_markup(lang: str) -> None:
    """Unclosed and misnested elements, stray bidi controls, bytes cut inside a character:
    both paragraphs still come out, the same from text as from its UTF-8 bytes."""
    broken = ("<html><body><article><p>" + RTL_AND_CJK[lang][0] + "<div><span>"
              + RTL_AND_CJK[lang][1] + "</p></article><table><td>" + "\u202e\u200f")
    texts = [extract_page(html, URL).record["text"]
             for html in (broken, broken.encode("utf-8"), broken.encode("utf-8")[:-7])]
    for text in texts:
        assert RTL_AND_CJK[lang][0] in text and RTL_AND_CJK[lang][1] in text
    assert texts[0] == texts[1]


@pytest.mark.parametrize(("charset", "lang", "paragraphs"), [
    ("windows-1252", "fr", ["Le conseil du port a approuvé l’horaire « définitif » — enfin.",
                            "Les habitants réclamaient une traversée plus matinale, déjà en été.",
                            "Les premiers bateaux partiront à six heures, côté océan."]),
    ("Shift_JIS", "ja", RTL_AND_CJK["ja"]),
    ("GB2312", "zh", RTL_AND_CJK["zh"]),
])
def test_charset_declared_only_in_meta(charset: str, lang: str, paragraphs: list[str]) -> None:
    html = (f"<html lang='{lang}'><head><meta http-equiv='Content-Type' "
            f"content='text/html; charset={charset}'><title>Story</title></head><body><article>"
            + "".join(f"<p>{p}</p>" for p in paragraphs) + "</article></body></html>")
    raw = html.encode(charset)
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # the test is only meaningful for bytes that are not UTF-8
    text = extract_page(raw, URL, headers={"Content-Type": "text/html"}).record["text"]
    for paragraph in paragraphs:
        assert paragraph in text
