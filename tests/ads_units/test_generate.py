"""Variants are the product of feed rows x segments x languages x formats, with keys stable across
regenerations, and identical renders are generated once."""

from __future__ import annotations

from dataclasses import replace

from ads.variants import GenerationStats, Money, Segment, Template, feed_from_dicts, generate_variants

TEMPLATE = Template(
    primary_text="{{product}} cuma {{price}} di {{city}}",
    headline="{{product}}",
    call_to_action="SHOP_NOW",
    link="https://shop.example/{{id}}",
    image="https://cdn.example/{{id}}.jpg",
    image_size=(1080, 1080),
    translations={"en": {"primary_text": "{{product}} for {{price}} in {{city}}"}},
)
ROWS = [
    {"id": "p1", "product": "Kopi", "price": Money(25000, "IDR")},
    {"id": "p2", "product": "Teh", "price": Money(8000, "IDR")},
]
SEGMENTS = [Segment("jkt", {"city": "Jakarta"}), Segment("bdg", {"city": "Bandung"})]


def _generate(**options):
    return list(
        generate_variants(
            template=TEMPLATE,
            feed=feed_from_dicts(ROWS),
            segments=SEGMENTS,
            languages=["id", "en"],
            formats=["feed_square", "feed_portrait"],
            **options,
        )
    )


def test_every_combination_is_generated_with_its_language_text():
    variants = _generate()
    assert len(variants) == 2 * 2 * 2 * 2
    english = [v for v in variants if v.language == "en" and v.row_id == "p1" and v.segment == "bdg"]
    assert english[0].fields["primary_text"] == "Kopi for Rp 25,000 in Bandung"
    indonesian = [v for v in variants if v.language == "id" and v.row_id == "p1" and v.segment == "bdg"]
    assert indonesian[0].fields["primary_text"] == "Kopi cuma Rp 25.000 di Bandung"


def test_keys_are_stable_and_unique():
    first, second = _generate(), _generate()
    assert [v.key for v in first] == [v.key for v in second]
    assert len({v.key for v in first}) == len(first)


def test_keys_change_when_the_template_text_does():
    other = replace(TEMPLATE, headline="{{product}}!")
    before = _generate()[0].key
    after = next(
        generate_variants(template=other, feed=feed_from_dicts(ROWS), segments=SEGMENTS, languages=["id"])
    )
    assert before != after.key


def test_identical_renders_are_deduplicated_and_counted():
    # Two segments with the same city render the same ad: one is dropped.
    segments = [Segment("jkt-young", {"city": "Jakarta"}), Segment("jkt-old", {"city": "Jakarta"})]
    stats = GenerationStats()
    variants = list(
        generate_variants(
            template=TEMPLATE,
            feed=feed_from_dicts(ROWS),
            segments=segments,
            stats=stats,
            languages=["id"],
            record_duplicates=True,
        )
    )
    assert len(variants) == 2 and stats.duplicates == 2 and stats.combinations == 4
    kept = {v.key for v in variants}
    assert set(stats.duplicate_of.values()) <= kept


def test_dedupe_can_be_turned_off():
    segments = [Segment("a", {"city": "Jakarta"}), Segment("b", {"city": "Jakarta"})]
    variants = list(
        generate_variants(template=TEMPLATE, feed=feed_from_dicts(ROWS), segments=segments, dedupe=False)
    )
    assert len(variants) == 4


def test_a_format_can_have_its_own_image_and_size():
    template = replace(TEMPLATE, format_images={"story": "{{story_image}}"}, image_size=None)
    rows = [
        {
            **ROWS[0],
            "story_image": "https://cdn.example/s.jpg",
            "story_image_width": 1080,
            "story_image_height": 1920,
            "image_width": 1080,
            "image_height": 1080,
        }
    ]
    square, story = generate_variants(
        template=template, feed=feed_from_dicts(rows), segments=SEGMENTS[:1], formats=["feed_square", "story"]
    )
    assert story.fields["image"] == "https://cdn.example/s.jpg" and (
        story.image_width,
        story.image_height,
    ) == (1080, 1920)
    assert square.fields["image"] == "https://cdn.example/p1.jpg" and not story.has_errors
