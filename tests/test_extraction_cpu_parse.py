"""parse._repaired is trafilatura's repair_faulty_html, its invalid-character pass skipped
when it would change nothing: the same text out for every kind of page it repairs."""

from __future__ import annotations

import pytest
from trafilatura.utils import repair_faulty_html

from pipelines.extract.parse import _repaired

PAGES = [
    "<html><body><p>plain</p></body></html>",
    "<!DOCTYPE html>\n<html><body><p>doctype</p></body></html>",
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd"/>\n<html><body><p>x</p></body></html>',
    "<!doctype html/>\n<html><body><p>slash doctype</p></body></html>",
    '<?xml version="1.0"?>\n<html lang="en"/>\n<head></head><body><p>self-closing html</p></body>',
    "<html/>\n<body><p>self-closing</p></body><html/>",
    "<html><body><p>control \x00\x08\x0b\x0c\x0e\x1f chars</p></body></html>",
    "<!DOCTYPE html/>\n<html/>\n<body><p>both, and \ufffe\uffff</p></body>",
    "<html><body><p>tab\tnewline\ncarriage\rkept, ok \u00e9\u4e2d</p></body></html>",
    "no html at all \x07",
    "",
]


@pytest.mark.parametrize("text", PAGES)
def test_repaired_is_repair_faulty_html(text: str) -> None:
    beginning = text[:50].lower()
    assert _repaired(text, beginning) == repair_faulty_html(text, beginning)

