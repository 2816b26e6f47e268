"""Words inside text written without spaces: Chinese, Japanese, Korean and Thai.

PostgreSQL's parser reads a run of letters as one word, so "我喜欢咖啡" is one lexeme and a
search for "咖啡" cannot find it; a Korean word with a particle attached ("커피가") is one lexeme
too. `search_text` spells such a text out a second time with those runs broken into tokens, and
the mention table indexes that spelling beside the text (`search_text`, migration 0008). A query
is broken the same way (`query_tokens`), so a word is found wherever a document holds its tokens
in a row:

- Chinese, Japanese and Korean (Han, kana, Hangul): each run becomes every character and every
  pair of neighbouring characters, in order ("咖啡店" -> 咖 咖啡 啡 啡店 店). A query is found
  wherever its characters stand together: inside compounds (咖啡 in 咖啡店, 配達 in 配達員) and
  before any particle (커피 in 커피가), and also where they merely meet across two words (京都
  in 東京都); no dictionary, so nothing to keep in step with the stored data.
- Thai: ICU's dictionary word breaker (icu4py, which ships ICU and its dictionaries in its wheel)
  splits each run into words (ไก่ทอด -> ไก่ ทอด): Thai syllables recur inside so many
  unrelated words that character pairs would find far too much (ตา "eye" in ตาม "follow").
  ICU's dictionaries change between ICU versions, so icu4py is pinned; after changing it, run
  `cxm manage listening_search_text` so stored mentions are broken as new queries are.

docs/performance.md gives the recall and precision of both on labelled sentences
(bench/unspaced_search.py) and what they cost at ingest.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import chain

from icu4py.breakers import WordBreaker

from listening.query.lexemes import tokenize_text, tokenize_words

# Characters broken into characters and pairs: CJK ideographs (and the iteration marks 々 〆),
# hiragana, katakana with its prolonged sound mark (not the middle dot ・, which is punctuation),
# half-width katakana, and Hangul syllables and jamo.
_PAIRED = (
    "\u3005\u3006\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f"
    "\u1100-\u11ff\u3131-\u318e\uac00-\ud7a3"
)
# Thai letters, vowel signs and tone marks (not its digits, nor the currency sign ฿).
_THAI = "\u0e01-\u0e3a\u0e40-\u0e4e"
_RUN = re.compile(f"([{_PAIRED}]+)|[{_THAI}]+")
PAIRED_CHAR = re.compile(f"[{_PAIRED}]")
UNSPACED_CHAR = re.compile(f"[{_PAIRED}{_THAI}]")
_THAI_CHAR = re.compile(f"[{_THAI}]")


# Thai marks that no lexeme starts with (tone marks, and the signs ็ ์ ๎); the vowel signs above
# and below are letters to the parser (listening.query.lexemes).
_NOT_STARTING_THAI = "\u0e47\u0e48\u0e49\u0e4a\u0e4b\u0e4c\u0e4e"


def _characters_and_pairs(run: str) -> list[str]:
    """ "咖啡店" -> 咖 咖啡 啡 啡店 店"""
    pieces = [*chain.from_iterable(zip(run, [run[i : i + 2] for i in range(len(run) - 1)], strict=False))]
    pieces.append(run[-1])
    return pieces


@lru_cache(maxsize=4096)
def _thai_words(run: str) -> tuple[str, ...]:
    # Cached: ingest breaks each run twice (search_text, then its lexemes), and phrases recur.
    return tuple(WordBreaker(run, "th"))


def _pieces(match: re.Match[str]) -> str:
    run = match.group()
    spelled = " ".join(_characters_and_pairs(run) if match.group(1) else _thai_words(run))
    return f" {spelled} "  # apart from the letters around the run, as its own words


def search_text(text: str) -> str | None:
    """The text with each run of Han, kana, Hangul or Thai broken into tokens separated by
    spaces, the rest as it was; None when the text has none of those scripts (most texts, and
    then nothing more is stored)."""
    if text.isascii() or not UNSPACED_CHAR.search(text):
        return None
    return _RUN.sub(_pieces, text)


def query_tokens(text: str) -> list[str]:
    """The lexemes a query's word or quoted phrase stands for: as `tokenize_text`, but with runs of
    unspaced scripts broken as `search_text` breaks them in documents."""
    return tokenize_text(search_text(text) or text)


def document_tokens(text: str) -> list[str]:
    """A document's lexemes in position order as the mention table's search vector holds them
    (its `simple` part): the text's, then its `search_text`'s."""
    tokens, _, spelled_tokens = document_parts(text)
    return tokens + spelled_tokens if spelled_tokens else tokens


def document_parts(text: str) -> tuple[list[str], str | None, list[str]]:
    """(the text's lexemes, its search_text, that search_text's lexemes), as ingest stores and
    matches a mention.

    Most texts hold only words and sentence punctuation; then the search_text's lexemes are the
    text's own, each cut where search_text cuts it, which spares reading the spelled-out text
    (three times the text's length, for Chinese) through `tokenize_text` again. The same
    lexemes: a property test compares both with PostgreSQL."""
    tokens, plain = tokenize_words(text)
    spelled = search_text(text)
    if spelled is None:
        return tokens, None, []
    if not plain:
        return tokens, spelled, tokenize_text(spelled)
    return tokens, spelled, [piece for token in tokens for piece in _token_pieces(token)]


def _token_pieces(token: str) -> list[str]:
    """The lexemes of a plain lexeme spelled out as `search_text` spells it."""
    if token.isascii() or not UNSPACED_CHAR.search(token):
        return [token]
    pieces: list[str] = []
    start = 0
    for match in _RUN.finditer(token):
        if match.start() > start:
            pieces += tokenize_text(token[start : match.start()])
        run = match.group()
        if match.group(1):
            pieces += _characters_and_pairs(run)
        else:
            for word in _thai_words(run):
                # As the parser reads " word ": a tone mark cannot start a lexeme.
                lexeme = word.lstrip(_NOT_STARTING_THAI)
                if lexeme:
                    pieces.append(lexeme)
        start = match.end()
    if start < len(token):
        pieces += tokenize_text(token[start:])
    return pieces


def stored_tokens(text: str, spelled: str | None) -> list[str]:
    """`document_tokens` of a stored mention, from its text and its stored `search_text`: what its
    search vector holds even if the way texts are broken has changed since."""
    tokens = tokenize_text(text)
    return tokens + tokenize_text(spelled) if spelled else tokens


def phrase_pieces(words: tuple[str, ...] | list[str]) -> list[str]:
    """A phrase's lexemes as the pieces of text they came from: each run of paired characters
    spelled out ("咖", "咖啡", "啡") is joined back into its run ("咖啡"); other lexemes stay."""
    pieces: list[str] = []
    index = 0
    while index < len(words):
        run = words[index]
        index += 1
        if len(run) == 1 and PAIRED_CHAR.match(run):
            while (
                index + 1 < len(words)
                and len(words[index]) == 2
                and words[index][0] == run[-1]
                and words[index + 1] == words[index][1]
                and PAIRED_CHAR.match(words[index + 1])
            ):
                run += words[index + 1]
                index += 2
        pieces.append(run)
    return pieces


def written(words: tuple[str, ...] | list[str]) -> str:
    """A phrase's lexemes as a mention would write them, for a platform's keyword search: runs
    of paired characters joined back, Thai words run together, the rest apart."""
    text = ""
    for piece in phrase_pieces(words):
        if text and not (_THAI_CHAR.match(text[-1]) and _THAI_CHAR.match(piece[0])):
            text += " "
        text += piece
    return text
