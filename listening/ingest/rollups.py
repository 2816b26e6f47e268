"""The daily roll-ups a batch updates in its own transaction: mentions per day, per author, per
term and per tag, summed in Python into one upsert per table."""

from __future__ import annotations

from collections import Counter
from datetime import UTC
from itertools import repeat
from typing import Any

from django.db import connection

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "from",
        "has",
        "have",
        "i",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "not",
        "of",
        "on",
        "or",
        "our",
        "so",
        "that",
        "the",
        "this",
        "to",
        "was",
        "we",
        "were",
        "will",
        "with",
        "you",
        "your",
        "yang",
        "dan",
        "di",
        "ke",
        "dari",
        "ini",
        "itu",
        "untuk",
        "dengan",
        "tidak",
        "ada",
        "saya",
        "aku",
        "kamu",
        "anda",
        "juga",
        "sudah",
        "akan",
        "bisa",
        "atau",
        "pada",
        "karena",
        "jadi",
        "kalau",
        "sama",
        "lagi",
        "banget",
        "nya",
        "dong",
        "sih",
        "deh",
        "kok",
        "yg",
        "gak",
        "ga",
        "nggak",
        "el",
        "la",
        "los",
        "las",
        "de",
        "del",
        "que",
        "en",
        "es",
        "un",
        "una",
        "y",
        "por",
        "con",
        "para",
        "lo",
        "se",
        "le",
        "les",
        "des",
        "du",
        "et",
        "est",
        "une",
        "dans",
        "pas",
    ]
)


def roll_up(workspace_id: int, rows: list[dict[str, Any]]) -> None:
    """Fold the batch into the daily roll-ups with one upsert per table."""
    # Each key's sums in a list: one dict look-up per row and key rather than one per measure.
    daily: dict[tuple, list] = {}  # key -> [mentions, needs_answer, answered, sentiment_sum]
    authors: dict[tuple, list] = {}  # key -> [mentions, positive, negative, customer_id]
    terms: Counter = Counter()
    tags: dict[tuple, list] = {}  # key -> [mentions, negative]
    for row in rows:
        day = row["created_at"].astimezone(UTC).date()
        sentiment = row["sentiment"]
        negative = sentiment == "negative"
        base = (
            row["brand_id"] or 0,
            row["platform"],
            row["language"],
            sentiment,
            row["media_type"],
            row["country"],
        )
        for topic_id in (0, *row["topic_ids"]):
            key = (day, topic_id, *base)
            sums = daily.get(key)
            if sums is None:
                daily[key] = [1, int(row["needs_answer"]), 0, 0 + row["sentiment_score"]]
            else:
                sums[0] += 1
                sums[1] += row["needs_answer"]
                sums[3] += row["sentiment_score"]
        author_key = (day, row["platform"], row["author_handle"])
        sums = authors.get(author_key)
        if sums is None:
            authors[author_key] = sums = [0, 0, 0, None]
        sums[0] += 1
        sums[1] += sentiment == "positive"
        sums[2] += negative
        sums[3] = row["customer_id"]
        row_terms = row["_terms"]
        if row_terms:
            terms.update(zip(repeat(day, len(row_terms)), row_terms, strict=True))
        for tag in row["tags"]:
            sums = tags.get((day, tag))
            if sums is None:
                tags[(day, tag)] = sums = [0, 0]
            sums[0] += 1
            sums[1] += negative
    if any(len(term) > 100 for _, term in terms):
        # The roll-up keeps 100 characters of a term; longer ones that agree that far count as one.
        truncated: Counter = Counter()
        for (day, term), count in terms.items():
            truncated[(day, term[:100])] += count
        terms = truncated
    # Top terms keep the batch's heavy hitters only: the long tail of one-off words would make
    # the roll-up as big as the mentions themselves.
    top_terms = dict(terms.most_common(200))
    with connection.cursor() as cursor:
        # Every upsert below takes its rows in sorted key order: two batches touching the same
        # days, topics and authors then lock them in the same order and wait, never deadlock.
        keys = sorted(daily)
        sums = [daily[key] for key in keys]
        cursor.execute(
            """
            INSERT INTO listening_mention_daily AS d (workspace_id, day, topic_id, brand_id, platform, language,
                sentiment, media_type, country, mentions, needs_answer, answered, sentiment_sum)
            SELECT %s, * FROM unnest(%s::date[], %s::int[], %s::bigint[], %s::text[], %s::text[], %s::text[],
                %s::text[], %s::text[], %s::bigint[], %s::bigint[], %s::bigint[], %s::float8[])
            ON CONFLICT (workspace_id, day, topic_id, brand_id, platform, language, sentiment, media_type, country)
            DO UPDATE SET mentions = d.mentions + EXCLUDED.mentions,
                needs_answer = d.needs_answer + EXCLUDED.needs_answer,
                answered = d.answered + EXCLUDED.answered, sentiment_sum = d.sentiment_sum + EXCLUDED.sentiment_sum
            """,
            [
                workspace_id,
                *[[key[i] for key in keys] for i in range(8)],
                *[[total[i] for total in sums] for i in range(4)],
            ],
        )
        akeys = sorted(authors)
        asums = [authors[key] for key in akeys]
        cursor.execute(
            """
            INSERT INTO listening_author_daily AS a (workspace_id, day, platform, author_handle, customer_id,
                mentions, positive, negative)
            SELECT %s, * FROM unnest(%s::date[], %s::text[], %s::text[], %s::bigint[], %s::bigint[], %s::bigint[],
                %s::bigint[])
            ON CONFLICT (workspace_id, day, platform, author_handle) DO UPDATE SET
                mentions = a.mentions + EXCLUDED.mentions, positive = a.positive + EXCLUDED.positive,
                negative = a.negative + EXCLUDED.negative, customer_id = EXCLUDED.customer_id
            """,
            [
                workspace_id,
                [k[0] for k in akeys],
                [k[1] for k in akeys],
                [k[2] for k in akeys],
                [s[3] for s in asums],
                [s[0] for s in asums],
                [s[1] for s in asums],
                [s[2] for s in asums],
            ],
        )
        if top_terms:
            tkeys = sorted(top_terms)
            cursor.execute(
                """
                INSERT INTO listening_term_daily AS t (workspace_id, day, term, mentions)
                SELECT %s, * FROM unnest(%s::date[], %s::text[], %s::bigint[])
                ON CONFLICT (workspace_id, day, term) DO UPDATE SET mentions = t.mentions + EXCLUDED.mentions
                """,
                [workspace_id, [k[0] for k in tkeys], [k[1] for k in tkeys], [top_terms[k] for k in tkeys]],
            )
        if tags:
            gkeys = sorted(tags)
            cursor.execute(
                """
                INSERT INTO listening_tag_daily AS g (workspace_id, day, tag, mentions, negative)
                SELECT %s, * FROM unnest(%s::date[], %s::text[], %s::bigint[], %s::bigint[])
                ON CONFLICT (workspace_id, day, tag) DO UPDATE SET mentions = g.mentions + EXCLUDED.mentions,
                    negative = g.negative + EXCLUDED.negative
                """,
                [
                    workspace_id,
                    [k[0] for k in gkeys],
                    [k[1] for k in gkeys],
                    [tags[k][0] for k in gkeys],
                    [tags[k][1] for k in gkeys],
                ],
            )
