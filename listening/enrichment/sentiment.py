"""Sentiment of short customer comments from hand-written lexicons, in the manner of VADER.

Each word or phrase in `lexicons/<language>.txt` carries a valence, or is a modifier (negator,
intensifier, contrast word...; the file headers describe the format). A comment's score is the
sum of its valences after the modifiers have acted, squashed into [-1, 1] by x / sqrt(x² + 15).

The label abstains ("unknown") rather than guess, since a complaint shown as praise costs more
trust than an honest "unknown":

* no word, emoji or emoticon of the lexicon in the comment: nothing to go on, so "unknown",
  except a question in a language with a lexicon, which is "neutral" (questions mostly ask);
* a score inside the neutral band (sentiment words that cancel out): "neutral";
* a score past the band but below `CONFIDENT`: too little to call, "unknown";
* beyond that: "positive" or "negative".

Languages without a lexicon of their own (Japanese, Thai, Arabic, Vietnamese...) are read for
emoji and emoticons only, so most of their comments are "unknown". The thresholds were chosen
on the tuning sets only (see `bench/sentiment_accuracy.py`); the held-out sets score them.

The rules, and why each is there:

* A negator ("not", "tidak", "gak", "kurang") flips and dampens sentiment words among the next
  three tokens. Some words only carry sentiment when negated: "arrived" is nothing, "never
  arrived" is a complaint.
* An intensifier strengthens the nearest sentiment word after it ("very good", "sangat enak") or,
  when one comes just before it, that one: Indonesian and Malay put "banget", "sekali" and
  "sangat" after the word ("enak banget").
* "Too"/"terlalu" makes an otherwise neutral attribute a complaint ("too sweet").
* After "but"/"tapi"/"namun" the clause counts one and a half times and everything before it
  half: "enak tapi mahal banget" is a complaint about the price. "Although"/"walaupun" halves
  its own clause instead.
* Each "!" (up to four) pushes the score further the way it already leans; a sentence ending in
  "?" counts half, since questions mostly ask rather than judge.
* Emoji and emoticons carry valence like words, in every language.

Indonesian, Malay and Tagalog comments mix in English freely ("recommended banget", "super sulit"),
so those tables fall back to English for words they lack; a comment of unknown language (None)
is scored against all lexicons together.
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

from listening.enrichment.language import strip_markup

LEXICON_DIR = Path(__file__).parent / "lexicons"

POSITIVE = "positive"
NEUTRAL = "neutral"
NEGATIVE = "negative"
UNKNOWN = "unknown"
LABELS = (POSITIVE, NEUTRAL, NEGATIVE, UNKNOWN)

# |score| below this is neutral. A single mild word ("ok", 0.6) already scores 0.15, so the band
# only catches near-cancellations. Chosen on the tuning sets (bench/sentiment_accuracy.py --tune).
NEUTRAL_BAND = 0.10
# |score| from the band up to this is "unknown": one mild word, or praise and complaint nearly
# balanced. On the tuning sets (bench/sentiment_accuracy.py --tune) 0.25 raises the accuracy of
# the answered English, Indonesian and Malay rows (93.2 -> 93.8, 95.2 -> 96.7, 82 -> 90 %) for
# 1 to 9 points of coverage; from 0.3 up, coverage falls faster than accuracy rises.
CONFIDENT = 0.25

# Which lexicon files make up each language's table, later files winning on a shared term.
_TABLE_FILES: dict[str, tuple[str, ...]] = {
    "en": ("emoji", "en"),
    "id": ("emoji", "en", "id"),
    "ms": ("emoji", "en", "id", "ms"),
    "es": ("emoji", "es"),
    "pt": ("emoji", "pt"),
    "fr": ("emoji", "fr"),
    "de": ("emoji", "de"),
    "tl": ("emoji", "en", "tl"),
}
# Languages without a lexicon are read for emoji and emoticons only, except Javanese and
# Sundanese: a post detected as either is most often informal Indonesian, and even one truly in
# them borrows much of Indonesian's vocabulary.
_EMOJI_ONLY = "emoji-only"
_READ_AS = {"jv": "id", "su": "id"}
# For unknown languages English wins conflicts ("pain" is bread only to the French lexicon).
_UNION_FILES = ("emoji", "de", "fr", "pt", "es", "ms", "id", "en")
LEXICON_LANGUAGES = frozenset(_TABLE_FILES)

# Inflections tried when a word is missing, longest first, only if at least 3 letters remain.
_SUFFIXES: dict[str, tuple[str, ...]] = {
    "en": ("ing", "'s", "ed", "es", "ly", "s", "d"),
    "id": ("nya", "lah", "kah", "pun", "2"),
    "ms": ("nya", "lah", "kah", "pun", "2"),
    "es": ("s",),
    "pt": ("s",),
    "fr": ("s", "x"),
    "de": ("en", "em", "er", "es", "e"),
    "tl": (),
}

# Entry kinds. An entry is a tuple (kind, a, b):
_VALENCE = 0  # a: valence, b: valence when negated
_NEGATOR = 1  # a: valence of its own when there is nothing for it to negate
_BOOSTER = 2  # a: factor, b: valence of its own when there is nothing to boost
_CONTRAST = 3  # a: valence of its own ("sayangnya" = unfortunately, but...)
_EXCESS = 4
_CONCEDE = 5
Entry = tuple[int, float, float]

NEGATION_SCALAR = -0.74  # VADER's: "not good" is bad, but less bad than "bad" is
NEGATION_SCOPE = 3
BOOST_SCOPE = 2
EXCESS_VALENCE = -1.0  # "too <neutral word>"
EXCESS_FACTOR = 1.3  # "too <negative word>"
CONTRAST_BEFORE = 0.5
CONTRAST_AFTER = 1.5
CONCEDE_FACTOR = 0.5
QUESTION_FACTOR = 0.5
EXCLAMATION = 0.292  # per "!", as in VADER
MAX_EXCLAMATIONS = 4
ALPHA = 15.0

_WORD = r"[^\W_]+(?:'[^\W_]+)*"
_EMOJI = r"[\u2600-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff]"
_BREAK_CHARS = ".,;:!?…"
_BREAKS = frozenset(_BREAK_CHARS)
_ELONGATED = re.compile(r"([^\W\d_])\1{2,}")  # "enaaaak", "sooo": three or more of a letter
_IS_WORD = re.compile(_WORD)
_IS_EMOJI = re.compile(_EMOJI)
_CACHE_LIMIT = 200_000


class LexiconError(ValueError):
    """A lexicon file line that does not follow the format in the file's header."""


def _parse_value(value: str, where: str) -> Entry:
    parts = value.split()
    try:
        if not parts:
            raise ValueError
        head, args = parts[0], [float(part) for part in parts[1:] if part != "negated"]
        if head == "neg" and len(args) <= 1:
            return (_NEGATOR, args[0] if args else 0.0, 0.0)
        if head == "boost" and 1 <= len(args) <= 2:
            return (_BOOSTER, args[0], args[1] if len(args) == 2 else 0.0)
        if head == "but" and len(args) <= 1:
            return (_CONTRAST, args[0] if args else 0.0, 0.0)
        if head == "excess" and not args:
            return (_EXCESS, 0.0, 0.0)
        if head == "concede" and not args:
            return (_CONCEDE, 0.0, 0.0)
        valence = float(head)
        if len(parts) == 1:
            return (_VALENCE, valence, valence * NEGATION_SCALAR)
        if len(parts) == 3 and parts[1] == "negated":
            return (_VALENCE, valence, float(parts[2]))
    except ValueError:
        pass
    raise LexiconError(f"{where}: cannot read {value!r}; see the format in the file's header")


def _read_lexicon(name: str) -> list[tuple[str, Entry]]:
    path = LEXICON_DIR / f"{name}.txt"
    entries = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            line = line.rstrip("\r\n")
            if not line.strip() or line.startswith("#"):
                continue
            term, tab, value = line.partition("\t")
            if not tab or not term.strip():
                raise LexiconError(f"{path.name}:{number}: expected <term><TAB><value>")
            entries.append((term.strip().lower(), _parse_value(value, f"{path.name}:{number}")))
    return entries


def _emoticon_pattern(terms: Iterable[str]) -> str:
    """Alternation for emoticons, with word boundaries only on sides that are letters (":d", "xd")."""
    alternatives = []
    for term in sorted(set(terms), key=len, reverse=True):
        escaped = re.escape(term)
        if term[0].isalnum():
            escaped = r"(?<!\w)" + escaped
        if term[-1].isalnum():
            escaped += r"(?!\w)"
        alternatives.append(escaped)
    return "|".join(alternatives)


def _strip_accents(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


class _Table:
    """One language's lexicon, compiled for lookups: single tokens, phrases by first token, and
    a cache of tokens resolved through inflections and elongations."""

    __slots__ = ("cache", "phrases", "suffixes", "words")

    def __init__(self, entries: Iterable[tuple[list[str], Entry]], suffixes: tuple[str, ...]) -> None:
        self.words: dict[str, Entry] = {}
        phrases: dict[str, dict[tuple[str, ...], Entry]] = {}
        for tokens, entry in entries:
            if len(tokens) == 1:
                self.words[tokens[0]] = entry
            else:
                phrases.setdefault(tokens[0], {})[tuple(tokens[1:])] = entry
        # Longest phrase first, so "download it for free" wins over "download it".
        self.phrases = {
            head: tuple(sorted(rests.items(), key=lambda item: len(item[0]), reverse=True))
            for head, rests in phrases.items()
        }
        self.suffixes = suffixes
        self.cache: dict[str, Entry | None] = {}

    def resolve(self, token: str) -> Entry | None:
        """The entry for a token that is not in the lexicon as written, or None."""
        cache = self.cache
        if token in cache:
            return cache[token]
        entry = self._uninflected(token)
        if entry is None and _ELONGATED.search(token):
            # "gooood" is "good" (two letters), "enaaak" is "enak" (one); "latte" is left alone.
            for form in (_ELONGATED.sub(r"\1\1", token), _ELONGATED.sub(r"\1", token)):
                entry = self.words.get(form) or self._uninflected(form)
                if entry is not None:
                    break
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[token] = entry
        return entry

    def _uninflected(self, token: str) -> Entry | None:
        for suffix in self.suffixes:
            if token.endswith(suffix) and len(token) - len(suffix) >= 3:
                entry = self.words.get(token[: -len(suffix)])
                if entry is not None:
                    return entry
        return None


_lock = threading.Lock()
_raw: dict[str, list[tuple[str, Entry]]] = {}
_tables: dict[str, _Table] = {}
_token: re.Pattern[str] | None = None


def _lexicon(name: str) -> list[tuple[str, Entry]]:
    if name not in _raw:
        _raw[name] = _read_lexicon(name)
    return _raw[name]


def _tokenizer() -> re.Pattern[str]:
    global _token
    if _token is None:
        emoticons = [
            term
            for term, _ in _lexicon("emoji")
            if not _IS_WORD.fullmatch(term) and not _IS_EMOJI.fullmatch(term)
        ]
        breaks = re.escape(_BREAK_CHARS)
        # The emoticons are tried first at every position, one by one: a look-ahead for their
        # first characters skips them at once where none can start (most positions).
        starts = "".join(sorted({re.escape(term[0]) for term in emoticons}))
        emoticon = f"(?=[{starts}])(?:{_emoticon_pattern(emoticons)})|" if emoticons else ""
        _token = re.compile(f"{emoticon}{_WORD}|{_EMOJI}|[{breaks}]")
    return _token


def _build_table(files: tuple[str, ...], suffixes: tuple[str, ...]) -> _Table:
    tokenize = _tokenizer().findall
    merged: dict[tuple[str, ...], Entry] = {}
    for name in files:
        for term, entry in _lexicon(name):
            tokens = tuple(tokenize(term))
            if not tokens:
                raise LexiconError(f"{name}.txt: {term!r} has no words")
            if name == "emoji":
                # An emoji states the writer's mood; "without any notice 👎" is not praise.
                entry = (entry[0], entry[1], entry[1])
            merged[tokens] = entry
            plain = tuple(_strip_accents(token) for token in tokens)
            # Accents are often skipped when typing on a phone: "decepcion", "decu".
            merged.setdefault(plain, entry)
    return _Table((([*tokens], entry) for tokens, entry in merged.items()), suffixes)


def _table_key(language: str | None) -> str:
    """The table a language reads: its own, emoji only when it has none, all of them when None."""
    key = (language or "").lower().replace("_", "-").split("-")[0]
    key = _READ_AS.get(key, key)
    if key in _TABLE_FILES:
        return key
    return _EMOJI_ONLY if key else "*"


def _table(language: str | None) -> _Table:
    key = _table_key(language)
    table = _tables.get(key)
    if table is None:
        with _lock:
            table = _tables.get(key)
            if table is None:
                if key == "*":
                    suffixes = tuple(
                        sorted({s for group in _SUFFIXES.values() for s in group}, key=len, reverse=True)
                    )
                    table = _build_table(_UNION_FILES, suffixes)
                elif key == _EMOJI_ONLY:
                    table = _build_table(("emoji",), ())
                else:
                    table = _build_table(_TABLE_FILES[key], _SUFFIXES.get(key, ()))
                _tables[key] = table
    return table


def _raw_score(text: str, table: _Table) -> tuple[float, int]:
    """Unbounded sum of valences after negation, boosting, contrast and emphasis, and how many
    of the lexicon's sentiment terms (words, phrases, emoji, lone modifiers) it found."""
    if "://" in text or "www." in text or "@" in text:
        text = strip_markup(text)
    text = text.lower().replace("\u2019", "'")
    tokens = _tokenizer().findall(text)
    words = table.words
    phrases = table.phrases
    resolve = table.resolve

    committed = 0.0  # finished sentences
    clause = 0.0  # the sentence in progress
    weight = 1.0  # CONTRAST_AFTER once a "but" has been seen
    concede = 1.0  # CONCEDE_FACTOR inside an "although" clause
    neg_until = boost_until = excess_at = last_pos = -1
    neg_own = boost_own = boost = last_val = 0.0
    pos = 0
    i = 0
    hits = 0
    count = len(tokens)
    while i < count:
        piece = tokens[i]
        i += 1
        if piece in _BREAKS:
            clause += (neg_own + boost_own) * weight * concede
            if piece == "?":
                clause *= QUESTION_FACTOR
            committed += clause
            clause = neg_own = boost_own = 0.0
            neg_until = boost_until = excess_at = last_pos = -1
            concede = 1.0
            continue
        pos += 1
        entry = None
        heads = phrases.get(piece)
        if heads is not None:
            for rest, candidate in heads:
                if tuple(tokens[i : i + len(rest)]) == rest:
                    entry = candidate
                    i += len(rest)
                    break
        if entry is None:
            entry = words.get(piece) or resolve(piece)
        # Modifiers that found nothing in their scope count on their own ("rasanya kurang").
        if neg_own and pos > neg_until:
            clause += neg_own * weight * concede
            neg_own = 0.0
            hits += 1
        if boost_own and pos > boost_until:
            clause += boost_own * weight * concede
            boost_own = 0.0
            hits += 1
        if entry is None:
            if pos == excess_at:
                # "nggak terlalu manis" (not too sweet) is no complaint.
                excess = EXCESS_VALENCE * (NEGATION_SCALAR if pos <= neg_until else 1.0)
                clause += excess * weight * concede
                hits += 1
            continue
        kind = entry[0]
        if kind == _VALENCE:
            if pos <= neg_until:
                value = entry[2]
                neg_own = 0.0
            else:
                value = entry[1]
            if pos <= boost_until:
                value *= boost
                boost_until = -1
                boost_own = 0.0
            if pos == excess_at and value < 0:
                value *= EXCESS_FACTOR
            value *= weight * concede
            clause += value
            hits += value != 0.0
            last_pos = pos
            last_val = value
        elif kind == _NEGATOR:
            clause += neg_own * weight * concede
            neg_until = pos + NEGATION_SCOPE
            neg_own = entry[1]
        elif kind == _BOOSTER:
            if last_pos >= 0 and pos - last_pos <= BOOST_SCOPE:
                clause += last_val * (entry[1] - 1.0)
                last_pos = -1
            else:
                clause += boost_own * weight * concede
                boost = entry[1]
                boost_until = pos + BOOST_SCOPE
                boost_own = entry[2]
        elif kind == _CONTRAST:
            clause += (neg_own + boost_own) * weight * concede
            committed = (committed + clause) * CONTRAST_BEFORE
            weight = CONTRAST_AFTER
            concede = 1.0
            clause = entry[1] * weight
            neg_own = boost_own = 0.0
            neg_until = boost_until = excess_at = last_pos = -1
        elif kind == _EXCESS:
            excess_at = pos + 1
        else:
            concede = CONCEDE_FACTOR
    hits += (neg_own != 0.0) + (boost_own != 0.0)
    total = committed + clause + (neg_own + boost_own) * weight * concede
    if total:
        exclamations = min(text.count("!"), MAX_EXCLAMATIONS)
        if exclamations:
            total += math.copysign(exclamations * EXCLAMATION, total)
    return total, hits


def normalize(total: float) -> float:
    return total / math.sqrt(total * total + ALPHA)


def label_for(
    score: float,
    *,
    hits: int = 1,
    question: bool = False,
    lexicon: bool = True,
    band: float | None = None,
    confident: float | None = None,
) -> str:
    """The label for a score (see the module doc); `band` and `confident` default to the
    module's NEUTRAL_BAND and CONFIDENT, and are passed only when tuning them."""
    band = NEUTRAL_BAND if band is None else band
    confident = CONFIDENT if confident is None else confident
    if not hits:
        return NEUTRAL if question and lexicon else UNKNOWN
    magnitude = abs(score)
    if magnitude < band:
        return NEUTRAL
    if magnitude < confident:
        return UNKNOWN
    return POSITIVE if score > 0 else NEGATIVE


def score_details(text: str, language: str | None) -> tuple[float, int, bool, bool]:
    """Score in [-1, 1], sentiment terms found, whether it asks a question, whether its
    language has a lexicon: what `label_for` decides on."""
    key = _table_key(language)
    total, hits = _raw_score(text, _table(language))
    return normalize(total), hits, "?" in text or "\uff1f" in text, key != _EMOJI_ONLY


def score_sentiment(text: str, language: str | None) -> tuple[str, float]:
    """Label ("positive", "neutral", "negative" or "unknown") and score in [-1, 1] for one comment.

    `language` is an ISO 639-1 code (a region suffix such as "pt-BR" is ignored); a language
    without a lexicon is read for emoji only, and None uses all lexicons together.
    """
    score, hits, question, lexicon = score_details(text, language)
    return label_for(score, hits=hits, question=question, lexicon=lexicon), score


def score_many(texts: Sequence[str], languages: Sequence[str | None]) -> list[tuple[str, float]]:
    """`score_sentiment()` for each text with the language at the same position."""
    if len(texts) != len(languages):
        raise ValueError("score_many needs one language per text")
    return [score_sentiment(text, language) for text, language in zip(texts, languages, strict=True)]
