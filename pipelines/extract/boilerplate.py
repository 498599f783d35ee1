"""Lines that are never article text: cross-links, share bars, comment forms, widgets.

Used on trafilatura's output, paragraph by paragraph.  Rules are about wording and shape
("Read also:" + a link line, "Leave a Reply"), never about particular sites.
"""

from __future__ import annotations

import re

from .given_names import starts_with_given_name

# A paragraph that is only one of these labels ends the article: what follows is the
# page's furniture (related posts, comment form, footer widgets).
END_MARKERS = re.compile(
    r"^(?:you (?:may|might) also (?:like|enjoy|be interested in)|you may have missed|"
    r"related(?: posts| articles| stories| news| content| reading| coverage)?|"
    r"more (?:from|on|stories|articles|news|in)\b.{0,40}|"
    r"leave a (?:comment|reply)|post a comment|\d*\s*comments?|add (?:a )?comment|"
    r"comments are closed\.?|editors?[’']? picks?|latest (?:posts|news|articles|stories)|"
    r"recent posts|popular posts|most (?:read|popular|viewed)|trending(?: now)?|"
    r"share this(?: article| story| post)?:?|share on .{0,20}|like this:?|"
    r"recommended(?: for you| stories| articles)?|don[’']t miss|further reading|"
    r"weitere artikel|das könnte (?:sie|dich) auch interessieren|mehr zum thema.{0,40}|"
    r"ähnliche artikel|mehr themen|weitere (?:aktuelle )?themen.{0,50}|top[- ]themen.{0,40}|"
    r"über diese (?:reihe|serie)|zum newsletter anmelden|más sobre .{0,40}|"
    r"verwandte artikel|kommentare?|schreibe einen kommentar|"
    r"articles? similaires?|à lire aussi|vous aimerez aussi|laisser un commentaire|"
    r"artículos relacionados|te puede interesar|deja un comentario|"
    r"articoli correlati|potrebbe interessarti|lascia un commento|"
    r"gerelateerde artikelen|laat een reactie achter|"
    r"about the author|sobre el autor|über den autor|à propos de l[’']auteur|"
    r"subscribe to (?:our|the) newsletter|sign up for (?:our|the) newsletter)"
    r"\s*[:.!]?$",
    re.IGNORECASE,
)
# Cross-link labels: the label line goes, and a short link-like line right after it too.
CROSS_LINK = re.compile(
    r"^(?:read (?:also|more|next)|also read|see also|see more|related|more|watch|listen|"
    r"lesen sie (?:auch|mehr)|auch lesen|mehr dazu|siehe auch|auch interessant|"
    r"lire (?:aussi|également|la suite)|à lire aussi|voir aussi|"
    r"lee (?:también|más)|ver también|leer más|"
    r"leggi (?:anche|di più)|vedi anche|"
    r"lees ook|zie ook)\s*[:：»>–—-]",
    re.IGNORECASE,
)
# Lines that are furniture wherever they sit.
NOISE_LINE = re.compile(
    r"^(?:share(?: this)?(?: on)?:?|tweet|pin it|email|print|whatsapp|facebook|twitter|"
    r"linkedin|reddit|telegram|copy link|advertisement|anzeige|publicité|publicidad|"
    r"pubblicità|advertentie|sponsored|click to share on .*|"
    r"tags?:.*|filed under:?.*|posted in:?.*|categories?:.*|"
    r"follow us on .*|sign up for .*newsletter.*|subscribe(?: now)?[.!]?|"
    r"we use cookies.*|this (?:web)?site uses cookies.*|accept(?: all)?(?: cookies)?|"
    r"all rights reserved\.?.*|©\s*\d{4}.*|"
    r"inhaltsverzeichnis|table of contents|sie sind (?:aktuell |derzeit )?nicht eingeloggt\.?|"
    r"anzeige\s*[-–:|].*|"
    r"(?:veröffentlicht(?: am)?|veröffentlichung|published(?: on)?|publié le|publicado(?: el)?|"
    r"(?:zuletzt |last )?(?:aktualisiert|updated|modified)(?: am| on)?|letzte aktualisierung(?: am)?)"
    r"\s*:?\s*\d.{0,60}|"
    r"(?:zeige? )?alle (?:beiträge|artikel) von .{1,60}|(?:view|see) all (?:posts|articles|stories) "
    r"(?:by|from) .{1,60})$",
    re.IGNORECASE,
)
# The stand-in for an embed the reader has not agreed to load (a post, a video, a map):
# its label, what it would show, and the consent sentence.
CONSENT_NOTICE = re.compile(
    r"^(?:empfohlener (?:redaktioneller|externer) inhalt|externer inhalt|"
    r"an dieser stelle (?:findet ihr|finden sie|findest du) (?:einen |ein )?externen? "
    r"(?:inhalt|beitrag|video|content)\b.*|"
    r"ich bin damit einverstanden, dass mir externe inhalte angezeigt werden\b.*|"
    r"(?:this|the following) (?:content|embed|post|video) is (?:hosted|provided) by .{1,80}|"
    r"(?:we need your consent|you need to (?:accept|consent|agree)) to (?:load|display|view|show)\b.*|"
    r"to (?:view|display|see|show) this (?:content|video|embed|post)\b.{0,200}"
    r"\b(?:consent|cookies|accept|agree)\b.*)$",
    re.IGNORECASE,
)
# "Über Jane Doe" / "About Jane Doe" alone on its line: the author's bio box closing the text.
_ABOUT_PERSON = re.compile(r"^(?:über|about|à propos de|sobre|over|su)\s+"
                           r"(?P<name>[^\W\d_][\w.’'-]*(?:\s+[^\W\d_][\w.’'-]*){1,3})\s*$",
                           re.IGNORECASE)


def is_end_marker(line: str) -> bool:
    return len(line) <= 60 and (bool(END_MARKERS.match(line)) or opens_author_bio(line))


def opens_author_bio(line: str) -> bool:
    """"Über Simon Dückert": the heading of the author's bio box, wherever it sits."""
    about = _ABOUT_PERSON.match(line)
    if not about:
        return False
    words = about.group("name").split()
    return all(w[0].isupper() for w in words) and starts_with_given_name(about.group("name"))


def is_cross_link(line: str) -> bool:
    return len(line) <= 300 and bool(CROSS_LINK.match(line))


def is_label_only(line: str) -> bool:
    """"Read also:" alone on its line (the link follows on the next)."""
    return bool(CROSS_LINK.match(line)) and len(re.sub(r"\W", "", CROSS_LINK.sub("", line))) == 0


def is_noise(line: str) -> bool:
    return (len(line) <= 200 and bool(NOISE_LINE.match(line))
            or len(line) <= 400 and bool(CONSENT_NOTICE.match(line)))


# Promotional lines that close many articles: follow/subscribe/sign-up calls, tip lines,
# "Like this story?", source and copyright notes.  Only dropped near the end of the text.
TAIL_PROMO = re.compile(
    r"^(?:follow (?:us|him|her|them|the|our|\w+(?: \w+)? on)\b|subscribe\b|sign up\b|"
    r"get (?:the|our|access|it|more|your)\b|like this (?:story|article)|share (?:this|it)\b|"
    r"tell us what|have a (?:news )?tip|listen (?:to|live|back)\b|download (?:the|our)\b|"
    r"click here|for more (?:news|stories|information),?|join (?:us|our|the)\b|don[’']t miss|"
    r"source\s*:|copyright\b|.{0,20}[©ⓒ]|this (?:article|story) (?:was|first|originally)|"
    r"we[’']d (?:like|love) to hear|the .{0,60} is committed to|"
    r"folgen sie uns|abonnieren sie|melden sie sich|suivez-nous|abonnez-vous|síguenos|"
    r"suscríbete|s[ií]guenos|seguici|iscriviti|volg ons|never miss\b|we want to hear|"
    r"we need your help|unterstütze\b|unterstützen sie\b|submit a letter)",
    re.IGNORECASE,
)


def is_tail_promo(line: str) -> bool:
    return len(line) <= 400 and bool(TAIL_PROMO.match(line))


_DATE = re.compile(r"\b(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})\b"
                   r"(?:\D{0,3}\d{1,2}:\d{2}(?::\d{2})?)?")


def is_dateline(line: str) -> bool:
    """A short label plus a numeric date ("기사입력 : 2018-08-25 15:24", "Stand: 27.11.2026"):
    page metadata, not a sentence."""
    if len(line) > 60 or " | " in line or not _DATE.search(line):
        return False
    return len(re.findall(r"[^\W\d_]+", _DATE.sub(" ", line))) <= 2


_SENTENCE_END = re.compile(r"[.!?…\"”’»)]\s*$")


def is_prose(line: str, min_chars: int = 100) -> bool:
    """A paragraph of running text: long enough and ending a sentence."""
    return len(line) >= min_chars and bool(_SENTENCE_END.search(line))
