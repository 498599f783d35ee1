"""Bytes → text: the declared charset, unless the bytes are plainly UTF-8 (rule
``utf8-bytes``, trafilatura's own order: valid UTF-8 first)."""

from __future__ import annotations

import pytest

from pipelines.extract.decode import decode_html
from pipelines.extract.rules import ABLATE_ENV

TEXT = "<p>Café crème brûlée à la plage — 中文新闻报道</p>"


@pytest.mark.parametrize("declared", ['<meta charset="iso-8859-1">', '<meta charset="gb2312">',
                                      '<meta http-equiv="Content-Type" '
                                      'content="text/html; charset=windows-1252">'])
def test_utf8_bytes_under_a_legacy_declaration_are_read_as_utf8(
        declared: str, monkeypatch: pytest.MonkeyPatch) -> None:
    page = (declared + TEXT).encode("utf-8")
    assert decode_html(page).endswith(TEXT)
    assert decode_html(page, {"Content-Type": "text/html; charset=iso-8859-1"}).endswith(TEXT)
    monkeypatch.setenv(ABLATE_ENV, "utf8-bytes")
    assert not decode_html(page).endswith(TEXT)  # the declaration, as before the rule


@pytest.mark.parametrize(("charset", "text"), [
    ("iso-8859-1", "<p>Café crème brûlée à la plage, © 2024</p>"),
    ("gbk", "<p>中文新闻报道，今天的天气很好。</p>"),
    ("shift_jis", "<p>日本語のニュース記事です。</p>"),
    ("koi8-r", "<p>Новости дня: погода хорошая.</p>"),
])
def test_legacy_text_is_read_as_declared(charset: str, text: str) -> None:
    page = f'<meta charset="{charset}">{text}'.encode(charset)
    assert decode_html(page).endswith(text)


def test_a_stray_non_ascii_byte_is_not_enough_to_overrule() -> None:
    page = '<meta charset="iso-8859-1"><p>© 2024 Harbour Herald</p>'.encode("latin-1")
    assert decode_html(page).endswith("© 2024 Harbour Herald</p>")
