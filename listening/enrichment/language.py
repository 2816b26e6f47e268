"""Language identification for mentions, offline, with the model that ships inside py3langid and
the word frequency lists that ship inside wordfreq (`word_frequencies`, for Indonesian, Malay
and Tagalog, which py3langid tells apart least well).

Social text carries markup that is no language at all: URLs, @handles, the `#` of hashtags and
emoji. Left in, they pull short posts towards whichever language the model has seen them in
(a handle like `@kopikenangan` reads as Indonesian, a row of emoji flattens every score), so
`strip_markup()` removes them before classifying; a hashtag keeps its words, split at inner
capitals (`#KopiEnakBanget` -> `Kopi Enak Banget`), because they are often the only words.

The model also knows regional varieties and languages that have no ISO 639-1 code. Varieties
are folded into their language (Egyptian and Moroccan Arabic count as `ar`, Cantonese as `zh`),
so the confidence is that of the language as a whole; the rest are left out, and their few
speakers get the nearest language with a code.
"""

from __future__ import annotations

import functools
import math
import re
import threading
import unicodedata
from collections.abc import Collection, Sequence

import numpy as np
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from listening.enrichment import word_frequencies

# Model labels that are varieties of a language with an ISO 639-1 code.
_FOLD = {
    "ary": "ar",  # Moroccan Arabic
    "arz": "ar",  # Egyptian Arabic
    "uzs": "uz",  # Southern Uzbek
    "wuu": "zh",  # Wu Chinese
    "yue": "zh",  # Cantonese
    "sdh": "ku",  # Southern Kurdish
    "gug": "gn",  # Paraguayan Guaraní
    "kik": "ki",  # Gikuyu
    "hbo": "he",  # Biblical Hebrew: modern Hebrew text splits its votes with it
    "grc": "el",  # Ancient Greek, likewise
    "ext": "es",  # Extremaduran
    "lij": "it",  # Ligurian
    "vec": "it",  # Venetian
    "ltg": "lv",  # Latgalian
}
_FOLDED_INTO = frozenset(_FOLD.values())
# "No linguistic content": numbers, symbols, keyboard mashing.
_NO_LANGUAGE = "zxx"
_MIN_LETTERS = 3
# Texts up to this long are walked through the model together; longer ones one by one.
_IN_STEP_MAX_BYTES = 2048
# Texts scored in one pass: bounds the pass's arrays (and keeps its packed sort keys in 63 bits).
_PASS_TEXTS = 1000

_URL = r"(?:https?://|www\.)\S+"
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_HANDLE = r"(?<![\w@])@\w[\w.-]*(?:@[\w-]+(?:\.[\w-]+)+)?"  # @user and Mastodon's @user@host
_EMOJI = r"[\u2190-\u21ff\u2300-\u27bf\u2b00-\u2bff\ufe0f\u200d\U0001f000-\U0001faff]"
_MARKUP = re.compile(f"{_URL}|{_EMAIL}|{_HANDLE}|{_EMOJI}+")
# The same alternation without the branches a text cannot match (no "@": no address or handle;
# no "://" or "www.": no URL). Trying the e-mail branch at every letter of every word is most of
# the cost of a plain sentence; the leftmost match is the same with or without a dead branch.
_MARKUP_BY_SIGNS = {
    (True, True): _MARKUP,
    (True, False): re.compile(f"{_EMAIL}|{_HANDLE}|{_EMOJI}+"),
    (False, True): re.compile(f"{_URL}|{_EMOJI}+"),
    (False, False): re.compile(f"{_EMOJI}+"),
}
_HASHTAG = re.compile(r"#(\w+)")
_INNER_CAPITAL = re.compile(r"(?<=[^\W\d_])(?=[A-Z][a-z])|(?<=[a-z])(?=[A-Z])")
_SPACES = re.compile(r"\s{2,}")


def _hashtag_words(match: re.Match[str]) -> str:
    return _INNER_CAPITAL.sub(" ", match.group(1))


def strip_markup(text: str) -> str:
    """The text without URLs, e-mail addresses, @handles, emoji and hashtag marks."""
    at, link = "@" in text, "://" in text or "www." in text
    if at or link or not text.isascii():  # emoji are never ASCII
        text = _MARKUP_BY_SIGNS[at, link].sub(" ", text)
    if "#" in text:
        text = _HASHTAG.sub(_hashtag_words, text)
    return _SPACES.sub(" ", text).strip()


def _has_letters(text: str, at_least: int) -> bool:
    count = 0
    for char in text:
        if char.isalpha():
            count += 1
            if count >= at_least:
                return True
    return False


_identifier: LanguageIdentifier | None = None
_fold: dict[str, str | None] = {}
_batch: _BatchModel | None = None
_lock = threading.Lock()


def _model_labels() -> tuple[LanguageIdentifier, dict[str, str | None]]:
    """The identifier restricted to labels we can report, and each label's ISO 639-1 code."""
    global _identifier, _fold
    if _identifier is None:
        with _lock:
            if _identifier is None:
                identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                keep = [
                    label
                    for label in identifier.labels
                    if len(label) == 2 or label in _FOLD or label == _NO_LANGUAGE
                ]
                identifier.set_languages(keep)
                # set_languages leaves a column slice of the float16 table: gathering a text's
                # feature rows from it touches a cache line per label. A row-major float32 copy
                # (52 MB) makes each text's product ten times faster, with the same result, since
                # the product casts to float32 anyway.
                identifier.nb_ptc = np.ascontiguousarray(identifier.nb_ptc, dtype=np.float32)
                _fold = {label: _FOLD.get(label, label) for label in keep}
                _fold[_NO_LANGUAGE] = None
                _identifier = identifier
    return _identifier, _fold


class _BatchModel:
    """The identifier's byte automaton as arrays, to walk many texts in step with numpy.

    py3langid walks a text's bytes through its automaton one at a time in Python (about half a
    microsecond a byte) and scores the features met. Walking all texts of a batch together, one
    numpy step per byte position, does the same walk for some tens of nanoseconds a byte; scoring
    then uses the same product as py3langid, text by text and in the same order, so the
    probabilities are the same to the bit.
    """

    def __init__(self, identifier: LanguageIdentifier) -> None:
        self.identifier = identifier
        self.nextmove = np.asarray(memoryview(identifier.tk_nextmove))  # shares py3langid's array
        self.rowbase = np.asarray(identifier.tk_row, dtype=np.int64) << 8
        self.output = np.asarray(identifier.tk_output, dtype=np.int64)
        self.output_list = list(identifier.tk_output)
        self.rowbase_list = [row << 8 for row in identifier.tk_row]
        self.features = int(self.output.max()) + 1
        self.classes = list(identifier.nb_classes)
        first: dict[str, int] = {}
        self.alias_pairs: list[tuple[int, int]] = []
        for index, label in enumerate(self.classes):
            if label in first:
                self.alias_pairs.append((first[label], index))
            else:
                first[label] = index

    def _walk(self, encoded: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
        """(text index, feature) of every feature met, each text's together and in position order."""
        short = [index for index, data in enumerate(encoded) if len(data) <= _IN_STEP_MAX_BYTES]
        texts, features = self._walk_in_step([encoded[index] for index in short])
        texts = np.asarray(short, dtype=np.int64)[texts]
        long = [index for index, data in enumerate(encoded) if len(data) > _IN_STEP_MAX_BYTES]
        if not long:
            return texts, features
        # A rare long text (an e-mail) would widen every step of the batch: walk it alone.
        more_texts, more_features = [texts], [features]
        for index in long:
            found = self._walk_one(encoded[index])
            more_texts.append(np.full(len(found), index, dtype=np.int64))
            more_features.append(np.asarray(found, dtype=np.int64))
        return np.concatenate(more_texts), np.concatenate(more_features)

    def _walk_one(self, data: bytes) -> list[int]:
        nextmove, rowbase, output = self.identifier.tk_nextmove, self.rowbase_list, self.output_list
        state, found = 0, []
        for byte in data:
            state = nextmove[rowbase[state] + byte]
            feature = output[state]
            if feature >= 0:
                found.append(feature)
        return found

    def _walk_in_step(self, encoded: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
        """`_walk` for texts of moderate length: all of them at once, one numpy step a byte."""
        count = len(encoded)
        lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=count)
        if not count or not lengths.any():
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        order = np.argsort(-lengths, kind="stable")  # longest first: the texts still walking are a prefix
        longest = int(lengths[order[0]])
        padded = b"".join(encoded[index].ljust(longest, b"\0") for index in order.tolist())
        by_position = np.ascontiguousarray(np.frombuffer(padded, dtype=np.uint8).reshape(count, longest).T)
        walking = count - np.searchsorted(lengths[order[::-1]], np.arange(longest), side="right")
        states = np.zeros((longest, count), dtype=self.nextmove.dtype)
        state = np.zeros(count, dtype=self.nextmove.dtype)
        nextmove, rowbase = self.nextmove, self.rowbase
        for position, active in enumerate(walking.tolist()):
            state = nextmove[rowbase[state[:active]] + by_position[position, :active]]
            states[position, :active] = state
        found = self.output[states]
        found[np.arange(count)[None, :] >= walking[:, None]] = -1  # past a text's end
        by_text = found.T  # row j: the features of the j-th longest text, in position order
        rows, positions = np.nonzero(by_text >= 0)
        return order[rows], by_text[rows, positions]

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """One row per text, as `identifier._decide(text)` gives it (norm_probs=True)."""
        identifier = self.identifier
        encoded = []
        for text in texts:
            if text.isupper():
                text = text.lower()
            encoded.append(unicodedata.normalize("NFC", text).encode("utf8", errors="surrogatepass"))
        scores = np.zeros((len(texts), len(self.classes)), dtype=np.float32)
        if not texts:
            return scores
        text_of, feature = self._walk(encoded)
        if not len(feature):
            return self._normalised(scores, encoded)
        # Distinct (text, feature) pairs with their counts, each text's in order of first
        # occurrence, as py3langid's Counter yields them (the order of a float sum matters).
        # One sort of (pair, position) packed in an int64 groups each pair's occurrences with the
        # first one leading; placing each group at its first position restores the order.
        occurrences = len(feature)
        shift = max(1, occurrences.bit_length())
        packed = np.sort(((text_of * self.features + feature) << shift) | np.arange(occurrences))
        pairs = packed >> shift
        leads = np.flatnonzero(np.concatenate(([True], pairs[1:] != pairs[:-1])))
        counts = np.diff(np.append(leads, occurrences))
        at_position = np.full(occurrences, -1, dtype=np.int64)
        at_position[packed[leads] & ((1 << shift) - 1)] = np.arange(len(leads))
        in_order = at_position[at_position >= 0]
        keys = pairs[leads][in_order]
        weights = np.log1p(counts[in_order].astype(np.float32))
        owners = keys // self.features
        features = keys % self.features
        bounds = np.flatnonzero(np.diff(owners)) + 1
        starts = np.concatenate(([0], bounds))
        ends = np.concatenate((bounds, [len(keys)]))
        table, matmul = identifier.nb_ptc, np.matmul
        scored = owners[starts]
        for row, start, end in zip(scored.tolist(), starts.tolist(), ends.tolist(), strict=True):
            matmul(weights[start:end], table[features[start:end]], out=scores[row])
        scores[scored] += identifier.nb_pc
        return self._normalised(scores, encoded)

    def _normalised(self, scores: np.ndarray, encoded: list[bytes]) -> np.ndarray:
        # A text without features keeps zeros: a uniform distribution, as in py3langid.
        scale = np.array([1.0 / math.sqrt(len(text) or 1) for text in encoded], dtype=np.float32)
        scores *= scale[:, None]
        np.exp(scores - scores.max(axis=1, keepdims=True), out=scores)
        scores /= scores.sum(axis=1, keepdims=True)
        for first_column, alias in self.alias_pairs:
            scores[:, first_column] += scores[:, alias]
            scores[:, alias] = 0.0
        return scores


def _batch_model() -> _BatchModel:
    global _batch
    if _batch is None:
        identifier, _ = _model_labels()
        with _lock:
            if _batch is None:
                _batch = _BatchModel(identifier)
    return _batch


@functools.cache
def _supported() -> frozenset[str]:
    _, fold = _model_labels()
    return frozenset(code for code in fold.values() if code is not None)


def detect_language(text: str, *, candidates: Collection[str] | None = None) -> tuple[str | None, float]:
    """ISO 639-1 code and confidence in [0, 1]; (None, 0.0) when there is too little to tell.

    `candidates` limits the answer to languages a workspace expects. Short informal Indonesian
    often reads as Javanese or Malay to the model ("Kopi Nusantara enak banget, mantap!" is
    `jv`); with candidates {"id", "en"} it is `id`. The confidence stays the model's probability
    for that language, not renormalised, so a text in none of the candidates keeps a low one.
    """
    return detect_languages([text], candidates=candidates)[0]


def detect_languages(
    texts: Sequence[str], *, candidates: Collection[str] | None = None
) -> list[tuple[str | None, float]]:
    """`detect_language()` for each text, in order; each thousand texts are scored in one pass.

    py3langid answers first; where it is weakest (Indonesian or Malay, and unsure answers) the
    words' frequencies decide again: see `word_frequencies`.
    """
    if candidates is not None:
        unknown = set(candidates) - _supported()
        if unknown:
            raise ValueError(f"unsupported language code(s): {sorted(unknown)}")
    cleaned = [strip_markup(text) for text in texts]
    results = langid_languages(cleaned, candidates=candidates)
    word_frequencies.refine(cleaned, results, candidates)
    return results


def langid_languages(
    cleaned: Sequence[str], *, candidates: Collection[str] | None = None
) -> list[tuple[str | None, float]]:
    """py3langid's answer for each text already without markup, as its own `classify()` and
    `rank()` would give it text by text (summed per code when candidates are given)."""
    results: list[tuple[str | None, float]] = [(None, 0.0)] * len(cleaned)
    todo = [index for index, text in enumerate(cleaned) if _has_letters(text, _MIN_LETTERS)]
    if not todo:
        return results
    _, fold = _model_labels()
    model = _batch_model()
    classes = model.classes
    codes = _code_columns(None if candidates is None else frozenset(candidates))
    for chunk in range(0, len(todo), _PASS_TEXTS):
        indexes = todo[chunk : chunk + _PASS_TEXTS]
        probabilities = model.probabilities([cleaned[index] for index in indexes])
        best = probabilities.argmax(axis=1).tolist()
        for row, (index, top) in enumerate(zip(indexes, best, strict=True)):
            scores = probabilities[row]
            if candidates is None:
                confidence = float(scores[top])
                code = fold[classes[top]]
                if confidence >= 0.5 and code not in _FOLDED_INTO:
                    # A majority label cannot be overtaken by summing the others: skip the ranking.
                    results[index] = (code, min(1.0, confidence))
                    continue
            results[index] = codes.best(scores)
    return results


class _CodeColumns:
    """Which columns of a probability row make up each language code, for picking the code with
    the most probability exactly as summing py3langid's `rank()` per code would: walking the
    ranking in order, adding each label to its code, and keeping the first code that reaches
    the highest total. A code of one label totals that label's probability; a code with
    varieties folded in sums its labels from the most probable down, the order `rank()` gives.
    Ties go to the code ranked first: the higher top label, then the earlier column."""

    def __init__(self, classes: list[str], fold: dict[str, str | None], keep: Collection[str] | None) -> None:
        columns: dict[str | None, list[int]] = {}
        seen: set[str] = set()
        for column, label in enumerate(classes):
            if label in seen:
                continue  # an alias: its probability was added to the label's first column
            seen.add(label)
            code = fold[label]
            if keep is None or code in keep:
                columns.setdefault(code, []).append(column)
        singles = [(cols[0], code) for code, cols in columns.items() if len(cols) == 1]
        self.single_columns = np.array([column for column, _ in singles], dtype=np.intp)
        self.single_codes = [code for _, code in singles]
        self.groups = [(code, cols) for code, cols in columns.items() if len(cols) > 1]

    def best(self, scores: np.ndarray) -> tuple[str | None, float]:
        best: tuple[float, float, int] | None = None
        best_code: str | None = None
        if len(self.single_columns):
            values = scores[self.single_columns]
            top = int(values.argmax())  # the first of equals: the earliest column
            value = float(values[top])
            best, best_code = (value, value, -int(self.single_columns[top])), self.single_codes[top]
        for code, cols in self.groups:
            values = scores[cols].tolist()
            ranked = sorted(values, reverse=True)
            total = 0.0
            for value in ranked:
                total += value
            rank = (total, ranked[0], -cols[values.index(ranked[0])])
            if best is None or rank > best:
                best, best_code = rank, code
        if best is None or best_code is None:
            return None, 0.0
        return best_code, min(1.0, max(0.0, best[0]))


@functools.lru_cache(maxsize=64)
def _code_columns(keep: frozenset[str] | None) -> _CodeColumns:
    _, fold = _model_labels()
    return _CodeColumns(_batch_model().classes, fold, keep)


def __getattr__(name: str) -> frozenset[str]:
    # SUPPORTED_LANGUAGES needs the model, which takes half a second to load: build it on first use.
    if name == "SUPPORTED_LANGUAGES":
        value = _supported()
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
