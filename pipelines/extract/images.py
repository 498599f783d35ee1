"""Lead image with caption and credit.

The image is og:image, else the article's schema.org image, else the first figure in the
article.  Its caption comes from the matching ``<figure>``/``wp-caption`` or the ImageObject;
its credit from a credit span in the caption (class*=credit/copyright/source), an ImageObject's
creditText/copyrightHolder/author, or a labelled line ("Photo: X", "Bild: X", "© X", …),
cleaned to the name.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml.html import HtmlElement

from .structured import Structured
from .text_utils import clean, first_str

# Labels that introduce an image credit (English, German, French, Spanish, Italian, Dutch…).
CREDIT_LABEL = (
    r"(?:image|photo|picture|video|header|featured|lead|cover|top)\s+(?:source|credits?|courtesy)|"
    r"photo\s*credits?|photographs?|photography|photos?|pictures?|pics?|images?|credits?|"
    r"bildquelle|bildnachweis|bilder|bild|fotos?|quelle\s+bild|crédits?(?:\s+photos?)?|"
    r"cr[ée]dito(?:\s+foto)?|"
    r"photographie|fotograf[íi]a|imagen|immagine|afbeelding|beeld|source\s+image|illustration"
)
_LABELLED = re.compile(rf"^\s*[(\[]?\s*(?:{CREDIT_LABEL})\s*[:：]\s*(?P<name>.+?)\s*[)\]]?\s*\.?\s*$", re.IGNORECASE)
_INLINE = re.compile(rf"[(\[]\s*(?:{CREDIT_LABEL})\s*[:：]\s*(?P<name>[^)\]]+?)\s*[)\]]\s*\.?\s*$", re.IGNORECASE)
_TRAILING = re.compile(rf"(?:^|(?<=[.!?)])\s+|\s[|–—-]\s|\s{{2,}})(?:{CREDIT_LABEL})\s*[:：]\s*(?P<name>[^.]+?)\s*\.?\s*$",
                       re.IGNORECASE)
# "… (AP Photo/Jane Doe)", "… (Photo by Jane Doe)"; "… Foto: Jane Doe" with no full stop before.
_AGENCY = re.compile(r"[(\[](?:File:\s*)?(?P<name>[A-Z][\w.&-]*\s+Photo\s*/[^)\]]+|Photo by [^)\]]+"
                     r"|(?<=File:\s)[^)\]]+|(?<=File:)[^)\]]+)[)\]]\s*\.?\s*$")
_LABEL_AT_END = re.compile(r"\s(?:Fotos?|Photos?|Bild|Image|Crédits?|Credits?|Foto\s?credit)\s*[:：]\s*"
                           r"(?P<name>[^:]{2,80}?)\s*\.?\s*$")
_COPYRIGHT = re.compile(rf"(?:^|\s)(?:(?:{CREDIT_LABEL})\s+)?(?:©|\(c\)|copyright\b)\s*(?:\d{4}\s*)?(?P<name>[^©]+?)\s*\.?\s*$", re.IGNORECASE)
_CREDIT_CLASSES = ("credit", "copyright", "source", "photographer", "byline", "attribution",
                   "author")


def clean_credit(raw: str) -> str | None:
    name = clean(raw).strip(" .,;:|–—-")
    if name.startswith(("(", "[")) and name.endswith((")", "]")):
        name = name[1:-1].strip()
    name = re.sub(r"^(?:credit\s*(?:\.\.\.|…)|file:)\s*", "", name, flags=re.IGNORECASE)
    name = re.sub(rf"^(?:{CREDIT_LABEL})\s*(?:[:：]\s*|(?=©))", "", name, flags=re.IGNORECASE)
    name = re.sub(r"^(?:©|\(c\)|copyright)\s*(?:\d{4}\s*)?", "", name, flags=re.IGNORECASE).strip(" .,;:")
    name = re.sub(r"^(?:by|von|par|por|di|door)\s+", "", name, flags=re.IGNORECASE)
    if not name or len(name) > 120:
        return None
    return name


def split_credit(text: str) -> tuple[str, str | None]:
    """Caption text → (caption without the credit, credit name or None)."""
    text = clean(text)
    for pattern in (_LABELLED, _INLINE, _TRAILING, _AGENCY, _LABEL_AT_END, _COPYRIGHT):
        m = pattern.search(text)
        if m:
            credit = clean_credit(m.group("name"))
            if credit:
                return clean(text[: m.start()]).rstrip(" |–—-"), credit
    return text, None


def credit_line(text: str) -> str | None:
    """A standalone body line that is only a credit ("Image source: X", "Photo: X", "© X")."""
    text = clean(text)
    if len(text) > 160:
        return None
    m = _LABELLED.match(text) or (re.match(r"^\s*(?:©|\(c\)\s)", text) and _COPYRIGHT.search(text))
    return clean_credit(m.group("name")) if m else None


def _key(url: str) -> str:
    """Filename without WordPress/CDN size suffixes, to match og:image to an <img>."""
    path = urlsplit(url).path.rsplit("/", 1)[-1].lower()
    path = re.sub(r"-\d+x\d+(?=\.\w+$)", "", path)
    path = re.sub(r"-(?:scaled|e\d+)(?=\.\w+$)", "", path)
    return path.rsplit(".", 1)[0]


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
            return {"url": url, "caption": first_str(value.get("caption"))
                    or first_str(value.get("description")), "credit": credit}
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


def _caption_and_credit(container: HtmlElement) -> tuple[str | None, str | None]:
    cap_el = None
    for el in container.iter("figcaption"):
        cap_el = el
        break
    if cap_el is None:
        found = _CAPTION_CLASS(container)
        cap_el = found[0] if found else None
    scope = cap_el if cap_el is not None else container
    credit = None
    el_text = ""
    for el in scope.iter():
        if el is scope:
            continue
        cls = f"{el.get('class') or ''} {el.get('itemprop') or ''}".lower()
        if any(c in cls for c in _CREDIT_CLASSES):
            credit = clean_credit(el.text_content())
            if credit:
                el_text = clean(el.text_content())
                break
    if cap_el is None:
        return None, credit
    caption = clean(cap_el.text_content())
    if credit and el_text and caption.endswith(el_text):
        caption = clean(caption[: -len(el_text)])
    elif credit and el_text:
        caption = clean(caption.replace(el_text, " "))
    caption, inline_credit = split_credit(caption)
    return caption or None, credit or inline_credit


def _article_root(tree: HtmlElement) -> HtmlElement:
    found = tree.find(".//article")
    if found is None:
        article_bodies = _ARTICLE_BODY(tree)
        found = article_bodies[0] if article_bodies else None
    if found is None:
        found = tree.find(".//main")
    if found is None:
        found = tree.find(".//body")
    return found if found is not None else tree


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
    image_url = urljoin(url, image_url.strip())

    caption = credit = None
    wanted = _key(image_url)
    match = None
    for img in tree.iter("img"):
        src = _img_src(img)
        if src and _key(src) == wanted:
            match = img
            break
    container = _figure_of(match) if match is not None else None
    if container is None and match is not None:
        container = _credit_wrapper(match)
    if container is None and figure_img is not None and match is None:
        container = _figure_of(figure_img) if figure_img is not None else None
        container = container if container is not None and _is_first_in_article(figure_img, root) else None
    if container is None and match is None:
        # og:image is another rendition of the lead picture: the lead figure's caption
        container = _lead_figure(root)
    if container is not None:
        caption, credit = _caption_and_credit(container)
    if ld and (ld.get("url") and _key(urljoin(url, ld["url"])) == wanted):
        caption = caption or ld.get("caption")
        credit = credit or ld.get("credit")
    if caption and not credit:
        caption, credit = split_credit(caption)
    return {"url": image_url, "caption": caption or None, "credit": credit or None}


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
