"""Language detection: accuracy per language and speed, for each candidate detector.

    .venv/bin/python -m bench.language_accuracy [--mentions 20000]

Candidates, each given the texts without markup (`strip_markup`), as ingest gives them:

- `py3langid`: py3langid alone (the batch walk of `langid_languages`), what ingest ran before;
- `lingua`: lingua-language-detector, all its 75 languages, high accuracy mode, its batch API
  (`detect_languages_in_parallel_of`, which uses every core);
- `py3langid+lingua`: py3langid, then lingua restricted to en/id/ms/tl deciding again the texts
  py3langid calls id, ms, tl, jv or su (lingua only where py3langid is weak);
- `py3langid+wordfreq`: py3langid, then word frequencies (listening/enrichment/word_frequencies.py)
  deciding again id/ms answers and unsure ones: `detect_languages`, what ingest runs.

lingua is not a dependency of the product; install it to compare (`.venv/bin/pip install
lingua-language-detector`), else its rows are skipped. Accuracy is printed on the held-out set
(tests/listening/data/language_heldout.tsv, never tuned on) and on the tuning set (the demo
generator's texts and language_tuning.tsv, which chose word_frequencies' thresholds). Speed:
in-process, one call per 1,000 mentions of the demo network's stream (bench.ingest's generator,
12 languages), after a warm-up; mentions per second of wall time and CPU microseconds per
mention, the round with the least CPU of three (lingua's parallel batches use both cores, so its CPU
time is the one to compare; it is timed on a tenth of the mentions).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

BATCH = 1000
ROUNDS = 3
SPLIT_BY_LINGUA = {"id", "ms", "tl", "jv", "su"}


def _candidates() -> dict[str, Callable[[list[str]], list[str | None]]]:
    from listening.enrichment import word_frequencies
    from listening.enrichment.language import langid_languages

    def langid(texts):
        return [code for code, _ in langid_languages(texts)]

    def hybrid_wordfreq(texts):
        results = langid_languages(texts)
        word_frequencies.refine(texts, results)
        return [code for code, _ in results]

    found = {"py3langid": langid}
    try:
        from lingua import Language, LanguageDetectorBuilder
    except ImportError:
        print("lingua-language-detector is not installed: its candidates are skipped")
    else:
        everything = LanguageDetectorBuilder.from_all_languages().with_preloaded_language_models().build()
        nearby = (
            LanguageDetectorBuilder.from_languages(
                Language.ENGLISH, Language.INDONESIAN, Language.MALAY, Language.TAGALOG
            )
            .with_preloaded_language_models()
            .build()
        )

        def iso(language):
            return None if language is None else language.iso_code_639_1.name.lower()

        def lingua(texts):
            return [iso(language) for language in everything.detect_languages_in_parallel_of(texts)]

        def hybrid_lingua(texts):
            codes = langid(texts)
            again = [index for index, code in enumerate(codes) if code in SPLIT_BY_LINGUA]
            decided = nearby.detect_languages_in_parallel_of([texts[index] for index in again])
            for index, language in zip(again, decided, strict=True):
                codes[index] = iso(language)
            return codes

        found["lingua"] = lingua
        found["py3langid+lingua"] = hybrid_lingua
    found["py3langid+wordfreq"] = hybrid_wordfreq
    return found


def _tuning_rows() -> list[dict[str, str]]:
    from cxm.channels.connectors import demo_texts
    from listening.enrichment.evaluation import read_rows

    rows = []
    brands = list(demo_texts.PRODUCTS)
    for table in (
        demo_texts.TEXTS,
        demo_texts.WHATSAPP_TEXTS,
        demo_texts.INSTAGRAM_COMMENTS,
        demo_texts.YOUTUBE_COMMENTS,
    ):
        for language, by_sentiment in table.items():
            for sentiment, templates in by_sentiment.items():
                for n, template in enumerate(templates):
                    brand = brands[n % len(brands)]
                    products = demo_texts.PRODUCTS[brand]
                    people = demo_texts.PEOPLE[language]
                    text = template.format(
                        brand=brand, product=products[n % len(products)], city=people[n % len(people)].city
                    )
                    rows.append({"language": language, "label": sentiment, "text": text})
    return rows + read_rows("language_tuning.tsv")


def _accuracy(name: str, rows, detect) -> None:
    from listening.enrichment.evaluation import language_accuracy

    accuracy = language_accuracy(rows, lambda texts: [(code, 1.0) for code in detect(texts)])
    overall = sum(accuracy[lang] * sum(r["language"] == lang for r in rows) for lang in accuracy) / len(rows)
    cells = " ".join(f"{lang} {accuracy[lang]:.2f}" for lang in sorted(accuracy))
    print(f"  {name:20} all {overall:.3f} | {cells}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mentions", type=int, default=20_000, help="mentions timed per candidate")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxm.settings")
    import django

    django.setup()
    from bench.ingest import synthetic_items
    from listening.enrichment.evaluation import read_rows
    from listening.enrichment.language import strip_markup

    print(f"load average {os.getloadavg()}, {os.cpu_count()} cores")
    candidates = _candidates()
    sets = {
        "held-out (language_heldout.tsv)": read_rows("language_heldout.tsv"),
        "tuning (demo texts + language_tuning.tsv)": _tuning_rows(),
    }
    for title, rows in sets.items():
        rows = [dict(row, text=strip_markup(row["text"])) for row in rows]
        print(f"accuracy on {title}, {len(rows)} rows:")
        for name, detect in candidates.items():
            _accuracy(name, rows, detect)

    texts = [strip_markup(item.text) for item, _ in synthetic_items(0, args.mentions)]
    print(f"speed on demo mentions, batches of {BATCH}, in-process, best of {ROUNDS} rounds:")
    for name, detect in candidates.items():
        # lingua with all its languages takes milliseconds a text: a tenth of the texts does.
        timed = texts[: len(texts) // 10] if name == "lingua" else texts
        detect(timed[:BATCH])  # warm-up: models loaded, caches filled
        best = None
        for _ in range(ROUNDS):
            cpu, started = time.process_time(), time.perf_counter()
            for start in range(0, len(timed), BATCH):
                detect(timed[start : start + BATCH])
            found = (time.perf_counter() - started, time.process_time() - cpu)
            best = found if best is None or found[1] < best[1] else best
        wall, cpu = best
        print(
            f"  {name:20} {len(timed):6} mentions: {len(timed) / wall:9,.0f} mentions/s wall, "
            f"{cpu / len(timed) * 1e6:7.1f} µs CPU per mention"
        )
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
