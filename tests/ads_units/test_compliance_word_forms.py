"""A banned claim is caught in its word forms, not only as the phrase is written in the pack, and
innocent texts that share a word with it stay clean. Labelled in Indonesian and English."""

from __future__ import annotations

import pytest

from ads.compliance import check
from ads.compliance.stems import stem_en, stem_id

# (text, country, language, rule id it must be caught by)
POSITIVES = [
    ("Dijamin menyembuhkan insomnia dalam seminggu", "ID", "id", "ID-BPOM-HLT-01"),
    ("Kesembuhan dijamin? Dijamin sembuhnya!", "ID", "id", "ID-BPOM-HLT-01"),
    ("Teh herbal ini dijamin menyembuhkan", "ID", None, "ID-BPOM-HLT-01"),
    ("Kami menjamin keuntungan Anda", "ID", "id", "ID-OJK-FIN-02"),
    ("Produk tabungan ini dijamin menguntungkan", "ID", "id", "ID-OJK-FIN-02"),
    ("Ramuan ini menyembuhkan segala penyakitnya", "ID", "id", "ID-BPOM-HLT-01"),
    ("Pil ini dijamin kesembuhannya", "ID", "id", "ID-BPOM-HLT-01"),
    ("This tea cured cancer in trials", "GB", "en", "GB-CAP-HLT-01"),
    ("Curing cancer starts with a cup", "GB", "en", "GB-CAP-HLT-01"),
    ("Our fund guarantees returns every year", "GB", "en", "GB-FCA-FIN-02"),
    ("A miracle cures everything", "GB", None, "GB-CAP-HLT-01"),
    ("Doubling your money was never this easy", "GB", "en", "GB-FCA-FIN-02"),
]

NEGATIVES = [
    ("Sembuh lebih cepat? Tidak ada yang dijamin.", "ID", "id"),  # the words, not in the claim's order
    ("Investasi dengan keuntungan yang pasti", "ID", "id"),  # "keuntungan pasti": side by side only
    ("Kami menjamin kualitas biji kopi kami", "ID", "id"),
    ("Rasa yang baik untuk pagi Anda", "ID", "id"),  # "terbaik" is banned, "baik" is not
    ("Harga murah setiap hari", "ID", "id"),  # "termurah" is banned, "murah" is not
    ("Penyakit jantung: kenali gejalanya", "ID", "id"),
    ("Untung ada kopi pagi ini", "ID", "id"),
    ("The cure for a slow Monday is coffee", "GB", "en"),
    ("Cancer research charity run this Sunday", "GB", "en"),
    ("Free returns on every order, guaranteed", "GB", "en"),
    ("Money back if you are not happy", "GB", "en"),
]


def _ad(text: str, language: str | None) -> dict:
    ad = {"key": "v", "primary_text": text, "headline": "", "description": "Iklan · Ad"}
    if language:
        ad["language"] = language
    return ad


# Every category the packs' banned claims are scoped to, so each claim rule applies.
CATEGORIES = ("health", "financial", "investment")


def _banned(text: str, country: str, language: str | None) -> list:
    found = check(_ad(text, language), country, CATEGORIES, platform="meta")
    return [v for v in found if v.kind == "banned"]


@pytest.mark.parametrize(("text", "country", "language", "rule_id"), POSITIVES)
def test_a_banned_claim_is_caught_in_its_word_forms(text, country, language, rule_id):
    found = _banned(text, country, language)
    assert rule_id in {v.rule_id for v in found}, found
    for violation in found:
        assert text[violation.start : violation.end] == violation.text


@pytest.mark.parametrize(("text", "country", "language"), NEGATIVES)
def test_innocent_texts_sharing_a_word_with_a_claim_stay_clean(text, country, language):
    assert _banned(text, country, language) == []


def test_the_reported_span_covers_the_whole_claim_in_the_ads_words():
    text = "Dijamin menyembuhkan insomnia"
    (violation,) = _banned(text, "ID", "id")
    assert violation.text == "Dijamin menyembuhkan"


def test_a_claim_written_as_in_the_pack_is_reported_once():
    assert len(_banned("Dijamin sembuh!", "ID", "id")) == 1


@pytest.mark.parametrize(
    ("word", "stem"),
    [
        ("menyembuhkan", "sembuh"),
        ("dijamin", "jamin"),
        ("menjamin", "jamin"),
        ("keuntungan", "untung"),
        ("menguntungkan", "untung"),
        ("mengirimkan", "kirim"),
        ("penyakitnya", "sakit"),
        ("terbaik", "baik"),
        ("berjualan", "jual"),
        ("menulis", "tulis"),
        ("aman", "aman"),
    ],
)
def test_indonesian_affixes_are_stripped_to_the_root(word, stem):
    assert stem in stem_id(word)


@pytest.mark.parametrize(
    ("words", "stem"),
    [
        (("cure", "cures", "cured", "curing"), "cur"),
        (("guarantee", "guaranteed", "guarantees"), "guarant"),
        (("return", "returns"), "return"),
    ],
)
def test_english_inflections_share_a_stem(words, stem):
    assert {stem_en(word) for word in words} == {(stem,)}
