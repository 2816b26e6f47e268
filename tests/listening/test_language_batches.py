"""py3langid's stage of language detection scores a batch in one pass; its answers are those of
py3langid text by text."""

from __future__ import annotations

import csv
from pathlib import Path

from listening.enrichment.language import (
    _FOLDED_INTO,
    _MIN_LETTERS,
    _has_letters,
    _model_labels,
    detect_languages,
    langid_languages,
    strip_markup,
)

SAMPLE = Path(__file__).parent / "data" / "sentiment_tuning.tsv"
ODD_TEXTS = [
    "",
    "ok",
    "😍😍😍",
    "EVERYTHING IN CAPITALS IS STILL ENGLISH, ISN'T IT",
    "Kopi Nusantara enak banget, mantap!",
    "Check https://t.co/x1 @kopinusantara #KopiEnakBanget 😍",
    "هل عاد المنتج إلى المخزون؟",
    "この店のコーヒーはいつも新鮮です。",
    "kopi " * 600,  # longer than a batch walks in step: walked on its own
    "x",
]


def _one_by_one(text: str, candidates=None) -> tuple[str | None, float]:
    """What detection answered before batches: py3langid's classify/rank on one text."""
    cleaned = strip_markup(text)
    if not _has_letters(cleaned, _MIN_LETTERS):
        return None, 0.0
    identifier, fold = _model_labels()
    if candidates is None:
        label, confidence = identifier.classify(cleaned)
        if confidence >= 0.5 and fold[label] not in _FOLDED_INTO:
            return fold[label], min(1.0, confidence)
    totals: dict[str | None, float] = {}
    for label, probability in identifier.rank(cleaned):
        if candidates is None or fold[label] in candidates:
            totals[fold[label]] = totals.get(fold[label], 0.0) + probability
    if not totals:
        return None, 0.0
    code, confidence = max(totals.items(), key=lambda pair: pair[1])
    return (None, 0.0) if code is None else (code, min(1.0, max(0.0, confidence)))


def _texts() -> list[str]:
    with SAMPLE.open(encoding="utf-8") as lines:
        rows = csv.DictReader((line for line in lines if not line.startswith("#")), delimiter="\t")
        return ODD_TEXTS + [row["text"] for row in rows]


def test_a_batch_answers_exactly_what_each_text_alone_would():
    texts = _texts()
    cleaned = [strip_markup(text) for text in texts]
    assert langid_languages(cleaned) == [_one_by_one(text) for text in texts]


def test_candidates_in_a_batch_answer_as_each_text_alone_would():
    texts = _texts()[:200]
    cleaned = [strip_markup(text) for text in texts]
    assert langid_languages(cleaned, candidates={"id", "ms", "en"}) == [
        _one_by_one(text, {"id", "ms", "en"}) for text in texts
    ]


def test_batches_larger_than_one_pass_keep_their_order():
    texts = _texts()
    many = (texts * (2500 // len(texts) + 1))[:2500]
    assert detect_languages(many) == [detect_languages([text])[0] for text in many]
