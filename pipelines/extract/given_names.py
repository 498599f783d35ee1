"""Whether a word is a given name, from gender-guesser's list of some 40,000 first names
across European, American and Asian countries (read once per process, on first use)."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

# Honorifics and degrees set before a name on personal sites ("Dr. Alexander Klier").
_TITLES = re.compile(r"^(?:(?:dr|prof|dipl|mag|ing|med|phil|rer|nat|univ|mr|mrs|ms|"
                     r"herr|frau)\.?(?:-\w+\.?)?\s+)+", re.IGNORECASE)


@cache
def _given_names() -> frozenset[str]:
    """Lower-cased names the list marks plainly male or female (lines "M  Name" / "F  Name";
    not "?M"/"1F", names it calls only mostly either, such as the Spanish article "El").
    Read straight from the package's data file: its ``Detector`` keeps per-country
    frequencies for every name, some 60 MB a process, where a set of names is a few."""
    data = resources.files("gender_guesser").joinpath("data/nam_dict.txt")
    names: set[str] = set()
    with data.open(encoding="utf-8") as lines:
        for line in lines:
            if line[:3] in ("M  ", "F  "):
                name = line[3:30].strip().lower()
                names.update(name.replace("+", sep) for sep in ("", " ", "-"))
    return frozenset(names)


def is_given_name(word: str) -> bool:
    """"Wolfgang", "Anne-Marie": a name the list gives as a male or female first name."""
    word = word.strip(".,")
    if not word or not word[0].isupper():
        return False
    return word.split("-")[0].lower() in _given_names()


def without_titles(name: str) -> str:
    """"Dr. Alexander Klier" → "Alexander Klier"."""
    return _TITLES.sub("", name.strip())


def starts_with_given_name(name: str) -> bool:
    words = name.split()
    return len(words) >= 2 and is_given_name(words[0])
