"""Text → the one lxml tree every field rule reads (trafilatura works on copies of it).

The tree is what ``trafilatura.load_html`` makes of the text, with trafilatura's parser
options and its repairs, but built by a parser whose element classes are looked up in C:
``lxml.html``'s lookup is a Python method that runs each time Python code touches an
element it has not held on to (about 1,100 times per news page, trafilatura's copies
included, as the copies keep the parser).  Every element is a plain ``HtmlElement``; what
the lookup adds (``FormElement``, ``InputElement``… for form controls) no rule uses.
"""

from __future__ import annotations

from lxml import etree
from lxml.html import (
    HtmlComment,
    HtmlElement,
    HtmlEntity,
    HTMLParser,
    HtmlProcessingInstruction,
    fromstring,
)
from trafilatura.utils import DOCTYPE_TAG, FAULTY_HTML, is_dubious_html, repair_faulty_html

# trafilatura.utils.HTML_PARSER's options
PARSER = HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8",
                    remove_comments=True, remove_pis=True)
PARSER.set_element_class_lookup(etree.ElementDefaultClassLookup(
    element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity))


# What trafilatura.utils.INVALID_XML_CHARS matches, as single characters: ``in`` finds each
# with a C scan, several times faster than the regex's pass over a page without any.
_INVALID_XML_CHARS = tuple(map(chr, [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20),
                                     0xFFFE, 0xFFFF]))


def _repaired(text: str, beginning: str) -> str:
    """``repair_faulty_html(text, beginning)``; its removal of characters XML forbids is
    skipped when the text has none (it would change nothing)."""
    if any(char in text for char in _INVALID_XML_CHARS):
        return repair_faulty_html(text, beginning)
    # the rest of repair_faulty_html, as it is there
    if "doctype" in beginning:
        firstline, _, rest = text.partition("\n")
        text = DOCTYPE_TAG.sub("", firstline, count=1) + "\n" + rest
    for line in text[:4096].splitlines()[:4]:
        if "<html" in line and line.endswith("/>"):
            text = FAULTY_HTML.sub(r"\1>", text, count=1)
            break
    return text


def _from_bytes(text: str) -> HtmlElement | None:
    try:
        return fromstring(text.encode("utf8", "surrogatepass"), parser=PARSER)
    except Exception:  # noqa: BLE001 -- as trafilatura: an unparsable page has no tree
        return None


def parse_html(text: str) -> HtmlElement | None:
    """``trafilatura.load_html(text)`` for a decoded page, with :data:`PARSER`."""
    beginning = text[:50].lower()
    dubious = is_dubious_html(beginning)
    text = _repaired(text, beginning)
    tree = None
    tried_bytes = False
    try:
        tree = fromstring(text, parser=PARSER)
    except ValueError:  # "Unicode strings with encoding declaration are not supported."
        tree = _from_bytes(text)
        tried_bytes = True
    except Exception:  # noqa: BLE001
        tree = None
    if (tree is None or len(tree) < 1) and not tried_bytes:
        tree = _from_bytes(text)
    if tree is not None and dubious and len(tree) < 2:
        tree = None  # not HTML at all
    return tree
