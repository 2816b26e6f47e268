"""bench/ads_variants: generate and validate 100,000 creative variants (1,000 feed rows x 10
segments x 5 languages x 2 formats), then check each against a country's compliance pack.

    .venv/bin/python -m bench.ads_variants
    .venv/bin/python -m bench.ads_variants --rows 1000 --tracemalloc

No database. The feed is written as CSV in memory and parsed (10 bad rows among 1,010, reported
and skipped; 10 of the 1,000 good rows say the same under different ids, so deduplication has
work; an empty promo in every 100th row leaves a placeholder without a value). Languages
are English, Indonesian, Japanese (CJK), Arabic (right to left) and Spanish; product names carry
emoji, some are long enough to pass the headline recommendation, some story images have the wrong
aspect. Variants are streamed: nothing holds them all. Peak memory is the process's maximum
resident set (getrusage), and with --tracemalloc the Python heap's peak too (slower: tracing costs
about 2x).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import resource
import time
import tracemalloc
from collections import Counter

from ads.compliance import check
from ads.variants import GenerationStats, Segment, Template, generate_variants, load_feed_csv

CITIES = ["Jakarta", "Bandung", "Surabaya", "Medan", "Makassar"]
AGE_BANDS = ["18-24", "25-34"]
WORDS = ["Kopi", "Teh", "Roti", "Sambal", "Batik", "Sepatu", "Tas", "Jam", "Kemeja", "Payung"]
EMOJI = ["", "", " ☕", " 👟", " 👨‍👩‍👧", " 🇮🇩", " 👍🏽"]


def feed_csv(rows: int, rng: random.Random) -> str:
    out = io.StringIO()
    out.write(
        "id,product,price,currency,link,image_url,image_width,image_height,story_image_url,story_image_width,story_image_height,promo\n"
    )
    originals = rows - 10
    for i in range(originals):
        name = f"{rng.choice(WORDS)} {rng.choice(WORDS).lower()} {i}{rng.choice(EMOJI)}"
        if i % 50 == 0:
            name += " edisi spesial terbatas dengan bonus tas kanvas eksklusif"  # long headline
        price = rng.randrange(5, 500) * 1000
        story_h = 1920 if i % 40 else 1080  # every 40th story image is square: aspect error
        promo = "" if i % 100 == 7 else "Harga terbaik" if i % 25 == 3 else "Gratis ongkir"
        out.write(
            f"p{i},{name},{price},IDR,https://shop.example/p/{i},https://cdn.example/{i}.jpg,1080,1080,"
            f"https://cdn.example/{i}-story.jpg,1080,{story_h},{promo}\n"
        )
    for i in range(10):  # the same content as another row under another id: deduplicated
        out.write(
            f"dup{i},Kopi susu,1000,IDR,https://shop.example/p/dup,https://cdn.example/dup.jpg,1080,1080,"
            f"https://cdn.example/dup-story.jpg,1080,1920,Gratis ongkir\n"
        )
    for i in range(10):  # bad rows: reported, skipped
        out.write(f"bad{i},Broken {i},{'12.50' if i % 2 else 'abc'},IDR,https://x.example,,,,,,,\n")
    return out.getvalue()


TEMPLATE = Template(
    name="bench",
    primary_text="{{product}} cuma {{price}} buat kamu di {{city}} ({{age_band}})! {{promo}} ✨",
    headline="{{product}}",
    description='{{promo|default:"Belanja sekarang"}}',
    call_to_action="SHOP_NOW",
    link="{{link}}?utm_source=meta&city={{city|lower}}",
    image="{{image_url}}",
    format_images={"story": "{{story_image_url}}"},
    translations={
        "en": {"primary_text": "{{product}} for only {{price}} in {{city}}, ages {{age_band}}. {{promo}}!"},
        "ja": {
            "primary_text": "{{city}}の{{age_band}}歳のあなたへ\uff1a{{product}}がたった{{price}}\uff01{{promo}}",
            "description": "今すぐ購入",
        },
        "ar": {
            "primary_text": "{{product}} بسعر {{price}} فقط في {{city}} للفئة {{age_band}}! {{promo}}",
            "description": "تسوق الآن",
        },
        "es": {"primary_text": "{{product}} por solo {{price}} en {{city}} ({{age_band}}). ¡{{promo}}!"},
    },
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--country", default="ID", help="compliance pack to check against ('' to skip)")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace the Python heap's peak")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    segments = [Segment(f"{c.lower()}-{a}", {"city": c, "age_band": a}) for c in CITIES for a in AGE_BANDS]
    languages = ["en", "id", "ja", "ar", "es"]
    formats = ["feed_square", "story"]
    text = feed_csv(args.rows, random.Random(args.seed))
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if args.tracemalloc:
        tracemalloc.start()

    started = time.perf_counter()
    feed = load_feed_csv(io.StringIO(text))
    parsed = time.perf_counter()
    stats = GenerationStats()
    violations: Counter = Counter()
    blocked = 0
    for variant in generate_variants(
        template=TEMPLATE,
        feed=feed,
        segments=segments,
        languages=languages,
        formats=formats,
        platform="meta",
        stats=stats,
    ):
        if args.country:
            found = check(variant, args.country, ("retail",), platform="meta")
            for violation in found:
                violations[violation.rule_id] += 1
            blocked += any(v.blocks for v in found)
    elapsed = time.perf_counter() - started
    heap_peak = tracemalloc.get_traced_memory()[1] if args.tracemalloc else None
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    print(
        f"feed: {len(feed.rows)} rows kept, {len(feed.errors)} errors "
        f"(e.g. {feed.errors[0] if feed.errors else '-'}), parsed in {parsed - started:.2f} s"
    )
    print(
        f"combinations {stats.combinations:,} ({len(feed.rows)} rows x {len(segments)} segments x "
        f"{len(languages)} languages x {len(formats)} formats); variants {stats.variants:,}; "
        f"duplicates dropped {stats.duplicates:,}"
    )
    print(f"variants with errors {stats.with_errors:,}, with warnings {stats.with_warnings:,}")
    for (code, field), count in stats.issues.most_common():
        print(f"  {code:<24} {field:<16} {count:>7,}")
    if args.country:
        print(
            f"compliance ({args.country}): {sum(violations.values()):,} violations, {blocked:,} variants blocked"
        )
        for rule_id, count in violations.most_common():
            print(f"  {rule_id:<24} {count:>7,}")
    print(
        f"total {elapsed:.2f} s (feed, generation, validation{', compliance' if args.country else ''}); "
        f"{stats.combinations / elapsed:,.0f} variants/s"
    )
    print(f"peak RSS {rss_after / 1024:.0f} MiB (before generation {rss_before / 1024:.0f} MiB)")
    if heap_peak is not None:
        print(f"peak traced Python heap {heap_peak / 2**20:.1f} MiB")
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
