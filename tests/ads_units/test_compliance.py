"""Every variant is checked against its country's rule pack and its business unit's rules; each
violation names the rule, the field and the offending text."""

from __future__ import annotations

import pytest

from ads.compliance import RuleError, available_countries, blocking, check, load_pack, rules_from_data


def _ad(primary_text="", headline="", description="", key="v_1", **extra):
    return {
        "key": key,
        "primary_text": primary_text,
        "headline": headline,
        "description": description,
        **extra,
    }


def test_packs_ship_for_indonesia_the_uk_and_the_us_with_cited_rules():
    assert {"ID", "GB", "US"} <= set(available_countries())
    for country in ("ID", "GB", "US"):
        for rule in load_pack(country).rules:
            assert rule.id.startswith(country + "-") and rule.description and rule.citation


def test_a_banned_term_is_blocked_with_rule_id_and_span():
    text = "Main slot gacor sekarang!"
    (violation,) = check(_ad(text), "ID", platform="meta")
    assert (violation.rule_id, violation.field, violation.key) == ("ID-ITE-GAM-02", "primary_text", "v_1")
    assert text[violation.start : violation.end] == violation.text == "slot gacor"
    assert violation.blocks


def test_banned_terms_ignore_case_and_diacritics_and_allow_indonesian_enclitics():
    text = "Ayo, JUDInya seru! Kasíno baru."
    found = check(_ad(text), "ID", platform="meta")
    assert [v.text for v in found] == ["JUDInya", "Kasíno"]
    assert all(text[v.start : v.end] == v.text for v in found)


def test_word_boundaries_keep_innocent_words_clean():
    ad = _ad("Beruntung sekali, judicial review, road trip, badminton")
    assert check(ad, "ID", platform="meta") == []
    assert check(ad, "GB", ["alcohol"], platform="meta") == []


def test_gb_alcohol_claims_are_blocked():
    (violation,) = check(_ad("Our gin makes you more popular."), "GB", ["alcohol"], platform="meta")
    assert violation.rule_id == "GB-CAP-ALC-01" and violation.text == "more popular"


def test_gb_investment_without_capital_at_risk_is_flagged():
    (violation,) = check(_ad("Grow your savings with our fund."), "GB", ["investment"], platform="meta")
    assert (violation.rule_id, violation.kind, violation.start) == ("GB-FCA-FIN-01", "disclaimer", None)
    assert violation.field == "primary_text"
    assert check(_ad("Grow your savings. Capital at risk."), "GB", ["investment"], platform="meta") == []


def test_us_alcohol_needs_please_drink_responsibly():
    (missing,) = check(_ad("Try our new IPA."), "US", ["alcohol"], platform="meta")
    assert missing.rule_id == "US-DISCUS-ALC-01"
    assert (
        check(
            _ad("Try our new IPA.", description="Please drink responsibly."),
            "US",
            ["alcohol"],
            platform="meta",
        )
        == []
    )


def test_id_financial_products_need_the_ojk_statement_and_no_guaranteed_profit():
    found = check(_ad("Investasi pasti untung!"), "ID", ["investment"], platform="meta")
    assert {v.rule_id for v in found} == {"ID-OJK-FIN-01", "ID-OJK-FIN-02"}
    ok = _ad("Investasi reksa dana.", description="PT Contoh terdaftar dan diawasi oleh OJK.")
    assert check(ok, "ID", ["investment"], platform="meta") == []


def test_alcohol_may_not_be_advertised_in_indonesia():
    (violation,) = check(_ad("Bir dingin"), "ID", ["alcohol"], platform="meta")
    assert (violation.rule_id, violation.kind, violation.field) == (
        "ID-PENYIARAN-ALC-01",
        "prohibited_category",
        "",
    )


@pytest.mark.parametrize(
    ("country", "rule_id", "label"),
    [
        ("ID", "ID-EPI-DISC-01", "Iklan"),
        ("GB", "GB-CAP-DISC-01", "Ad"),
        ("US", "US-FTC-DISC-01", "Sponsored"),
    ],
)
def test_the_ad_disclosure_is_required_where_the_platform_does_not_label_ads(country, rule_id, label):
    (violation,) = check(_ad("Kopi susu enak"), country, platform="newsletter")
    assert (violation.rule_id, violation.kind) == (rule_id, "disclosure")
    assert check(_ad(f"{label}: Kopi susu enak"), country, platform="newsletter") == []
    assert check(_ad("Kopi susu enak"), country, platform="meta") == []  # Meta shows "Sponsored"


def test_business_unit_rules_layer_on_the_pack():
    extra = rules_from_data(
        [
            {
                "id": "BU-ACME-01",
                "kind": "banned",
                "description": "No competitor names",
                "citation": "Acme brand book 4.2",
                "terms": ["Globex"],
            }
        ]
    )
    (violation,) = check(_ad(headline="Better than Globex"), "GB", extra_rules=extra, platform="meta")
    assert (violation.rule_id, violation.field, violation.text) == ("BU-ACME-01", "headline", "Globex")


def test_a_business_unit_rule_may_not_silently_replace_a_country_rule():
    extra = [
        {"id": "GB-CAP-ALC-01", "kind": "banned", "description": "weaker", "citation": "-", "terms": ["zzz"]}
    ]
    with pytest.raises(RuleError, match="would replace"):
        check(_ad("x"), "GB", extra_rules=extra)


def test_a_waiver_keeps_the_violation_visible_but_not_blocking():
    ad = _ad("Main slot gacor sekarang!", key="v_9")
    (violation,) = check(ad, "ID", platform="meta", waivers=[("v_9", "ID-ITE-GAM-02")])
    assert violation.waived and not violation.blocks
    assert blocking([violation]) == []
    (other,) = check(
        _ad("Main slot gacor", key="v_10"), "ID", platform="meta", waivers=[("v_9", "ID-ITE-GAM-02")]
    )
    assert other.blocks


def test_warnings_do_not_block():
    (violation,) = check(_ad("Kopi terbaik di kota"), "ID", platform="meta")
    assert (violation.rule_id, violation.severity, violation.blocks) == ("ID-EPI-SUP-01", "warn", False)


def test_a_variant_object_is_checked_with_its_key_platform_and_language():
    from ads.variants.variant import Variant

    variant = Variant("v_obj", "h", "p1", "all", "en", "feed_square", {"primary_text": "Risk-free returns!"})
    (violation,) = check(variant, "US", ["financial"])
    assert (violation.key, violation.rule_id, violation.text) == ("v_obj", "US-FINRA-FIN-01", "Risk-free")
