"""Lead image with caption and credit.

The image is og:image, else the article's schema.org image, else the first figure in the
article.  Its caption comes from the matching ``<figure>``/``wp-caption`` or the ImageObject,
else from a caption printed right after the picture outside any figure, else from the
article's first captioned figure when og:image is not printed (or printed bare); the image's
alt/title last.  Its credit from a credit span in the caption (class*=credit/copyright/source),
an ImageObject's creditText/copyrightHolder/author, a labelled line ("Photo: X", "Bild: X",
"© X", …) or an unlabelled tail set off by a separator or brackets ("… | Jane Doe/AFP",
"… (Getty Images)"), cleaned to the name.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree
from lxml.html import HtmlElement

from . import rules
from .credit_text import clean_credit, credit_line, credit_shaped, split_credit
from .structured import Structured
from .text_utils import clean, first_str, fold
from .urls import join_url, url_path

__all__ = ["credit_line", "credit_shaped", "extract_image", "split_credit"]

# What separates a credit printed in its own element from the caption before it.
_SEPARATOR = "/|–—-·•"
_CREDIT_CLASSES = ("credit", "copyright", "source", "photographer", "byline", "attribution",
                   "author")


def _key(url: str) -> str:
    """Filename without WordPress/CDN size suffixes, to match og:image to an <img>."""
    path = url_path(url).rsplit("/", 1)[-1].lower()
    path = re.sub(r"-\d+x\d+(?=\.\w+$)", "", path)
    path = re.sub(r"-(?:scaled|e\d+)(?=\.\w+$)", "", path)
    key = path.rsplit(".", 1)[0]
    if rules.enabled("lead-figure"):  # "1200x675_name", "name_768x432": one picture
        key = re.sub(r"(?:^|[-_])\d{2,4}x\d{2,4}(?=[-_]|$)", "", key).strip("-_") or key
    return key


def _img_src(img: HtmlElement) -> str | None:
    for attr in ("src", "data-src", "data-lazy-src", "data-original", "data-srcset", "srcset"):
        value = (img.get(attr) or "").strip()
        if value and not value.startswith("data:"):
            return value.split(",")[0].split()[0]
    return None


def _ld_image(data: Structured) -> dict | None:
    article = data.article()
    if not article:
        return None
    value: Any = data.resolve(article.get("image") or article.get("thumbnailUrl"))
    if isinstance(value, list) and value:
        value = data.resolve(value[0])
    if isinstance(value, str):
        return {"url": value}
    if isinstance(value, dict):
        url = first_str(value.get("url")) or first_str(value.get("contentUrl"))
        if url:
            credit = None
            for key in ("creditText", "copyrightHolder", "author", "creator", "copyrightNotice"):
                raw = value.get(key)
                credit = first_str(raw)
                if credit:
                    credit = clean_credit(credit)
                    break
            caption = first_str(value.get("caption")) or first_str(value.get("description"))
            return {"url": url, "caption": caption, "credit": credit}
    return None


def _figure_of(img: HtmlElement) -> HtmlElement | None:
    for anc in img.iterancestors():
        if anc.tag == "figure" or "caption" in (anc.get("class") or "").lower():
            return anc
        if anc.tag in ("article", "main", "body"):
            return None
    return None


# Attribute nodes first, then their element: libxml2 tests only the attributes that exist.
_CAPTION_CLASS = etree.XPath("descendant::*/@class[contains(.,'caption') or contains(.,'Caption')]/..")
_ARTICLE_BODY = etree.XPath("descendant::*/@itemprop[.='articleBody']/..")


def _spaced_text(el: HtmlElement) -> str:
    """Text with element boundaries as spaces ("<span>Caption.</span><span>Getty</span>")."""
    text = clean(" ".join(t for t in el.itertext() if isinstance(t, str)))
    return re.sub(r"\s+([.,;:!?)»”])", r"\1", text)


_NOT_CAPTION_TEXT = frozenset({"script", "style", "noscript", "template", "button", "svg",
                               "picture", "source", "img"})


def _caption_element(container: HtmlElement) -> HtmlElement | None:
    for el in container.iter("figcaption"):
        return el
    found = _CAPTION_CLASS(container)
    if found:
        return found[0]
    if rules.enabled("figure-credit") and container.tag == "figure":
        # a <figcaption> printed right after its <figure>
        after = container.getnext()
        if after is not None and (after.tag == "figcaption" or "caption" in (after.get("class") or "").lower()):
            return after
    return None


def _credit_element(scopes: list[HtmlElement]) -> tuple[HtmlElement | None, str | None]:
    """The first element marked as a credit (class credit/copyright/source…, or ``<cite>``)."""
    cite = rules.enabled("figure-credit")
    for scope in scopes:
        for el in scope.iter():
            if el is scope or not isinstance(el.tag, str):
                continue
            cls = f"{el.get('class') or ''} {el.get('itemprop') or ''}".lower()
            if any(c in cls for c in _CREDIT_CLASSES) or (cite and el.tag == "cite"):
                credit = clean_credit(el.text_content())
                if credit:
                    return el, credit
    return None, None


def _last_part_credit(cap_el: HtmlElement) -> tuple[str, str] | None:
    """A caption printed as parts whose last is a credit: ``<span>Caption.</span><span>Jane
    Doe/AFP</span>`` → (caption, credit); the part before ends a sentence, or the credit is in
    brackets.  With ``caption-tail-credit``, also caption text followed by one element set off
    by a separator: ``Caption <span>/ Jane Doe</span>``, ``Caption | <b>Jane Doe/AFP</b>``."""
    parts = [el for el in cap_el if isinstance(el.tag, str) and el.tag not in _NOT_CAPTION_TEXT
             and clean(el.text_content())]
    while len(parts) == 1 and not clean(cap_el.text or "") and not clean(parts[0].tail or ""):
        cap_el = parts[0]
        parts = [el for el in cap_el if isinstance(el.tag, str)
                 and el.tag not in _NOT_CAPTION_TEXT and clean(el.text_content())]
    tail_element = rules.enabled("caption-tail-credit") and len(parts) == 1
    if not (len(parts) >= 2 or tail_element) or clean(parts[-1].tail or ""):
        return None
    last = clean(parts[-1].text_content())
    whole = _spaced_text(cap_el)
    rest = clean(whole[: -len(last)] if whole.endswith(last) else "")
    bracketed = last.startswith("(") and last.endswith(")")
    separated = tail_element and (last[:1] in _SEPARATOR or rest[-1:] in _SEPARATOR)
    if separated:
        last = last.lstrip(_SEPARATOR + " ")
        rest = rest.rstrip(_SEPARATOR + " ")
    if not rest or not credit_shaped(last.strip("()")):
        return None
    if not (bracketed or separated or rest.endswith((".", "!", "?", "»", "”", '"'))):
        return None
    credit = clean_credit(last)
    return (rest, credit) if credit else None


_BESIDE_TAGS = frozenset({"small", "footer", "cite"})


def _text_beside_caption(container: HtmlElement, cap_el: HtmlElement | None) -> str | None:
    """A credit printed in the figure outside its caption: a ``<footer>``, ``<small>`` or
    ``<cite>`` of credit shape, or any element whose own text is a labelled credit
    ("© Jane Doe", "Foto: Jane Doe"); never a link or a button's text."""
    if container.tag != "figure":
        return None
    for el in container.iter():
        if not isinstance(el.tag, str) or el.tag in _NOT_CAPTION_TEXT or el is cap_el:
            continue
        if any(a is cap_el or a.tag in _NOT_CAPTION_TEXT or a.tag == "a"
               for a in el.iterancestors()) or el.tag == "a":
            continue
        if any(isinstance(c.tag, str) and clean(c.text_content()) for c in el):
            continue  # the innermost element holding the text
        text = clean(el.text_content())
        if not text or not credit_shaped(text):
            continue
        if el.tag in _BESIDE_TAGS or credit_line(text):
            return text
    return None


def _caption_and_credit(container: HtmlElement, cap_el: HtmlElement | None = None
                        ) -> tuple[str | None, str | None]:
    cap_el = cap_el if cap_el is not None else _caption_element(container)
    wide = rules.enabled("figure-credit")
    scopes = [container] if wide else [cap_el if cap_el is not None else container]
    if wide and cap_el is not None and not any(a is container for a in cap_el.iterancestors()):
        scopes.append(cap_el)
    credit_el, credit = _credit_element(scopes)
    el_text = "" if credit_el is None else (
        _spaced_text(credit_el) if wide else clean(credit_el.text_content()))
    if cap_el is None:
        if wide and not credit:
            beside = _text_beside_caption(container, None)
            credit = clean_credit(beside) if beside else None
        return None, credit
    caption = _spaced_text(cap_el) if wide else clean(cap_el.text_content())
    if credit and el_text and caption.endswith(el_text):
        caption = clean(caption[: -len(el_text)])
    elif credit and el_text:
        caption = clean(caption.replace(el_text, " "))
    if wide and not credit:
        parts = _last_part_credit(cap_el)
        if parts:
            caption, credit = parts
    caption, inline_credit = split_credit(caption)
    if wide and not (credit or inline_credit):
        beside = _text_beside_caption(container, cap_el)
        credit = clean_credit(beside) if beside else None
    return caption or None, credit or inline_credit


def _article_root(tree: HtmlElement) -> HtmlElement:
    found = None
    if rules.enabled("lead-figure"):
        # the article holding the headline, not a teaser <article> before it
        holders = _HEADLINE_ARTICLE(tree)
        found = holders[0] if holders else None
    if found is None:
        found = tree.find(".//article")
    if found is None:
        article_bodies = _ARTICLE_BODY(tree)
        found = article_bodies[0] if article_bodies else None
    if found is None:
        found = tree.find(".//main")
    if found is None:
        found = tree.find(".//body")
    return found if found is not None else tree


_HEADLINE_ARTICLE = etree.XPath("(//h1)[1]/ancestor::article[1]")


_NOT_ALT_CAPTION = re.compile(r"\.(?:jpe?g|png|webp|gif)\b|\blogo\b", re.IGNORECASE)


def _image_alt(img: HtmlElement | None, data: Structured, tree: HtmlElement) -> str | None:
    """The picture's own description: its alt/title, else og:image:alt; a few words, never a
    file name, a logo's name nor the headline repeated."""
    values = [img.get("alt"), img.get("title")] if img is not None else []
    values += [data.first_meta("og:image:alt", "twitter:image:alt")]
    h1 = tree.find(".//h1")
    titles = {fold(t) for t in (first_str(data.og.get("og:title")), data.first_meta("og:title"),
                                h1.text_content() if h1 is not None else None,
                                tree.findtext(".//title")) if t}
    for value in values:
        text = clean(value)
        key = fold(text)
        if (len(text.split()) >= 4 and not _NOT_ALT_CAPTION.search(text)
                and not any(key == t or t.startswith(key) for t in titles)):
            return text
    return None


def extract_image(tree: HtmlElement, data: Structured, url: str) -> dict | None:
    ld = _ld_image(data)
    og = first_str(data.og.get("og:image")) or first_str(data.og.get("og:image:url")) \
        or data.first_meta("og:image", "twitter:image", "twitter:image:src")
    image_url = og or (ld or {}).get("url")
    root = _article_root(tree)
    figure_img = _first_article_image(root)
    if image_url is None and figure_img is not None:
        image_url = _img_src(figure_img)
    if not image_url:
        return None
    image_url = join_url(url, image_url)
    if not image_url:
        return None

    caption = credit = None
    wanted = _key(image_url)
    match = None
    # the article's own rendition first, not a teaser of the same story in a sidebar
    candidates = (*root.iter("img"), *tree.iter("img")) if rules.enabled("lead-figure") \
        else tree.iter("img")
    for img in candidates:
        src = _img_src(img)
        if src and _key(src) == wanted:
            match = img
            break
    ld_url = join_url(url, ld["url"]) if ld and isinstance(ld.get("url"), str) else None
    if match is None and ld_url and rules.enabled("lead-figure"):
        ld_key = _key(ld_url)
        match = next((img for img in tree.iter("img") if _key(_img_src(img) or "") == ld_key), None)
    container = _figure_of(match) if match is not None else None
    if container is None and match is not None:
        container = _credit_wrapper(match)
    if container is None and figure_img is not None and match is None:
        container = _figure_of(figure_img) if figure_img is not None else None
        first = _is_first_in_article(figure_img, root) or (
            rules.enabled("lead-figure") and _before_text(figure_img, root))
        container = container if container is not None and first else None
    if container is None and match is None:
        # og:image is another rendition of the lead picture: the lead figure's caption
        container = _lead_figure(root)
    if container is not None:
        caption, credit = _caption_and_credit(container)
    if ld and ld_url and _key(ld_url) == wanted:
        caption = caption or ld.get("caption")
        credit = credit or ld.get("credit")
    if caption and not credit:
        caption, credit = split_credit(caption)
    if not caption and rules.enabled("caption-after-image"):
        lead_img = match if match is not None else figure_img if figure_img is not None else next(
            (img for img in root.iter("img") if img.get("fetchpriority") == "high"), None)
        if lead_img is not None and (match is not None or _before_text(lead_img, root)):
            caption, after_credit = _caption_after(lead_img) or (None, None)
            credit = credit or after_credit
    if (not caption and not credit and rules.enabled("first-captioned-figure")
            and (match is None or container is None or _caption_element(container) is None)):
        printed = _first_captioned_figure(root, container)
        if printed is not None:
            caption, credit = _caption_and_credit(printed)
    if not caption and rules.enabled("alt-caption"):
        alt = _image_alt(match if match is not None else figure_img if container is not None
                         else None, data, tree)
        if alt:
            caption, alt_credit = split_credit(alt)
            credit = credit or alt_credit
    return {"url": image_url, "caption": caption or None, "credit": credit or None}


_EMPHASIS = frozenset({"strong", "b", "em", "i", "small"})


_CONTROLS = ("button", "script", "style", "noscript", "template", "svg")


def _holds_text(el: HtmlElement) -> bool:
    """Text outside buttons and scripts ("Expand the description" on a picture is none)."""
    text = len(clean(el.text_content()))
    return text > 0 and text > sum(len(clean(c.text_content())) for c in el.iter(*_CONTROLS))


def _caption_after(img: HtmlElement) -> tuple[str | None, str | None] | None:
    """A caption printed as the short element right after the picture, outside any figure:
    marked as a caption by its class (or holding one), or all in bold/italics/small, or ending
    in a credit part or a labelled credit, or followed by a credit line ("<p>Caption</p><p>Image:
    Jane Doe</p>") → (caption, credit).  Not for a picture in a figure with a caption of its own."""
    figure = _figure_of(img)
    if figure is not None and _caption_element(figure) is not None:
        return None
    block = img
    for anc in img.iterancestors():  # the outermost element holding only the picture
        if anc.tag in ("article", "main", "body") or _holds_text(anc):
            break
        block = anc
    after = block.getnext()
    while after is not None and (not isinstance(after.tag, str) or after.tag in _NOT_CAPTION_TEXT):
        after = after.getnext()
    if after is None or after.tag not in ("p", "div", "span", "small", "figcaption"):
        return None
    text = _spaced_text(after)
    if not text or len(text) > 250 or after.find(".//img") is not None:
        return None
    if "caption" in (after.get("class") or "").lower() or after.tag == "figcaption":
        caption, credit = _caption_and_credit(after, after)
        return (caption, credit) if caption or credit else None
    if _CAPTION_CLASS(after) or after.find(".//figcaption") is not None:
        caption, credit = _caption_and_credit(after)
        return (caption, credit) if caption or credit else None
    parts = _last_part_credit(after)
    if parts:
        return parts
    caption, credit = split_credit(text)
    following = after.getnext()
    line_credit = credit_line(_spaced_text(following)) if following is not None else None
    children = [el for el in after if isinstance(el.tag, str)]
    emphasised = (len(children) == 1 and children[0].tag in _EMPHASIS
                  and not clean(after.text or "") and not clean(children[0].tail or ""))
    if not caption or not (credit or line_credit or emphasised):
        return None
    return caption, credit or line_credit


def _before_text(img: HtmlElement, root: HtmlElement) -> bool:
    """At most one paragraph of text (a standfirst) comes before the image in the article."""
    long_paragraphs = 0
    for el in root.iter("img", "p"):
        if el is img:
            return True
        if el.tag == "p" and len(clean(el.text_content())) >= 150:
            long_paragraphs += 1
            if long_paragraphs > 1:
                return False
    return False


def _credit_wrapper(img: HtmlElement) -> HtmlElement | None:
    """An image's wrapper (up to two levels) holding a credit element beside it."""
    for anc in list(img.iterancestors())[:2]:
        if anc.tag in ("article", "main", "body", "p"):
            return None
        for el in anc.iter():
            cls = (el.get("class") or "").lower()
            if el is not img and any(c in cls for c in ("credit", "copyright")):
                return anc
    return None


def _lead_figure(root: HtmlElement) -> HtmlElement | None:
    """The first figure with an image and a caption, if it comes before the article text."""
    for el in root.iter("figure", "p"):
        if el.tag == "p":
            if len(clean(el.text_content())) >= 150:
                return None
            continue
        has_image = el.find(".//img") is not None or el.find(".//picture") is not None
        if has_image and el.find(".//figcaption") is not None:
            return el
    return None


def _first_captioned_figure(root: HtmlElement, skip: HtmlElement | None) -> HtmlElement | None:
    """The article's first figure with a picture and a printed caption, wherever it stands (not
    in an aside): the lead picture the page prints when og:image is not printed or is a
    picture without caption (a video's poster)."""
    for el in root.iter("figure"):
        if el is skip or any(a.tag == "aside" for a in el.iterancestors()):
            continue
        if el.find(".//img") is None and el.find(".//picture") is None:
            continue
        cap_el = _caption_element(el)
        if cap_el is not None and clean(cap_el.text_content()):
            return el
    return None


def _is_first_in_article(img: HtmlElement, root: HtmlElement) -> bool:
    for other in root.iter("img"):
        return other is img
    return False


_LEAD_HINTS = ("wp-post-image", "featured", "post-image", "post-thumbnail", "lead", "hero",
               "main-image", "article-image", "entry-image")


def _first_article_image(root: HtmlElement) -> HtmlElement | None:
    """The first image in the article that is in a figure, marked as the lead, or large."""
    for img in root.iter("img"):
        if not _img_src(img):
            continue
        if _figure_of(img) is not None:
            return img
        marks = " ".join(f"{el.get('class') or ''} {el.get('id') or ''}"
                         for el in (img, img.getparent()) if el is not None).lower()
        if any(h in marks for h in _LEAD_HINTS):
            return img
        try:
            if int(img.get("width") or 0) >= 300:
                return img
        except ValueError:
            continue
    return None
