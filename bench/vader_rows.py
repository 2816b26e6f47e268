"""Labelled English rows drawn from the VADER ground truth that ships in vaderSentiment's sdist.

    .venv/bin/pip download --no-deps --no-binary :all: -d /tmp/vader vaderSentiment==3.3.2
    .venv/bin/python -m bench.vader_rows /tmp/vader/vaderSentiment-3.3.2.tar.gz \\
        --corpus amazonReviewSnippets --count 200 --seed 1 > rows.tsv

The sdist's additional_resources/hutto_ICWSM_2014.tar.gz holds the four corpora of Hutto &
Gilbert, "VADER: A Parsimonious Rule-based Model for Sentiment Analysis of Social Media Text"
(ICWSM 2014), MIT licence: each sentence with the mean of about 20 people's ratings from -4
to +4. A mean of +1 or more is labelled positive, -1 or less negative, within ±0.5 neutral;
sentences in between are left out as the raters' own doubt. Rows print as
`en<TAB>label<TAB>vader:<corpus>:<sentence id><TAB>text`, sampled with the given seed.
"""

from __future__ import annotations

import argparse
import io
import random
import tarfile

INNER = "additional_resources/hutto_ICWSM_2014.tar.gz"


def label(mean: float) -> str | None:
    if mean >= 1.0:
        return "positive"
    if mean <= -1.0:
        return "negative"
    if abs(mean) <= 0.5:
        return "neutral"
    return None


def rows(sdist: str, corpus: str) -> list[tuple[str, str, str]]:
    """(sentence id, label, text) of every sentence of the corpus with a label."""
    with tarfile.open(sdist) as outer:
        member = next(m for m in outer.getmembers() if m.name.endswith(INNER))
        inner_bytes = outer.extractfile(member).read()
    with tarfile.open(fileobj=io.BytesIO(inner_bytes)) as inner:
        member = next(m for m in inner.getmembers() if m.name.endswith(f"{corpus}_GroundTruth.txt"))
        text = inner.extractfile(member).read().decode("utf-8", errors="replace")
    found = []
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) < 3 or not parts[2].strip():
            continue
        found_label = label(float(parts[1]))
        if found_label:
            found.append((parts[0], found_label, " ".join(parts[2].split())))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sdist")
    parser.add_argument("--corpus", default="amazonReviewSnippets", help="tweets, amazonReviewSnippets, ...")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--exclude", type=int, default=0, help="skip the first N of the shuffled order")
    args = parser.parse_args()
    found = rows(args.sdist, args.corpus)
    random.Random(args.seed).shuffle(found)
    for sentence_id, found_label, text in found[args.exclude : args.exclude + args.count]:
        print(f"en\t{found_label}\tvader:{args.corpus}:{sentence_id}\t{text}")


if __name__ == "__main__":
    main()
