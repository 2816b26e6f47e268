"""Scoring enrichment against labelled sets: accuracy per language, macro-F1, coverage.

The sets live in tests/listening/data/ (each file's header says where its rows come from and
whether it is for tuning or held out); the accuracy tests and the bench/ scripts that print
docs/performance.md's figures both score through these functions, so they agree.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[2] / "tests" / "listening" / "data"
LABELS = ("positive", "neutral", "negative")
UNKNOWN = "unknown"


def read_rows(name: str | Path) -> list[dict[str, str]]:
    """The rows of a tab-separated set under DATA_DIR (or at a path), skipping `#` comments."""
    path = name if isinstance(name, Path) else DATA_DIR / name
    with path.open(encoding="utf-8") as lines:
        return list(csv.DictReader((line for line in lines if not line.startswith("#")), delimiter="\t"))


def language_accuracy(
    rows: Sequence[dict[str, str]], detect: Callable[[list[str]], list[tuple[str | None, float]]]
) -> dict[str, float]:
    """Share of each language's rows that `detect` answers with that language."""
    answers = detect([row["text"] for row in rows])
    correct: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    for row, (code, _) in zip(rows, answers, strict=True):
        total[row["language"]] += 1
        correct[row["language"]] += code == row["language"]
    return {language: correct[language] / total[language] for language in total}


@dataclass(frozen=True)
class SentimentScore:
    rows: int
    answered: int  # rows not labelled unknown
    accuracy: float  # of the answered rows; 0.0 when none was answered
    macro_f1: float  # over positive, neutral and negative, of the answered rows

    @property
    def coverage(self) -> float:
        return self.answered / self.rows if self.rows else 0.0


def sentiment_score(pairs: Iterable[tuple[str, str]]) -> SentimentScore:
    """Accuracy and macro-F1 of (expected, predicted) label pairs, abstentions set aside.

    An abstention ("unknown") is neither right nor wrong: it lowers coverage instead. Macro-F1
    averages the three classes' F1 over the answered rows, so a classifier that calls everything
    neutral scores low even where most rows are neutral.
    """
    pairs = list(pairs)
    answered = [(expected, predicted) for expected, predicted in pairs if predicted != UNKNOWN]
    if not answered:
        return SentimentScore(len(pairs), 0, 0.0, 0.0)
    correct = sum(expected == predicted for expected, predicted in answered)
    f1s = []
    for label in LABELS:
        true_pos = sum(e == label and p == label for e, p in answered)
        predicted = sum(p == label for _, p in answered)
        actual = sum(e == label for e, _ in answered)
        precision = true_pos / predicted if predicted else 0.0
        recall = true_pos / actual if actual else 0.0
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return SentimentScore(len(pairs), len(answered), correct / len(answered), sum(f1s) / len(f1s))


def sentiment_by_language(
    rows: Sequence[dict[str, str]], classify: Callable[[list[str], list[str | None]], list[tuple[str, float]]]
) -> dict[str, SentimentScore]:
    """`sentiment_score` per language of rows with language, label and text columns."""
    results = classify([row["text"] for row in rows], [row["language"] for row in rows])
    pairs: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row, (label, _) in zip(rows, results, strict=True):
        pairs[row["language"]].append((row["label"], label))
    return {language: sentiment_score(found) for language, found in pairs.items()}
