"""Bylines the page prints: marked elements (class/rel/itemprop author, byline…) and short
"By …"/"Von …" lines outside comments, teasers and sidebars; author boxes; the post author's
own comment; a signature closing the text."""

from __future__ import annotations

import re

from lxml import etree
from lxml.html import HtmlElement

from ..printed_dates import headline_element
from ..structured import Structured
from ..text_utils import clean, fold, hidden
from .names import (
    _DATE_FIRST,
    _DATED_NAME,
    _LABEL,
    _is_generic,
    clean_name,
    person_like,
    split_byline,
)

# Attribute words that mark a byline element (class, id, rel or itemprop, any case):
# author, byline, contributor, username, posted-by, submitted (see _marked_elements).
# All class/id/rel/itemprop values in one XPath call: scanning the attribute strings in
# Python is several times cheaper than a contains() predicate per element in libxml2.
_MARK_ATTRS = etree.XPath("//@class|//@id|//@rel|//@itemprop")
# Class/id words of blocks whose names are not the article's author: comments, teasers of
# other articles, sidebars and footers.  Matched on whole hyphen/underscore-separated parts of
# a class, so "right-sidebar" on a layout wrapper counts but only when that wrapper does not
# also hold the headline.
_NOT_BYLINE = re.compile(
    r"(?:^|[-_\s])(?:comments?|commentlist|comment-author|respond|reply|avatar|related|recent|"
    r"popular|sidebar|widget|footer|slider|carousel|share|sharing|newsletter|reviewer|"
    r"testimonials?|quote|"
    r"image-author|media-license|copyright|credit|caption|menu|breadcrumb)(?:$|[-_\s])",
    re.IGNORECASE,
)
# Author boxes (bio, picture): they describe the article's author, but their text is a bio
# with other names in it; used only as the last resort, and only inside the article.
_AUTHOR_BOX = re.compile(
    r"(?:^|[-_\s])(?:bio|biography|about-?author|author-?box|authorbox|author-?info|"
    r"author-?description|author-?bio|author-?image|author-?img|author-?photo|author-?avatar)"
    r"(?:$|[-_\s])",
    re.IGNORECASE,
)
# Layout modifiers ("has-double-sidebar", "no-sidebar") and a post's own footer
# ("post-footer", "entry-footer": Blogger and WordPress print the byline there) are no
# furniture of their own.
_LAYOUT_MODIFIER = re.compile(r"(?:^|\s)(?:(?:has|with|no|without)-[\w-]+|"
                              r"(?:post|entry|article|story)-footer[\w-]*)(?=\s|$)", re.IGNORECASE)
_NOT_BYLINE_TAGS = frozenset({"aside", "footer", "nav", "form", "figure", "figcaption"})
# Elements never taken as a byline themselves, whatever their class says.
_SKIP_TAGS = frozenset({"meta", "link", "script", "style", "img", "body", "html", "article",
                        "main", "section", "form", "input", "textarea", "label", "button",
                        "select", "option", "svg", "noscript", "template", "iframe", "head",
                        "title"})


# Short text that starts like a byline, for themes without byline classes.
_TEXT_BYLINE = re.compile(
    r"^\s*(?:" + _DATE_FIRST + r")?(?:(?:written|posted|published|submitted|geschrieben|verfasst|"
    r"veröffentlicht|gespeichert|eingetragen|eingestellt|(?:blog[- ]?)?beitrag|(?:blog[- ]?)?post|"
    r"publié|escrito|publicado|scritto|pubblicato|text)\s+)?"
    r"(?:by|von|par|por|di|door)\s*:?\s+(?P<name>\S)|"
    r"^[\s|·•–—-]*(?:autor(?:in|en)?|author|auteur|text|redaktion)\s*:\s*(?P<labelled>\S)",
    re.IGNORECASE,
)
_TEXT_BYLINE_TAGS = frozenset({"p", "span", "div", "small", "address", "li", "em", "i", "strong",
                               "b", "h4", "h5", "h6", "td"})
# Where bylines are looked for (marked or by their text); iterating these tags only is
# much cheaper than a Python object for every element of the page.
_SCANNED_TAGS = tuple(_TEXT_BYLINE_TAGS | {"a", "h3", "h2", "h1", "cite", "header", "dd", "dt",
                                           "ul", "ol", "address", "u", "font", "abbr", "time"})


_BARE_LABEL = re.compile(r"^[\s|·•:,-]*(?:(?:written|posted|published|geschrieben|verfasst|"
                         r"veröffentlicht|eingestellt|erstellt|publié|escrito|publicado)\s+|"
                         r"(?:ein|eine|an?|un|une|una)?\s*(?:interview|gespräch|conversation|"
                         r"entretien|entrevista|intervista)\s+)?"
                         r"(?:by|von|par|por|di|door|autor(?:in|en)?|author|authors|auteur|"
                         r"autore|text|texte|verfasser(?:in)?|redaktion)\s*:?\s*$",
                         re.IGNORECASE)
# "Redaktion" is a label before a colon, and the desk's byline in an author element.
_DESK_LABEL = re.compile(r"^\s*redaktion\s*$", re.IGNORECASE)
_LABEL_TAGS = frozenset({"dt", "span", "strong", "b", "div", "p", "small", "em", "i"})


_RUNNING_TEXT = 300  # characters of paragraphs: the article's text has begun


def _text_byline(el: HtmlElement, text: str, dated: bool = False) -> bool:
    """A short line "By Jane Doe …", not a sentence of the article that starts with
    "Von den …"/"By clicking …": a capitalised name follows, and the line is short.  With
    ``dated`` (above the article's text) also "25.10.2022 - Jane Doe"."""
    dated_name = _DATED_NAME.match(text) if dated else None
    if dated_name and len(el) == 0:
        return person_like(dated_name.group("name"))
    match = _TEXT_BYLINE.match(text)
    if not match or (match.group("name") and not match.group("name").isupper()):
        return False
    content = clean(el.text_content())
    return len(content) <= 100 and not re.search(r"\w{3,}[.!?]\s+\w", content)


def _class_words(el: HtmlElement) -> str:
    attrs = f"{el.get('class') or ''} {el.get('id') or ''}".strip()
    return _LAYOUT_MODIFIER.sub(" ", attrs) if attrs else ""


def _headline_holders(tree: HtmlElement, data: Structured | None = None) -> set[HtmlElement]:
    """Elements that contain the page's headline (every <h1>, and the heading that matches the
    declared title: Blogger's <h3 class=post-title> inside its "widget Blog"): layout
    wrappers, never a sidebar or a comment list, whatever their classes say."""
    holders: set[HtmlElement] = set()
    for h1 in tree.iter("h1"):
        holders.update(h1.iterancestors())
    headline = headline_element(tree, data) if data is not None else None
    if headline is not None:
        holders.update(headline.iterancestors())
    return holders


def _furniture(el: HtmlElement, holders: set[HtmlElement]) -> str | None:
    """'box' when the element sits in an author box, 'other' in comments, sidebars,
    footers…, None inside the article."""
    box = False
    for anc in el.iterancestors():
        if anc.tag in ("body", "html"):
            break
        if anc in holders:
            continue
        if anc.tag in _NOT_BYLINE_TAGS:
            return "other"
        attrs = _class_words(anc)
        if attrs:
            if _NOT_BYLINE.search(attrs):
                return "other"
            if _AUTHOR_BOX.search(attrs):
                box = True
    return "box" if box else None


def _in_article(el: HtmlElement, holders: set[HtmlElement]) -> bool:
    """Inside a block that also holds the headline (not merely <body>)."""
    return any(anc in holders and anc.tag not in ("body", "html") for anc in el.iterancestors())


def _marked_elements(tree: HtmlElement) -> set[HtmlElement]:
    marked = set()
    for value in _MARK_ATTRS(tree):
        low = value.lower()
        if "author" in low or "byline" in low or value.attrname != "id" and (
                # id="username" is the login widget, not a byline
                "contributor" in low or "username" in low or "posted-by" in low
                or "submitted" in low):
            el = value.getparent()
            # itemprop="author" on an Organization: the publisher, which the markup rules judge
            if "organization" not in (el.get("itemtype") or "").lower():
                marked.add(el)
    return marked


def _visible_bylines(tree: HtmlElement, data: Structured | None = None
                     ) -> tuple[list[HtmlElement], list[HtmlElement]]:
    """Byline-like elements in document order: marked up ones (class/rel/itemprop) and short
    lines starting "By …"/"Von …"/"Posted by …", outside comments, author boxes and sidebars;
    and, apart, the marked elements inside author boxes within the article."""
    holders = _headline_holders(tree, data)
    marked = _marked_elements(tree)
    found: list[HtmlElement] = []
    boxed: list[HtmlElement] = []
    paragraphs = 0  # characters of <p> text so far: past the article's start, dated lines
    for el in tree.iter(*_SCANNED_TAGS):  # are a calendar's
        tag = el.tag
        if tag == "p" and paragraphs <= _RUNNING_TEXT:
            paragraphs += len(el.text_content())
        text = el.text
        if text is not None and (text.isspace() or not text):
            text = None
        is_marked = el in marked
        if not is_marked and text is None:
            continue
        if tag in _LABEL_TAGS and text and len(text.strip()) <= 40 and _BARE_LABEL.match(text) \
                and not (is_marked and _DESK_LABEL.match(text)):
            if len(el):  # "<small>Verfasst von: <strong>Name</strong> | date</small>"
                is_marked = True
            else:  # <dt>Auteur</dt><dd>Name</dd>, <span>Por</span><a>Name</a>
                sibling = el.getnext()
                while sibling is not None and sibling.tag == "br" and not (sibling.tail or "").strip():
                    sibling = sibling.getnext()
                if sibling is not None and sibling.tag != "br":
                    marked.add(sibling)
                    continue
                parent = el.getparent()
                tail = (el.tail or "").strip()
                if parent is None or parent.tag in _SKIP_TAGS or (parent.text or "").strip() \
                        or any((prev.tail or "").strip() or clean(prev.text_content())
                               for prev in el.itersiblings(preceding=True)):
                    continue
                # the label opens its parent, the name is the text after it:
                # <a><b>Von:</b><br/> Name</a>, <p><span>By</span> Jane Doe</p>
                el, tag, is_marked = parent, parent.tag, True
                if el in holders or (not tail and not any((c.tail or "").strip() for c in el)):
                    continue
                if len(clean(el.text_content())) > 100:
                    continue
        if not (is_marked or text and tag in _TEXT_BYLINE_TAGS
                and _text_byline(el, text, dated=paragraphs <= _RUNNING_TEXT)):
            continue
        if el in holders:
            continue
        attrs = _class_words(el)
        if attrs and _NOT_BYLINE.search(attrs):
            continue
        content = clean(el.text_content())
        if not content or len(content) > 200:
            continue
        where = _furniture(el, holders)
        if where is None and not (attrs and _AUTHOR_BOX.search(attrs)):
            found.append(el)
        elif where != "other" and is_marked and _in_article(el, holders):
            boxed.append(el)
    return found, boxed


def _spaced_text(el: HtmlElement) -> str:
    """Text with a space between child elements: "Jane Doe<span>Published …" must not glue
    into "DoePublished"."""
    return clean(" ".join(t for t in el.itertext() if t.strip()))


def _printed_byline(visible: list[HtmlElement]) -> str | None:
    for el in visible:
        text = clean(el.text_content())
        if _LABEL.match(text) and len(text) < 150:
            return text
    return clean(visible[0].text_content()) if visible else None


_NAME_PART = re.compile(r"(?:^|[-_\s])(?:fn|name|author-?name|authorname|display-?name)(?:$|[-_\s])",
                        re.IGNORECASE)


def _name_parts(el: HtmlElement) -> list[HtmlElement]:
    """The parts of a byline element that hold the name itself (hCard ``fn``, ``*-name``,
    itemprop=name): "Matthias <a class=author-twitter>handle</a>" gives only the name."""
    parts = []
    for sub in el.iterdescendants():
        if not isinstance(sub.tag, str):
            continue
        if (sub.get("itemprop") == "name" or _NAME_PART.search(sub.get("class") or "")) \
                and not any(p in parts for p in sub.iterancestors()):
            parts.append(sub)
    return parts


def _element_names(el: HtmlElement, site_keys: set[str]) -> list[str]:
    names: list[str] = []
    parts = _name_parts(el)
    if parts:
        label = _LABEL.match(clean(el.text or "")) and not _LABEL.match(_spaced_text(parts[0]))
        for part in parts:
            text = _spaced_text(part)
            for name in split_byline(("by " + text) if label else text, set()):
                if name not in names:
                    names.append(name)
    if not names:
        names = split_byline(_spaced_text(el), set())
    # "By Nada Tawfik, BBC News, New York": the site's name after a person ends the names
    for i, name in enumerate(names):
        if i and fold(name) in site_keys:
            return names[:i]
    return names


def _printed_names(visible: list[HtmlElement], site_keys: set[str]) -> list[str]:
    """Names of the first byline element that has any (all rel/itemprop=author ones in a
    row), hidden ones (a theme's ``rich-snippet-hidden`` vcard of the CMS account) after
    those shown.  The site's own name counts when the page prints it as the byline ("von
    creeny" on a blog named Creeny, "Von Presse Augsburg"): that is the credit the page
    gives."""
    names: list[str] = []
    ordered = sorted(visible, key=hidden)
    for i, el in enumerate(ordered):
        for name in _element_names(el, site_keys):
            if name not in names:
                names.append(name)
        if names and (el.get("rel") == "author" or el.get("itemprop") == "author"):
            continue
        if names:
            if all(_LOGIN_ONLY.match(n) for n in names):
                later = [o for o in ordered[i + 1:]  # not the next post's byline
                         if (o.tag, o.get("class")) != (el.tag, el.get("class"))]
                return _later_person(later, site_keys) or names
            break
    return names


# A CMS login as the submitted-by line ("Gespeichert von human am …"): lower case, one word.
_LOGIN_ONLY = re.compile(r"^[^\W\d_A-Z][\w.-]*$")


def _later_person(visible: list[HtmlElement], site_keys: set[str]) -> list[str]:
    """A later byline of the article that names people in full ("Blog Beitrag von Jane
    Doe" in the text under a CMS's "submitted by jdoe" line)."""
    for el in visible:
        names = _element_names(el, site_keys)
        if names and all(person_like(n) for n in names):
            return names
    return []


_BOX_NAME_TAGS = frozenset({"h2", "h3", "h4", "h5", "h6", "strong", "b", "a", "span", "p", "div"})


def _box_names(boxed: list[HtmlElement], site_keys: set[str]) -> list[str]:
    """One person named in an author box inside the article: the box's name part, else its
    first short heading/strong/link line that is a name ("Autor" <h4>Jane Doe</h4> bio…)."""
    for el in boxed:
        names = _element_names(el, site_keys)
        if len(names) == 1 and fold(names[0]) not in site_keys:
            return names
        for sub in el.iterdescendants(*_BOX_NAME_TAGS):
            text = _spaced_text(sub)
            if not text or len(text) > 60:
                continue
            names = split_byline(text, site_keys)
            if len(names) == 1:
                return names
    return []


# The post author's own replies under the post: WordPress marks them ``bypostauthor``.
# (From the class attributes to their elements, as the other XPaths here: libxml2 then tests
# only the attributes that exist.)
_POST_AUTHOR_COMMENT = etree.XPath(
    "(//@class[contains(concat(' ', normalize-space(.), ' '), ' bypostauthor ')])[1]/.."
    "/descendant::*/@class[contains(concat(' ', normalize-space(.), ' '), ' fn ')]/..")


def _commenting_post_author(tree: HtmlElement) -> list[str]:
    """The name on the first comment the comment system marks as the post author's (on a
    personal blog the site's name too: that account wrote the post)."""
    for el in _POST_AUTHOR_COMMENT(tree)[:1]:
        names = split_byline(clean(el.text_content()), set())
        if len(names) == 1 and not _is_generic(names[0]):
            return names
    return []


_EMPHASIS = frozenset({"b", "strong", "i", "em"})
# Bold closing lines that are no signature: "Weitere Informationen", "Read More", "Mehr Infos".
_CLOSING_WORDS = re.compile(
    r"\b(?:weitere[nrs]?|mehr|infos?|informationen|links?|kontakt|quellen?|hinweise?|anzeige|"
    r"fazit|tipps?|lesen|siehe|auch|read|more|related|share|newsletter|comments?|kommentare?|"
    r"updates?|fotos?|bilder|videos?|galerie|teilen|see|also|sources?|notes?|disclaimer|"
    r"sponsored|werbung|credits?|contact|about|über|download|"
    r"\w+(?:ung|ungen|heit|keit|schaft|tion|tionen|ismus|ität))\b", re.IGNORECASE)
_SIGNATURE_BLOCKS = frozenset({"p", "div"})


def signature_author(tree: HtmlElement, text: str, site_keys: set[str]) -> list[str]:
    """The article signed at its end: the text's last line is a person's name alone, set
    in bold or italics as a paragraph of its own (``<p><b><i>Jane Doe</i></b></p>``), the
    way many regional papers and magazines sign pieces that print no byline above."""
    last = text.rstrip().rpartition("\n")[2].strip()
    if not last or len(last) > 50 or not person_like(last) or fold(last) in site_keys:
        return []
    if clean_name(last, site_keys) != last or _CLOSING_WORDS.search(last):
        return []
    for el in tree.iter(*_SIGNATURE_BLOCKS):
        if (el.text or "").strip() or len(el) != 1 or el[0].tag not in _EMPHASIS:
            continue
        if (el[0].tail or "").strip() or clean(el.text_content()) != last:
            continue
        return [last]
    return []
