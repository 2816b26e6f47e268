"""Text is measured the way the platforms count: what a reader sees as one character is one."""

from __future__ import annotations

import pytest

from ads.variants import grapheme_count, graphemes, measure, weighted_length


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466", 1),  # family, ZWJ sequence
        ("\U0001f1ee\U0001f1e9", 1),  # flag of Indonesia
        ("\U0001f1ee\U0001f1e9\U0001f1ec\U0001f1e7", 2),  # two flags
        ("\U0001f44d\U0001f3fd", 1),  # thumbs up, medium skin tone
        ("\U0001f3f3\ufe0f\u200d\U0001f308", 1),  # rainbow flag
        ("\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f", 1),  # Scotland, tags
        ("1\ufe0f\u20e3", 1),  # keycap
        ("e\u0301", 1),  # e + combining acute
        ("مرحبا", 5),  # Arabic
        ("مَرْحَبًا", 5),  # Arabic with harakat
        ("שָׁלוֹם", 4),  # Hebrew with niqqud
        ("東京で買う", 5),  # CJK
        ("\u1100\u1161\u11a8", 1),  # conjoining Hangul jamo
        ("한국어", 3),
        ("a\r\nb", 3),  # CR LF is one
        ("Kopi ☕ di Jakarta 🇮🇩!", 20),
    ],
)
def test_graphemes_count_what_a_reader_sees(text, count):
    assert grapheme_count(text) == count
    assert len(graphemes(text)) == count


def test_x_weighs_cjk_and_emoji_double_and_latin_single():
    assert weighted_length("hello") == 5
    assert weighted_length("東京") == 4
    assert weighted_length("\U0001f468\u200d\U0001f469\u200d\U0001f467") == 2
    assert weighted_length("مرحبا") == 5  # Arabic is in the light ranges
    assert weighted_length("see https://example.com/a/very/long/path/indeed") == 4 + 23


def test_measure_offers_each_unit():
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert measure(family, "graphemes") == 1
    assert measure(family, "code_points") == 5
    assert measure(family, "utf16") == 8
    assert measure(family, "weighted") == 2
    with pytest.raises(ValueError, match="unknown length unit"):
        measure("x", "bytes")
