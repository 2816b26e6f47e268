"""Templates fill their placeholders from a feed row, a segment and a language; a placeholder no
source provides is refused before anything is generated, naming it and its field."""

from __future__ import annotations

import pytest

from ads.variants import Money, Segment, Template, TemplateError, feed_from_dicts, generate_variants
from ads.variants.template import compile_text


def test_placeholders_are_filled_and_prices_formatted_for_the_language():
    text = compile_text("{{product}} cuma {{price}} di {{city}}")
    context = {"product": "Kopi Susu", "price": Money(25000, "IDR"), "city": "Bandung"}
    assert text.render(context, "id") == "Kopi Susu cuma Rp 25.000 di Bandung"


def test_filters_change_case_and_default_fills_an_empty_value():
    text = compile_text('{{ product | upper }} {{promo|default:"Belanja sekarang"}} {{price|amount}}')
    assert (
        text.render({"product": "kopi", "promo": "", "price": Money(499, "USD")}, "en")
        == "KOPI Belanja sekarang 4.99"
    )


def test_an_unknown_placeholder_is_an_error_naming_it_and_its_field():
    feed = feed_from_dicts([{"id": "p1", "product": "Kopi"}])
    template = Template(primary_text="{{product}} in {{citty}}")
    with pytest.raises(TemplateError) as caught:
        list(generate_variants(template=template, feed=feed, segments=[Segment("s", {"city": "Medan"})]))
    assert caught.value.placeholder == "citty"
    assert caught.value.field == "primary_text"
    assert "{{citty}}" in str(caught.value)


def test_an_unknown_placeholder_in_one_translation_names_the_language():
    feed = feed_from_dicts([{"id": "p1", "product": "Kopi"}])
    template = Template(headline="{{product}}", translations={"ja": {"headline": "{{produk}}"}})
    with pytest.raises(TemplateError) as caught:
        list(generate_variants(template=template, feed=feed, languages=["en", "ja"]))
    assert (caught.value.placeholder, caught.value.language) == ("produk", "ja")


def test_an_unknown_filter_is_refused():
    with pytest.raises(TemplateError, match="unknown filter 'shout'"):
        compile_text("{{product|shout}}", field="headline")


def test_unclosed_braces_are_refused():
    with pytest.raises(TemplateError, match="unclosed"):
        compile_text("Buy {{product now")


def test_a_row_without_a_value_gets_an_error_and_shows_the_gap():
    feed = feed_from_dicts([{"id": "p1", "product": "Kopi", "promo": ""}])
    template = Template(
        primary_text="{{product}}: {{promo}}", link="https://x.example", image="https://x.example/i.jpg"
    )
    (variant,) = generate_variants(template=template, feed=feed)
    assert variant.fields["primary_text"] == "Kopi: {{promo}}"
    (issue,) = [i for i in variant.issues if i.code == "missing_value"]
    assert (issue.key, issue.field, issue.severity) == (variant.key, "primary_text", "error")
