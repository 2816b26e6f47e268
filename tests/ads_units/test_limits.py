"""Each variant is checked against its platform's limits; every issue names the variant key and
the field, hard limits are errors and recommendations warnings."""

from __future__ import annotations

from ads.variants import Segment, Template, feed_from_dicts, generate_variants, validate_variant
from ads.variants.variant import Variant

GOOD = {
    "primary_text": "Kopi susu, cuma Rp 25.000",
    "headline": "Kopi Susu",
    "description": "Gratis ongkir",
    "call_to_action": "SHOP_NOW",
    "link": "https://shop.example/p1",
    "image": "https://cdn.example/p1.jpg",
}


def _variant(fmt="feed_square", width=1080, height=1080, **fields):
    return Variant("v_test", "h", "p1", "all", "id", fmt, {**GOOD, **fields}, width, height)


def _codes(variant):
    return {(issue.field, issue.code, issue.severity) for issue in validate_variant(variant)}


def test_a_good_variant_has_no_issues():
    assert validate_variant(_variant()) == ()


def test_a_headline_over_the_hard_limit_is_an_error_naming_key_and_field():
    (issue,) = validate_variant(_variant(headline="x" * 256))
    assert (issue.key, issue.field, issue.code, issue.severity) == ("v_test", "headline", "too_long", "error")
    assert (issue.length, issue.limit, issue.unit) == (256, 255, "graphemes")


def test_over_the_recommended_length_is_a_warning():
    (issue,) = validate_variant(_variant(headline="x" * 41))
    assert (issue.field, issue.code, issue.severity, issue.limit) == (
        "headline",
        "over_recommended",
        "warning",
        40,
    )


def test_emoji_count_as_one_against_the_limit():
    forty = "\U0001f468\u200d\U0001f469\u200d\U0001f467" * 40  # 200 code points, 40 graphemes
    assert validate_variant(_variant(headline=forty)) == ()


def test_required_fields_depend_on_the_format():
    assert ("primary_text", "required", "error") in _codes(_variant(primary_text=""))
    assert _codes(_variant("story", 1080, 1920, primary_text="")) == set()


def test_image_aspect_is_checked_per_format():
    assert ("image", "image_aspect", "error") in _codes(_variant("story", 1080, 1080))
    assert _codes(_variant("story", 1080, 1920)) == set()
    assert ("image", "image_aspect", "error") in _codes(_variant("feed_square", 1200, 628))


def test_a_small_image_is_an_error_and_a_medium_one_a_warning():
    assert ("image", "image_too_small", "error") in _codes(_variant(width=400, height=400))
    assert ("image", "image_below_recommended", "warning") in _codes(_variant(width=800, height=800))


def test_an_unknown_size_is_a_warning():
    assert ("image", "image_size_unknown", "warning") in _codes(_variant(width=None, height=None))


def test_links_and_call_to_actions_are_checked():
    assert ("link", "bad_link", "error") in _codes(_variant(link="shop.example/p1"))
    assert ("call_to_action", "bad_call_to_action", "error") in _codes(_variant(call_to_action="Beli"))


def test_x_counts_weighted_length():
    variant = Variant(
        "v_x",
        "h",
        "p1",
        "all",
        "ja",
        "feed_square",
        {**GOOD, "primary_text": "東" * 141},
        1080,
        1080,
        platform="x",
    )
    (issue,) = [i for i in validate_variant(variant) if i.field == "primary_text"]
    assert (issue.code, issue.length, issue.limit, issue.unit) == ("too_long", 282, 280, "weighted")


def test_generated_variants_carry_their_issues():
    feed = feed_from_dicts(
        [{"id": "p1", "product": "Kopi " + "x" * 300, "w": 1, "image_width": 1080, "image_height": 1080}]
    )
    template = Template(
        primary_text="{{product}}",
        headline="{{product}}",
        call_to_action="SHOP_NOW",
        link="https://shop.example/{{id}}",
        image="https://cdn.example/{{id}}.jpg",
    )
    variants = list(
        generate_variants(
            template=template, feed=feed, segments=[Segment("a")], formats=["feed_square", "story"]
        )
    )
    square, story = variants
    assert {(i.key, i.field, i.code) for i in square.errors} == {(square.key, "headline", "too_long")}
    assert (story.key, "image", "image_aspect") in {(i.key, i.field, i.code) for i in story.errors}
