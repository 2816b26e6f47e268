"""Dictionary tagging: a workspace's brands, products and locations found in a mention's text.

All terms are compiled into one regular expression shaped as a character trie, so a text is
scanned once however many terms there are, and where terms share a start ("teh segar",
"teh segar 1l") the longer one is tried first. Matching is case-insensitive after Unicode
normalisation (NFKC, case folding) and on whole words: "jakarta" does not match "jakartans".
Scripts written without spaces between words (Thai, Lao, Khmer, Burmese, Chinese, Japanese) and
Korean, whose particles attach to the noun ("서울에서"), have no word edges to find, so terms
in them match anywhere.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

TAG_TYPES = frozenset({"brand", "product", "location"})
MAX_TERM_LENGTH = 200

_UNSPACED = (
    "\u0e00-\u0eff"  # Thai, Lao
    "\u1000-\u109f"  # Myanmar
    "\u1780-\u17ff"  # Khmer
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs
    "\uac00-\ud7af"  # Hangul syllables
)
# A letter or digit of a script that separates words with spaces: a term may not touch one.
_WORD_CHAR = rf"[^\W{_UNSPACED}]"
_SPACES = re.compile(r"\s+")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _normalize_term(term: str) -> str:
    return _SPACES.sub(" ", _fold(term)).strip()


def _trie_pattern(node: dict[str, dict]) -> str:
    """Regex for the terms below `node`; a key "" marks the end of a term."""
    ends_here = "" in node
    branches = []
    for char in sorted(key for key in node if key):
        atom = r"\s+" if char == " " else re.escape(char)
        branches.append(atom + _trie_pattern(node[char]))
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if ends_here:
        # Greedy: the longer term is tried first, and the shorter one if the longer fails.
        return f"(?:{body})?"
    return body


class DictionaryTagger:
    """Finds (tag_type, tag) pairs in texts from entries (tag_type, tag, terms)."""

    def __init__(self, entries: Iterable[tuple[str, str, Iterable[str]]]) -> None:
        self._tags_by_term: dict[str, list[tuple[str, str]]] = {}
        for tag_type, tag, terms in entries:
            if tag_type not in TAG_TYPES:
                raise ValueError(f"unknown tag type {tag_type!r}; expected one of {sorted(TAG_TYPES)}")
            for term in terms:
                key = _normalize_term(term)
                if not key:
                    continue
                if len(key) > MAX_TERM_LENGTH:
                    raise ValueError(f"term longer than {MAX_TERM_LENGTH} characters: {term[:40]!r}...")
                pairs = self._tags_by_term.setdefault(key, [])
                if (tag_type, tag) not in pairs:
                    pairs.append((tag_type, tag))
        self._pattern: re.Pattern[str] | None = None
        if self._tags_by_term:
            trie: dict[str, dict] = {}
            for key in self._tags_by_term:
                node = trie
                for char in key:
                    node = node.setdefault(char, {})
                node[""] = {}
            self._pattern = re.compile(rf"(?<!{_WORD_CHAR})(?:{_trie_pattern(trie)})(?!{_WORD_CHAR})")

    def __len__(self) -> int:
        return len(self._tags_by_term)

    def tags(self, text: str) -> list[tuple[str, str]]:
        """Distinct (tag_type, tag) pairs whose terms occur in `text`, in order of first occurrence."""
        if self._pattern is None or not text:
            return []
        found: dict[tuple[str, str], None] = {}
        for match in self._pattern.finditer(_fold(text)):
            for pair in self._tags_by_term[_SPACES.sub(" ", match.group())]:
                found.setdefault(pair)
        return list(found)
