"""Marketers filter variants, find and replace over a selection (re-validated), and exclude some."""

from __future__ import annotations

from ads.variants import (
    Money,
    Segment,
    Template,
    exclude,
    feed_from_dicts,
    filter_variants,
    find_replace,
    generate_variants,
    launchable,
)

TEMPLATE = Template(
    primary_text="{{product}} cuma {{price}} di {{city}}",
    headline="{{product}} murah",
    call_to_action="SHOP_NOW",
    link="https://shop.example/{{id}}",
    image="https://cdn.example/{{id}}.jpg",
    image_size=(1080, 1080),
)


def _variants():
    rows = [
        {"id": "p1", "product": "Kopi", "price": Money(25000, "IDR")},
        {"id": "p2", "product": "Teh", "price": Money(8000, "IDR")},
    ]
    segments = [Segment("jkt", {"city": "Jakarta"}), Segment("bdg", {"city": "Bandung"})]
    return list(
        generate_variants(
            template=TEMPLATE, feed=feed_from_dicts(rows), segments=segments, languages=["id", "en"]
        )
    )


def test_filter_by_text_segment_language_and_errors():
    variants = _variants()
    assert {v.row_id for v in filter_variants(variants, contains="KOPI")} == {"p1"}
    assert {v.segment for v in filter_variants(variants, segment="bdg")} == {"bdg"}
    assert (
        len(list(filter_variants(variants, language=["en"], field="primary_text", contains="jakarta"))) == 2
    )
    assert list(filter_variants(variants, has_errors=True)) == []


def test_find_replace_changes_only_the_selection_and_keeps_keys():
    variants = _variants()
    selection = [v.key for v in filter_variants(variants, segment="jkt")]
    edited = find_replace(variants, find="murah", replace_with="hemat", keys=selection)
    assert len(edited) == len(selection)
    assert all(v.fields["headline"].endswith("hemat") and v.edited for v in edited)
    assert [v.key for v in edited] == selection
    originals = {v.key: v for v in variants}
    assert all(v.content_hash != originals[v.key].content_hash for v in edited)
    assert all(v.fields["headline"].endswith("murah") for v in variants)  # inputs untouched


def test_find_replace_revalidates_the_result():
    variants = _variants()[:1]
    (edited,) = find_replace(variants, find="murah", replace_with="x" * 300)
    assert [(i.key, i.field, i.code) for i in edited.errors] == [(edited.key, "headline", "too_long")]
    (fixed,) = find_replace([edited], find="x" * 300, replace_with="murah")
    assert not fixed.has_errors


def test_find_replace_can_ignore_case_and_match_whole_words():
    variants = _variants()[:1]
    (edited,) = find_replace(variants, find="KOPI", replace_with="Coffee", ignore_case=True, whole_word=True)
    assert edited.fields["primary_text"].startswith("Coffee cuma")


def test_excluded_variants_are_not_launchable():
    variants = _variants()
    dropped = variants[0].key
    after = exclude(variants, [dropped])
    assert [v.key for v in filter_variants(after, excluded=True)] == [dropped]
    assert dropped not in {v.key for v in launchable(after)}
    assert dropped in {v.key for v in launchable(exclude(after, [dropped], excluded=False))}
