"""Names in a byline string: labels ("By", "Von", "Par"…), dates, roles, URLs, the site's own
name and account junk taken off; several people split apart; what is a person's name."""

from __future__ import annotations

import html
import re

from ..text_utils import clean, fold

# Leading labels, in the languages the byline rules cover.
_LABEL = re.compile(
    r"^(?:[~©]\s*)?(?:(?:text|texte|words|interview)\s+(?:und|and|et|&)\s+(?:interviews?|fotos?|photos?)"
    r"\s*:\s*|redaktion\s*:\s*|about the author\b\s*[-–—:]?\s*|über (?:den|die) autor(?:in)?\b\s*[-–—:]?\s*|"
    r"(?:(?:written|posted|published|reported|text|story|words|report(?:ing)?|recipe|"
    r"photos?|geschrieben|verfasst|veröffentlicht|publiziert|erstellt|gespeichert|eingetragen|"
    r"(?:blog[- ]?)?beitrag|(?:blog[- ]?)?post|artikel|rezept|submitted|publié|escrito|scritto|geschreven|autor(?:in)?|auteur|"
    r"author(?:s)?|articolo|redacción|eingestellt)\s*)?"
    r"(?:by|von|par|por|di|door|texte?|text|autor(?:in|en)?|auteurs?|authors?|"
    r"author)\b\s*[:.]?\s*)",
    re.IGNORECASE,
)
# "Posted on 3 May 2024 by X" / "Veröffentlicht am 8. Februar 2022 von X": the name is after
# the date; without a "by"/"von" part such a line names nobody.
_POSTED = re.compile(r"^(?:posted|published|veröffentlicht|publiziert|erstellt|publié|eingestellt|"
                     r"pubblicato|publicado|gepubliceerd|gespeichert|eingetragen|submitted)\b",
                     re.IGNORECASE)
_POSTED_BY = re.compile(r"\b(?:by|von|par|por|da|door)\s+(?P<rest>.+)$", re.IGNORECASE)
# Link texts around a name: "View all posts by X", "Zum Profil von X".
_LEAD_JUNK = re.compile(
    r"^(?:(?:view|see|read|more|all)\b.*?\b(?:posts?|articles?|stories|beiträge|artikel)\s+"
    r"(?:by|from|von)\s+|(?:zum\s+)?profil\s+(?:von\s+)?|(?:view|see)\s+(?:the\s+)?profile\s+"
    r"(?:of\s+)?|(?:alle\s+)?(?:beiträge|artikel)\s+von\s+)",
    re.IGNORECASE)
# Where a byline stops being names: separators, dates, "Updated", e-mail, Twitter handles.
_STOP = re.compile(
    r"\s*(?:\||•|·|—|–|»|\s-\s|\s-$|\bupdated\b|\bpublished\b|\bposted\b|\blast\s+(?:modified|updated)\b|"
    r"\baktualisiert\b|\bveröffentlicht\b|\bmis à jour\b|\bpublié\b|\bactualizado\b|"
    r"\bon\s+(?=\w+\s+\d)|\bam\s+\d|\b(?:am|le|el|il|op)\s+[^\W\d]+,?\s+\d|\ble\s+\d|\bel\s+\d|\bil\s+\d|\bop\s+\d|\bum\s+\d|"
    r"\b(?:mo|di|mi|do|fr|sa|so|mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+\d|"
    r"\b(?:illustra(?:tion|tionen|tor|tions)|fotos?|photos?|photography|bilder?|grafik|graphics?|"
    r"kamera|camera|video|übersetzung|translat(?:ion|ed)|ilustra(?:ción|dor|tor))\b\s*(?:von|by|:|de|por)|"
    r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}|"
    r"(?-i:\s(?:for|For|FOR)\s+(?:the\s+|The\s+|THE\s+)?[A-Z])|"  # "X for The Mail on Sunday"
    r"\bhace\s+\d|\bvor\s+\d|\b\d+\s+(?:min|minutes?|hours?|stunden?|horas?|heures?)\b|"
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b|"
    r"\b\d{1,2}\.?\s+(?:jan|feb|mär|mar|apr|mai|may|jun|jul|aug|sep|okt|oct|nov|dez|dec)[a-zä]*\b)",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"\s*(?:,|;|&|\band\b|\bund\b|\bet\b|\by\b|\be\b|\ben\b|\bwith\b|\bmit\b|"
                    r"\bavec\b|\bcon\b|\bmet\b|\bim gespräch mit\b|\bin conversation with\b)\s*", re.IGNORECASE)
# Account and placeholder names: never an author, alone or after "By".
_ACCOUNT = frozenset(
    ["admin", "administrator", "wordpressadmin", "webmaster", "root", "user", "guest", "anonymous",
     "unknown", "author", "authors", "autor", "autorin", "auteur", "system", "moderator", "member",
     "super", "publisher", "site", "blog", "post", "posts", "article", "articles", "posted", "published",
     "veröffentlicht", "publiziert", "am", "on", "the", "our", "and", "by", "of", "de", "del", "der",
     "des", "la", "le", "el", "il", "guest-author", "null", "none", "n/a", "archives", "archive",
     "profile", "profil", "website", "homepage", "follow", "folgen", "subscribe", "abonnieren",
     "about", "über"]
)
# Person roles: dropped after a name ("Christoph Hein Chefredakteur", "Jane Doe, Political
# Correspondent"), and a part made only of them is dropped when a real name stands beside it.
_ROLE = frozenset(
    ["editor", "editors", "senior", "chief", "contributor", "contributing", "contributors",
     "correspondent", "correspondents", "reporter", "reporters", "columnist", "political",
     "foreign", "freelance", "chefredakteur", "chefredakteurin", "redakteur", "redakteurin",
     "journalist", "journalistin", "writer", "writers", "staff", "photographer", "photos",
     "fotograf", "fotografin", "editor-in-chief", "managing", "deputy", "at", "large"]
)
# Desks, teams and agencies' generic words: valid as a byline ("Harbourside Culture Desk",
# "Redaktion", "Staff Writer"), but never stripped from a longer name.
_DESK = frozenset(
    ["desk", "team", "redaktion", "rédaction", "redacción", "redazione", "redactie", "editorial",
     "newsroom", "news", "online", "web", "digital", "agencies", "agency", "agenturen", "press",
     "release", "office", "services", "service"]
)
_GENERIC = _ACCOUNT | _ROLE | _DESK
_BUTTONS = frozenset(["follow", "folgen", "subscribe", "abonnieren", "kontakt", "contact"])
_COMPANY = re.compile(
    r"\b(?:gmbh|ag|e\.\s?v\.?|inc\.?|ltd\.?|llc|plc|s\.a\.|sas|sarl|s\.r\.l\.|b\.v\.|verlag|"
    r"ministerium|ministry|bundesamt)(?=\W|$)|\bfür\b", re.IGNORECASE)
# Organisations (associations, foundations, parties, universities, firms) are neither people nor
# desks: the issuer of a press release, not its byline; a person may stand before one.
_ORGANISATION = re.compile(
    r"\b(?:solutions|holding|corporation|company|association|foundation|university|universität|"
    r"hochschule|partei|rotes\s+kreuz|red\s+cross)(?=\W|$)|"
    r"\w*(?:verband|stiftung|gesellschaft|verein|institut)\b", re.IGNORECASE)
_HANDLE = re.compile(r"(?<=\s)@\w+")
_CREDIT_WORDS = re.compile(r"\b(?:designed|design|theme|powered|template|plugin|фото|foto|photo)\b",
                           re.IGNORECASE)
# Lower-case words that join a phrase, never a name ("Iberische Weine in Berlin"); name
# particles (von, van, de, da, del, y, bin…) are not among them.
_PHRASE_WORD = re.compile(r"\s(?:in|im|at|for|from|of|the|by|zum|zur|auf|bei|aus|über|für|sur|pour|"
                          r"dans|nel|nella|per|para|sobre)\s")
_ROLE_TAIL = re.compile(r"\s*\((?:[^)]*)\)\s*$")


def _looks_like_name(name: str, site_keys: set[str]) -> bool:
    if not (2 <= len(name) <= 70):
        return False
    if re.search(r"https?:|www\.|@|\.com\b|\.html?\b|[<>{}=()!?:]", name, re.IGNORECASE):
        return False  # also a headline ("…wagen!") or a label left in ("Illustrator: X")
    if _CREDIT_WORDS.search(name) or _PHRASE_WORD.search(name):  # "Fuchsy designed"
        return False
    # digits only inside a user name ("r23"), never a date or a number on its own
    if re.search(r"\d", name) and (len(name.split()) > 1 or not re.fullmatch(r"[^\W\d_]+[\w.-]*", name)):
        return False
    words = name.split()
    if not 1 <= len(words) <= 6:
        return False
    if fold(name) in site_keys:
        return False
    if _COMPANY.search(name) or _ORGANISATION.search(name):  # publishers, firms, associations
        return False
    folded = [w.strip(".,:'’").lower() for w in words]
    if all(w in _ACCOUNT for w in folded) or (len(words) == 1 and folded[0] in _ROLE):
        return False
    return any(ch.isalpha() for ch in name)


def clean_name(raw: str, site_keys: set[str]) -> str | None:
    name = clean(raw)
    name = _LEAD_JUNK.sub("", name)
    name = _LABEL.sub("", name)
    name = _LEAD_JUNK.sub("", name)
    name = _ROLE_TAIL.sub("", name)
    name = _HANDLE.sub("", name).strip()  # "Williams Perdomo @wperdomod"
    name = name.strip(" ,;:-–—|·•'\"“”")
    words = name.split()
    # a trailing role word after a full name: "Christoph Hein Chefredakteur"
    while len(words) > 2 and words[-1].lower().strip(".,") in _ROLE:
        words.pop()
    # a button glued to the name in an author card: "Jane Doe Follow"
    while len(words) > 1 and words[-1].lower() in _BUTTONS:
        words.pop()
    half = len(words) // 2
    if len(words) % 2 == 0 and half and words[:half] == words[half:] \
            and len(words[0].rstrip(".")) > 1:  # "jesusfreak jesusfreak", not "R. R."
        words = words[:half]
    name = " ".join(words)
    if not re.search(r"(?:^|\s)\w\.$", name):  # keep the dot of a final initial ("C.")
        name = name.rstrip(".")
    if name.startswith("@"):
        return None
    return name if _looks_like_name(name, site_keys) else None


def split_byline(text: str, site_keys: set[str]) -> list[str]:
    """"By X and Y | 18 Feb 2025" → ["X", "Y"]."""
    text = clean(html.unescape(text))  # JSON-LD strings with "Redacci&oacute;n"
    text = text.lstrip(" |·•-–—:~")
    if re.match(r"^(?:https?:|www\.)", text, re.IGNORECASE):
        return []
    text = _LEAD_JUNK.sub("", text)
    text = _DATE_BEFORE_LABEL.sub("", text)
    dated = _DATED_NAME.match(text)
    if dated:
        text = dated.group("name")
    if _POSTED.match(text):
        posted_by = _POSTED_BY.search(text)
        if not posted_by:
            return []
        text = posted_by.group("rest")
    interview = _INTERVIEW.match(text)
    if interview:
        text = interview.group("by")
    text = _LABEL.sub("", text)
    text = _LEAD_JUNK.sub("", text)
    if _COMPANY.search(text):
        return []
    stop = _STOP.search(text)
    if stop and stop.start() > 0:
        text = text[: stop.start()]
    names = []
    generic_part = False  # a part that is only a role or desk word ("Staff")
    for part in _SPLIT.split(text):
        if site_keys and fold(part) in site_keys or _ORGANISATION.search(part):
            # "Jane Doe, BBC News, London", "example.de, Frankfurt, Germany", "Ministerium
            # für Umwelt, Klima und Energie": what follows the site's or an organisation's
            # name is its address or the rest of its name, never more people
            break
        name = clean_name(part, site_keys)
        if name and name not in names:
            names.append(name)
        generic_part = generic_part or bool(part.strip()) and _is_generic(part)
    real = [n for n in names if not _is_generic(n)]
    if real and generic_part and not any(map(person_like, real)):
        # "Staff and news service reports", "Redaktion und Agenturen": one desk credit
        whole = clean_name(text, site_keys)
        if whole:
            return [whole]
    return real or names


def _is_generic(name: str) -> bool:
    """Only role/desk words ("Political Correspondent", "Staff"): kept only when alone."""
    return all(w.strip(".,:'’").lower() in _GENERIC for w in name.split())


# A date and time before the label: "06.11.2023 13:30 von Olga".
_DATE_FIRST = (r"(?:\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{2}-\d{2})(?:,?\s+\d{1,2}:\d{2}"
               r"(?:\s*uhr)?)?\s*[-–|,]?\s*")
_DATE_BEFORE_LABEL = re.compile(r"^" + _DATE_FIRST + r"(?=(?:by|von|par|por|door)\s)", re.IGNORECASE)
# "Ein Interview von Jane Doe mit Ole Brink": the interviewer wrote it, not the guest
_INTERVIEW = re.compile(r"^(?:ein|eine|an?|un|une|una)?\s*(?:interview|gespräch|conversation|entretien|"
                        r"entrevista|intervista)\s+(?:von|by|de|par|di|door)\s+(?P<by>.+?)\s+"
                        r"(?:mit|with|avec|con|met)\s+", re.IGNORECASE)
# "25.10.2022 - Jane Doe": a date, a dash and a name alone (the meta row of a CMS view)
_DATED_NAME = re.compile(r"^\s*(?:\d{1,2}\.\d{1,2}\.\d{4}|\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2})"
                         r"\s+[-–|·]\s+(?P<name>[^\W\d_](?:[^\d\s|·–—]|\s(?![-–|·]))+?)\s*$")


def person_like(name: str) -> bool:
    """"Simon Kohler", "Anne-Marie de la Tour": two to five words, capitalised given and
    family names, no desk, role or acronym word."""
    words = name.split()
    if not 2 <= len(words) <= 5 or not words[0][0].isupper() or not words[-1][0].isupper():
        return False
    if any(w.lower().strip(".,") in _GENERIC for w in words):
        return False
    # an acronym among other words is an organisation ("ACLU Racial Justice Program"); a name
    # set in capitals is styled so throughout ("JANE DOE")
    capitals = [len(w) > 1 and w.isupper() for w in words]
    return all(capitals) or not any(capitals)
