"""Indonesian, Malay, Tagalog and English told apart by how often each word is used in each.

py3langid scores character n-grams. Indonesian and Malay share most of theirs, so it splits
them nearly at random on a short post ("dah sampai, terima kasih" reads as Indonesian), and a
very short Tagalog post ("salamat po", "sana all") gets whatever language is least unlikely.
What tells them apart is the words: Malay writes "tak", "dah", "nak", "kerana", Indonesian
"nggak", "udah", "mau", "karena", Tagalog "po", "yung", "naman". The word frequency lists that
ship inside the `wordfreq` package (Wikipedia, subtitles and Twitter for these languages)
say how often each word is written in each language; a text's score in a language is the sum
of its words' log frequencies there, naive Bayes with a floor for words a list lacks.

`refine()` applies it after py3langid, where py3langid is weakest:

* an answer of Indonesian or Malay is decided again between the two, always;
* an answer below `UNSURE` confidence is decided again among English, Indonesian, Malay and
  Tagalog, if at least `MIN_KNOWN` of its words are in those lists and the best language leads
  the next by `MIN_LEAD` decades; otherwise py3langid's answer stands.

The three numbers were chosen on the tuning set (the demo generator's texts and
tests/listening/data/language_tuning.tsv), never on the held-out set; `bench/language_accuracy.py`
prints both.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Collection, Sequence

# wordfreq's code for Tagalog is "fil" (Filipino, its standard form).
_LISTS = {"en": "en", "id": "id", "ms": "ms", "tl": "fil"}
LANGUAGES = tuple(_LISTS)
_SPLIT = ("id", "ms")
UNSURE = 0.5
MIN_KNOWN = 0.8
MIN_LEAD = 0.5
# log10 of the frequency given to a word missing from one list but found in another: about the
# least frequent word the small lists keep.
_FLOOR = -7.0
_WORD = re.compile(r"[^\W\d_]+")

_lock = threading.Lock()
_logs: dict[str, tuple[float, ...]] | None = None


def _word_logs() -> dict[str, tuple[float, ...]]:
    """Each word of any list -> its log10 frequency in each of LANGUAGES (the floor where absent)."""
    global _logs
    if _logs is None:
        with _lock:
            if _logs is None:
                import wordfreq  # loads ftfy and regex too: only when a text needs it

                lists = [wordfreq.get_frequency_dict(_LISTS[code], wordlist="small") for code in LANGUAGES]
                words = set().union(*lists)
                _logs = {
                    word: tuple(math.log10(f) if (f := freqs.get(word)) else _FLOOR for freqs in lists)
                    for word in words
                }
    return _logs


def _scores(text: str, columns: Sequence[int]) -> tuple[list[float], int, int]:
    """Summed log frequencies per column, how many words any list knows, how many words."""
    logs = _word_logs()
    totals = [0.0] * len(columns)
    known = count = 0
    for word in _WORD.findall(text.lower()):
        count += 1
        row = logs.get(word)
        if row is None:
            continue
        known += 1
        for position, column in enumerate(columns):
            totals[position] += row[column]
    return totals, known, count


def _posterior(totals: list[float], best: int) -> float:
    return 1.0 / sum(10.0 ** (total - totals[best]) for total in totals)


def refine(
    cleaned: Sequence[str],
    results: list[tuple[str | None, float]],
    candidates: Collection[str] | None = None,
) -> None:
    """Decide again, in place, the answers py3langid gives least reliably (see the module doc).

    `cleaned` are the texts without markup, `results` py3langid's (code, confidence) for them.
    A split keeps py3langid's confidence for the pair, shared by the words' odds; an unsure
    answer replaced gets the words' odds alone.
    """
    allowed = [code for code in LANGUAGES if candidates is None or code in candidates]
    if not allowed:
        return
    split = [LANGUAGES.index(code) for code in _SPLIT if code in allowed]
    unsure = [LANGUAGES.index(code) for code in allowed]
    for index, (code, confidence) in enumerate(results):
        if code in _SPLIT and len(split) == 2:
            totals, _, _ = _scores(cleaned[index], split)
            best = 0 if totals[0] >= totals[1] else 1
            results[index] = (LANGUAGES[split[best]], confidence * _posterior(totals, best))
        elif code is not None and confidence < UNSURE and len(unsure) >= 2:
            totals, known, count = _scores(cleaned[index], unsure)
            if not count or known < MIN_KNOWN * count:
                continue
            ranked = sorted(range(len(unsure)), key=totals.__getitem__, reverse=True)
            if totals[ranked[0]] - totals[ranked[1]] >= MIN_LEAD:
                results[index] = (LANGUAGES[unsure[ranked[0]]], _posterior(totals, ranked[0]))
