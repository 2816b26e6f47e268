"""Language identification for mentions, offline, with the model that ships inside py3langid.

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
import re
import threading
from collections.abc import Collection, Sequence

from py3langid.langid import MODEL_FILE, LanguageIdentifier

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

_URL = r"(?:https?://|www\.)\S+"
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_HANDLE = r"(?<![\w@])@\w[\w.-]*(?:@[\w-]+(?:\.[\w-]+)+)?"  # @user and Mastodon's @user@host
_EMOJI = r"[\u2190-\u21ff\u2300-\u27bf\u2b00-\u2bff\ufe0f\u200d\U0001f000-\U0001faff]"
_MARKUP = re.compile(f"{_URL}|{_EMAIL}|{_HANDLE}|{_EMOJI}+")
_HASHTAG = re.compile(r"#(\w+)")
_INNER_CAPITAL = re.compile(r"(?<=[^\W\d_])(?=[A-Z][a-z])|(?<=[a-z])(?=[A-Z])")
_SPACES = re.compile(r"\s{2,}")


def _hashtag_words(match: re.Match[str]) -> str:
    return _INNER_CAPITAL.sub(" ", match.group(1))


def strip_markup(text: str) -> str:
    """The text without URLs, e-mail addresses, @handles, emoji and hashtag marks."""
    text = _MARKUP.sub(" ", text)
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
                _fold = {label: _FOLD.get(label, label) for label in keep}
                _fold[_NO_LANGUAGE] = None
                _identifier = identifier
    return _identifier, _fold


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
    if candidates is not None:
        unknown = set(candidates) - _supported()
        if unknown:
            raise ValueError(f"unsupported language code(s): {sorted(unknown)}")
    cleaned = strip_markup(text)
    if not _has_letters(cleaned, _MIN_LETTERS):
        return None, 0.0
    identifier, fold = _model_labels()
    if candidates is None:
        label, confidence = identifier.classify(cleaned)
        code = fold[label]
        if confidence >= 0.5 and code not in _FOLDED_INTO:
            # A majority label cannot be overtaken by summing the others: skip the full ranking.
            return code, min(1.0, confidence)
    totals: dict[str | None, float] = {}
    for label, probability in identifier.rank(cleaned):
        code = fold[label]
        if candidates is None or code in candidates:
            totals[code] = totals.get(code, 0.0) + probability
    if not totals:
        return None, 0.0
    code, confidence = max(totals.items(), key=lambda pair: pair[1])
    if code is None:
        return None, 0.0
    return code, min(1.0, max(0.0, confidence))


def detect_languages(
    texts: Sequence[str], *, candidates: Collection[str] | None = None
) -> list[tuple[str | None, float]]:
    """`detect_language()` for each text, in order."""
    return [detect_language(text, candidates=candidates) for text in texts]


def __getattr__(name: str) -> frozenset[str]:
    # SUPPORTED_LANGUAGES needs the model, which takes half a second to load: build it on first use.
    if name == "SUPPORTED_LANGUAGES":
        value = _supported()
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
