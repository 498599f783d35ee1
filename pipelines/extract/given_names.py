"""Whether a word is a given name, from gender-guesser's list of some 40,000 first names
across European, American and Asian countries (loaded once per process, on first use)."""

from __future__ import annotations

import re
from functools import cache

# Honorifics and degrees set before a name on personal sites ("Dr. Alexander Klier").
_TITLES = re.compile(r"^(?:(?:dr|prof|dipl|mag|ing|med|phil|rer|nat|univ|mr|mrs|ms|"
                     r"herr|frau)\.?(?:-\w+\.?)?\s+)+", re.IGNORECASE)


@cache
def _detector():
    import gender_guesser.detector

    return gender_guesser.detector.Detector(case_sensitive=False)


def is_given_name(word: str) -> bool:
    """"Wolfgang", "Anne-Marie": a name the list gives as a male or female first name (not
    one it calls only mostly either: those include words such as the Spanish article "El")."""
    word = word.strip(".,")
    if not word or not word[0].isupper():
        return False
    return _detector().get_gender(word.split("-")[0]) in ("male", "female")


def without_titles(name: str) -> str:
    """"Dr. Alexander Klier" → "Alexander Klier"."""
    return _TITLES.sub("", name.strip())


def starts_with_given_name(name: str) -> bool:
    words = name.split()
    return len(words) >= 2 and is_given_name(words[0])
