"""bench/unspaced_search: how well listening search finds words inside Chinese, Japanese, Thai and
Korean text, and what breaking those texts costs at ingest.

    .venv/bin/python -m bench.unspaced_search [--set heldout|dev] [--repeat 2000]

1. Recall and precision per script on labelled sentences (bench/data/unspaced_search_*.tsv, see
   bench/data/README.md): each row is a query word, a sentence, and whether a reader of the
   language finds that word in it. A row is found when the query matches the sentence through
   `listening.query.matcher` (in-process; tests/listening/test_query.py proves the Explorer's SQL
   selects the same mentions). Printed for the search as it is and, as the baseline, for
   PostgreSQL's simple parser alone (how search worked before search_text), and for breaking Thai
   into character pairs like Chinese instead of into ICU's words (the alternative not taken).
2. Python's cost per mention of the ingest step that changed, in-process on one core: the text's
   lexemes (`tokenize_text`, all there was before) against `document_parts` (its lexemes, its
   search_text and that text's lexemes, as ingest now makes them), per script on the labelled sentences, and on the demo network's mix of
   12 languages (bench/ingest's mentions, 4% Japanese and 4% Thai).
3. PostgreSQL's cost per mention of the generated search vector and its GIN index, old expression
   against new: the same texts inserted (INSERT ... SELECT, one statement, logged table) into a
   table with only that column and index, best of 3. Needs the embedded PostgreSQL (started
   under var/bench unless DATABASE_URL is set).
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from collections import defaultdict
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
SCRIPTS = ("zh", "ja", "th", "ko", "latn")


def labelled(name: str) -> list[dict[str, str]]:
    with open(DATA / f"unspaced_search_{name}.tsv", encoding="utf-8") as rows:
        return list(csv.DictReader(rows, delimiter="\t"))


def _contains(document: list[str], query: list[str]) -> bool:
    separator = "\n"
    return (
        f"{separator}{separator.join(query)}{separator}"
        in f"{separator}{separator.join(document)}{separator}"
    )


def _thai_pairs(text: str) -> str | None:
    """search_text with Thai broken into characters and pairs too (marks kept with their letter)."""
    import re
    import unicodedata

    from listening.query import segments

    def pieces(match: re.Match[str]) -> str:
        clusters: list[str] = []
        for char in match.group():
            if clusters and unicodedata.category(char) == "Mn":
                clusters[-1] += char
            else:
                clusters.append(char)
        spelled = [
            piece for i, c in enumerate(clusters) for piece in (c, c + "".join(clusters[i + 1 : i + 2]))
        ]
        return " " + " ".join(spelled[:-1]) + " "

    if not segments.UNSPACED_CHAR.search(text):
        return None
    return segments._RUN.sub(pieces, text)


def accuracy(rows: list[dict[str, str]]) -> None:
    from listening.query import matcher, parse, tokenize_text

    def as_is(row) -> bool:
        return matcher(parse(row["query"]))({"text": row["text"]})

    def simple_parser_only(row) -> bool:
        return _contains(tokenize_text(row["text"]), tokenize_text(row["query"]))

    def thai_pairs(row) -> bool:
        spelled = _thai_pairs(row["text"]) or ""
        return _contains(
            tokenize_text(row["text"]) + tokenize_text(spelled),
            tokenize_text(_thai_pairs(row["query"]) or row["query"]),
        )

    print(f"1. Recall and precision, {len(rows)} labelled rows (matcher, in-process)")
    print(
        f"   {'script':<7}{'rows':>5}{'relevant':>9}   {'search now':>22}   {'simple parser only':>22}   {'Thai in pairs':>22}"
    )
    for script in SCRIPTS:
        mine = [row for row in rows if row["script"] == script]
        relevant = sum(row["relevant"] == "1" for row in mine)
        cells = []
        for finds in (as_is, simple_parser_only, thai_pairs):
            counts = defaultdict(int)
            for row in mine:
                counts[(finds(row), row["relevant"] == "1")] += 1
            found = counts[(True, True)] + counts[(True, False)]
            recall = counts[(True, True)] / relevant if relevant else 1.0
            precision = f"{counts[(True, True)] / found:4.2f}" if found else "   -"
            cells.append(f"R {recall:4.2f} P {precision} ({counts[(True, False)]} wrong)")
        print(f"   {script:<7}{len(mine):>5}{relevant:>9}   " + "   ".join(f"{cell:>22}" for cell in cells))
    misses = [row for row in rows if as_is(row) != (row["relevant"] == "1")]
    print("   Search now, rows it gets wrong:")
    for row in misses:
        kind = "missed" if row["relevant"] == "1" else "found, not relevant"
        print(f"     {row['script']} {row['query']!r:<12} {kind:<20} {row['text']}")


def _per_mention(texts: list[str], works, repeat: int) -> list[float]:
    """Microseconds per text of each work, the best of 5 rounds; the works take turns within a
    round, so a change in the neighbours' load falls on all of them alike."""
    best = [float("inf")] * len(works)
    for _ in range(5):
        for index, work in enumerate(works):
            started = time.perf_counter()
            for _ in range(repeat):
                for text in texts:
                    work(text)
            best[index] = min(best[index], time.perf_counter() - started)
    return [seconds / (repeat * len(texts)) * 1e6 for seconds in best]


def python_cost(rows: list[dict[str, str]], repeat: int) -> dict[str, list[str]]:
    from bench.ingest import synthetic_items
    from listening.query import document_parts, segments, tokenize_text

    def before(text: str) -> None:
        tokenize_text(text)

    def now(text: str) -> None:
        # Each text as if first seen: Thai runs are not in the word breaker's cache.
        segments._thai_words.cache_clear()
        document_parts(text)

    corpus = {script: sorted({row["text"] for row in rows if row["script"] == script}) for script in SCRIPTS}
    corpus["demo mix"] = [item.text for item, _ in synthetic_items(0, 2000)]
    print(
        f"\n2. Python per mention, microseconds on one core (best of 5 rounds of {repeat} passes; in-process)"
    )
    print("   before: tokenize_text(text); now: document_parts(text), as ingest calls it")
    print(f"   {'texts':<10}{'count':>6}{'chars':>7}{'before':>9}{'now':>9}{'added':>9}")
    for name, texts in corpus.items():
        passes = repeat if name != "demo mix" else max(1, repeat // 50)
        old, new = _per_mention(texts, (before, now), passes)
        chars = sum(map(len, texts)) / len(texts)
        print(f"   {name:<10}{len(texts):>6}{chars:>7.0f}{old:>9.1f}{new:>9.1f}{new - old:>9.1f}")
    return corpus


def postgres_cost(corpus: dict[str, list[str]]) -> None:
    from importlib import import_module

    from django.db import connection

    from listening.query import search_text

    vectors = import_module("listening.migrations.0008_mention_search_text")
    print("\n3. PostgreSQL per mention, microseconds: search vector + GIN index (best of 3; logged table;")
    print("   language left empty, so the language half is the simple configuration's)")
    print(
        f"   {'texts':<10}{'rows':>7}{'old vector':>12}{'new vector':>12}{'distinct lexemes old':>22}{'new':>6}"
    )
    with connection.cursor() as cursor:
        for name, texts in corpus.items():
            rows = (texts * (20_000 // len(texts) + 1))[:20_000]
            cursor.execute("DROP TABLE IF EXISTS bench_unspaced_source")
            cursor.execute("CREATE TABLE bench_unspaced_source (language text, text text, search_text text)")
            cursor.execute(
                "INSERT INTO bench_unspaced_source SELECT '', t, s FROM unnest(%s::text[], %s::text[]) AS u(t, s)",
                [rows, [search_text(text) for text in rows]],
            )
            expressions = (vectors.OLD_SEARCH_VECTOR, vectors.SEARCH_VECTOR)
            best, lexemes = [float("inf")] * 2, [0.0] * 2
            for _ in range(3):  # the two take turns, so the neighbours' load falls on both alike
                for index, expression in enumerate(expressions):
                    cursor.execute("DROP TABLE IF EXISTS bench_unspaced_target")
                    cursor.execute(
                        "CREATE TABLE bench_unspaced_target (language text, text text, search_text text, "
                        f"search_vector tsvector GENERATED ALWAYS AS ({expression}) STORED)"
                    )
                    cursor.execute("CREATE INDEX ON bench_unspaced_target USING gin (search_vector)")
                    cursor.execute("CHECKPOINT")
                    started = time.perf_counter()
                    cursor.execute("INSERT INTO bench_unspaced_target SELECT * FROM bench_unspaced_source")
                    best[index] = min(best[index], time.perf_counter() - started)
                    cursor.execute("SELECT avg(length(search_vector)) FROM bench_unspaced_target")
                    lexemes[index] = float(cursor.fetchone()[0])
            figures = [
                (seconds / len(rows) * 1e6, count) for seconds, count in zip(best, lexemes, strict=True)
            ]
            (old, old_lexemes), (new, new_lexemes) = figures
            print(
                f"   {name:<10}{len(rows):>7}{old:>12.1f}{new:>12.1f}{old_lexemes:>22.1f}{new_lexemes:>6.1f}"
            )
        cursor.execute("DROP TABLE bench_unspaced_target")
        cursor.execute("DROP TABLE bench_unspaced_source")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=("heldout", "dev"), default="heldout")
    parser.add_argument("--repeat", type=int, default=2000, help="passes over each script's sentences")
    parser.add_argument("--no-postgres", action="store_true", help="skip part 3")
    args = parser.parse_args()
    if args.no_postgres:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxm.settings")
        import django

        django.setup()
    else:
        from bench.common import setup_django

        setup_django()
    rows = labelled(args.set)
    accuracy(rows)
    corpus = python_cost(rows, args.repeat)
    if not args.no_postgres:
        postgres_cost(corpus)
    print(f"\nload average {'/'.join(f'{value:.2f}' for value in os.getloadavg())}")


if __name__ == "__main__":
    main()
