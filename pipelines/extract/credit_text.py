"""Credit text: the labels, tails and shapes of an image credit printed as text.

``split_credit`` parts a caption into (caption, credit): a labelled credit ("Photo: X",
"Bild: X", "Crédit : X", "© X", "Fot. X", …), an agency form ("AP Photo/Jane Doe"), or with
``caption-tail-credit`` an unlabelled tail set off by a separator or brackets ("… | Jane
Doe/AFP", "… (Getty Images)", "… REUTERS/Jane Doe").  ``credit_line`` reads a line that is
only a credit; ``credit_shaped`` tells a name or agency from a sentence; ``clean_credit``
strips labels and "by" to the source, "Name/Agency" kept as printed.
"""

from __future__ import annotations

import re

from . import rules
from .text_utils import clean, fold

# Labels that introduce an image credit (English, German, French, Spanish, Italian, Dutch,
# Portuguese, Polish, Scandinavian, Finnish, Vietnamese).
CREDIT_LABEL = (
    r"(?:image|photo|picture|video|header|featured|lead|cover|top)\s+(?:source|credits?|courtesy)|"
    r"photo\s*credits?|photographs?|photography|photos?|pictures?|pics?|images?|credits?|"
    r"bildquelle|bildnachweis|bilder|bild|fotos?|quelle\s+bild|crédits?(?:\s+photos?)?|"
    r"cr[ée]dito(?:\s+foto)?|"
    r"photographie|fotograf[íi]a|imagen|immagine|afbeelding|beeld|source\s+image|illustration|"
    r"symbolfoto|symbolbild|archivfoto|archivbild|imagem|zdj[eę]cie|fot|billede|bilde|kuva|ảnh"
)
# A label's end: a colon, or the full stop of the abbreviation "Fot." (Polish).
_END = r"\s*(?:[:：]|(?<=[Ff][Oo][Tt])\.)\s*"
_LABELLED = re.compile(rf"^\s*[(\[]?\s*(?:{CREDIT_LABEL}){_END}(?P<name>.+?)\s*[)\]]?\s*\.?\s*$", re.IGNORECASE)
_INLINE = re.compile(rf"[(\[]\s*(?:{CREDIT_LABEL}){_END}(?P<name>[^)\]]+?)\s*[)\]]\s*\.?\s*$", re.IGNORECASE)
_TRAILING = re.compile(rf"(?:^|(?<=[.!?)])\s+|\s[|–—-]\s|\s{{2,}})(?:{CREDIT_LABEL}){_END}(?P<name>[^.]+?)\s*\.?\s*$",
                       re.IGNORECASE)
# "… (AP Photo/Jane Doe)", "… (Photo by Jane Doe)"; "… Foto: Jane Doe" with no full stop before.
_AGENCY = re.compile(r"[(\[](?:File:\s*)?(?P<name>[A-Z][\w.&-]*\s+Photo\s*/[^)\]]+|Photo by [^)\]]+"
                     r"|(?<=File:\s)[^)\]]+|(?<=File:)[^)\]]+)[)\]]\s*\.?\s*$")
_LABEL_AT_END = re.compile(r"\s(?:Fotos?|Photos?|Bild|Image|Crédits?|Credits?|Foto\s?credit)\s*[:：]\s*"
                           r"(?P<name>[^:]{2,80}?)\s*\.?\s*$")
_COPYRIGHT = re.compile(rf"(?:^|\s)(?:(?:{CREDIT_LABEL})\s+)?(?:©|\(c\)|copyright\b)\s*(?:\d{{4}}\s*)?(?P<name>[^©]+?)\s*\.?\s*$", re.IGNORECASE)
# Unlabelled credits printed after the caption: "… | Jane Doe/AFP", "… (Getty Images)",
# "… REUTERS/Jane Doe"; each only when what follows is shaped like a credit.
_PIPE_TAIL = re.compile(r"\s[|]\s+(?P<name>[^|]{2,100}?)\s*$")
_PAREN_TAIL = re.compile(r"(?:^|\s)\((?P<name>[^()]{2,80})\)\s*\.?\s*$")
_SLASH_TAIL = re.compile(r"(?:(?<=[.!?»”\"])\s+)(?P<name>\w[\w'’.&-]*(?:\s+\w[\w'’.&-]*){0,4}"
                         r"\s?/\s?\w[\w'’.&-]*(?:\s+\w[\w'’.&-]*){0,5})\s*$")
_NOT_CREDITS = frozenset({"file", "archive", "archiv", "archivo", "archives", "left", "right",
                          "centre", "center", "top", "bottom", "above", "below", "pictured",
                          "video", "photo", "photos", "foto", "fotos", "image", "illustration",
                          "symbolbild", "symbolfoto", "archivbild", "archivfoto"})


def credit_shaped(text: str) -> bool:
    """A short name, agency or "Name/Agency", not a sentence: up to ten words, starting with a
    capital (or an agency written in lower case beside a slash or ©), not ending a sentence."""
    text = clean(text)
    words = text.split()
    if (not 1 <= len(words) <= 10 or len(text) > 100 or fold(text) in _NOT_CREDITS
            or text.startswith(("@", "#"))):  # a handle is a signature, not a credit
        return False
    if re.search(r"[!?]$|[.!?]\s+\w", text) or re.search(r"\w{5,}\.$", text):
        return False
    first = next((ch for ch in text if ch.isalpha()), "")
    return bool(first) and (first.isupper() or not first.islower() or "/" in text
                            or "©" in text or len(words) <= 2 and len(text) <= 20)


def clean_credit(raw: str) -> str | None:
    name = clean(raw).strip(" .,;:|–—-")
    if name.startswith(("(", "[")) and name.endswith((")", "]")):
        name = name[1:-1].strip()
    name = re.sub(r"^(?:credit\s*(?:\.\.\.|…)|file:)\s*", "", name, flags=re.IGNORECASE)
    name = re.sub(rf"^(?:{CREDIT_LABEL})\s*(?:[:：]\s*|(?<=[Ff][Oo][Tt])\.\s*|(?=©))", "", name,
                  flags=re.IGNORECASE)
    name = re.sub(r"^(?:©|\(c\)|copyright)\s*(?:\d{4}\s*)?", "", name, flags=re.IGNORECASE).strip(" .,;:")
    name = re.sub(r"^(?:by|von|par|por|di|door)\s+", "", name, flags=re.IGNORECASE)
    # a credit element that names its source ("Quelle: BDEW", "Fuente: EFE")
    name = re.sub(r"^(?:source|quelle|fuente|fonte|źródło|kilde|källa|bron)\s*:\s*", "", name,
                  flags=re.IGNORECASE)
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
    if rules.enabled("caption-tail-credit"):
        for pattern in (_PIPE_TAIL, _PAREN_TAIL, _SLASH_TAIL):
            m = pattern.search(text)
            if m and m.start() > 0 and credit_shaped(m.group("name")):
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
