"""The ASCII fast path of the comparison keys (blocks.match_key, text_utils.fold) gives what
the per-character filter gives."""

from __future__ import annotations

import random
import unicodedata

from pipelines.extract.blocks import match_key
from pipelines.extract.text_utils import ascii_key, fold


def _filtered(text: str) -> str:
    return "".join(filter(str.isalnum, text.casefold()))


def _folded(text: str) -> str:
    return _filtered(unicodedata.normalize("NFKD", text or ""))


ALL_ASCII = "".join(map(chr, range(128)))


def test_ascii_key_on_every_ascii_character() -> None:
    assert ascii_key(ALL_ASCII) == _filtered(ALL_ASCII)
    assert ascii_key(ALL_ASCII) == "0123456789abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"


def test_keys_as_the_filter_on_mixed_text() -> None:
    rng = random.Random(7)
    pool = ALL_ASCII + "éßÅΩ’“\u00ad\u200b\u0301ﬁ２Ⅻ_"
    for _ in range(5000):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(0, 30)))
        assert match_key(text) == _filtered(text)
        assert fold(text) == _folded(text)


def test_fold_of_nothing() -> None:
    assert fold("") == "" and fold(None) == ""  # type: ignore[arg-type]
