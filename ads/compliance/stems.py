"""Light stemmers for matching banned claims in their word forms, in Indonesian and English.

"Dijamin menyembuhkan insomnia" makes the claim a pack bans as "dijamin sembuh": Indonesian
builds words from a root with prefixes (me-, di-, ter-, ber-, pe- and their nasal forms), suffixes
(-kan, -an, -i) and enclitics (-nya, -lah, ...), so "menyembuhkan" is "sembuh" with meN-...-kan.
These stemmers strip those affixes by rule, without a dictionary: they over-strip now and then
("pasti" → "past"), which does no harm here because a banned phrase and the ad's text go through
the same function and only a whole phrase of stems, in order, counts as a match.

Both work on folded text (lower case, no diacritics) as `rules.normalise` gives it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

MIN_STEM = 3  # a shorter remainder is no root ("aman" stays, not "am" + -an)

_WORD = re.compile(r"\w+")

_ID_PARTICLES = ("lah", "kah", "pun", "tah")
_ID_POSSESSIVES = ("nya", "ku", "mu")
_ID_SUFFIXES = ("kan", "an", "i")
# Nasal prefixes replace the root's first consonant: meny+embuh ← s, men+ulis ← t, mem+akai ← p,
# meng+irim ← k; before a vowel the root may as well start with it (meng+untung), so both are
# candidates. Before a consonant they are stripped as they are.
_ID_NASAL = (
    ("meny", "s"),
    ("peny", "s"),
    ("meng", "k"),
    ("peng", "k"),
    ("mem", "p"),
    ("pem", "p"),
    ("men", "t"),
    ("pen", "t"),
)
_ID_PLAIN_PREFIXES = ("ber", "ter", "per", "me", "pe", "di", "ke", "be")
_VOWELS = frozenset("aeiou")


def _long_enough(stem: str) -> bool:
    return len(stem) >= MIN_STEM


@lru_cache(maxsize=65536)
def stem_id(word: str) -> tuple[str, ...]:
    """The candidate roots of an Indonesian word, likeliest first, e.g. menyembuhkan → sembuh,
    dijamin → jamin, keuntungannya → untung, menguntungkan → kuntung or untung."""
    stem = word
    for ending in (_ID_PARTICLES, _ID_POSSESSIVES):
        for suffix in ending:
            if stem.endswith(suffix) and _long_enough(stem[: -len(suffix)]):
                stem = stem[: -len(suffix)]
                break
    for suffix in _ID_SUFFIXES:
        if stem.endswith(suffix) and _long_enough(stem[: -len(suffix)]):
            stem = stem[: -len(suffix)]
            break
    return _strip_id_prefix(stem)


def _strip_id_prefix(stem: str) -> tuple[str, ...]:
    for prefix, first in _ID_NASAL:
        rest = stem[len(prefix) :]
        if stem.startswith(prefix) and _long_enough(rest):
            return (first + rest, rest) if rest[0] in _VOWELS else (rest,)
    for prefix in _ID_PLAIN_PREFIXES:
        rest = stem[len(prefix) :]
        if stem.startswith(prefix) and _long_enough(rest):
            return (rest,)
    return (stem,)


_EN_SUFFIXES = (("ies", "y"), ("ied", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("ly", ""), ("s", ""))


@lru_cache(maxsize=65536)
def stem_en(word: str) -> tuple[str, ...]:
    """An English word without its inflection: cures, cured, curing → cur; returns → return."""
    stem = word
    for suffix, replacement in _EN_SUFFIXES:
        if suffix == "s" and stem.endswith("ss"):
            break
        if stem.endswith(suffix) and _long_enough(stem[: -len(suffix)] + replacement):
            stem = stem[: -len(suffix)] + replacement
            break
    # guarantee, guaranteed, guarantees → guarant
    while stem.endswith("e") and _long_enough(stem[:-1]):
        stem = stem[:-1]
    return (stem,)


Stemmer = Callable[[str], tuple[str, ...]]
STEMMERS: dict[str, Stemmer] = {"id": stem_id, "en": stem_en}


def stemmers_for(language: str | None) -> tuple[Stemmer, ...]:
    """The stemmer of the ad's language; both when it is not known or has none of its own."""
    stemmer = STEMMERS.get((language or "").split("-")[0].lower())
    return (stemmer,) if stemmer else tuple(STEMMERS.values())


@lru_cache(maxsize=8192)
def words_with_spans(text: str) -> tuple[tuple[str, int, int], ...]:
    """The words of folded text with their spans."""
    return tuple((m.group(), m.start(), m.end()) for m in _WORD.finditer(text))


def phrase_spans(text: str, phrase: tuple[str, ...], stemmer: Stemmer) -> list[tuple[int, int]]:
    """Where the words of `phrase` appear in `text` as consecutive words sharing a stem with
    each of the phrase's words, in its order."""
    wanted = [set(stemmer(word)) for word in phrase]
    words = words_with_spans(text)
    size = len(wanted)
    spans = []
    for i in range(len(words) - size + 1):
        if all(wanted[j].intersection(stemmer(words[i + j][0])) for j in range(size)):
            spans.append((words[i][1], words[i + size - 1][2]))
    return spans
