"""Prices in ad text are written the way readers of that language write them."""

from __future__ import annotations

import pytest

from ads.variants import MoneyError, format_money, parse_money


@pytest.mark.parametrize(
    ("minor", "currency", "language", "text"),
    [
        (25000, "IDR", "id", "Rp 25.000"),
        (1500000, "IDR", "id", "Rp 1.500.000"),
        (25000, "IDR", "en", "Rp 25,000"),
        (499, "USD", "en", "$4.99"),
        (123456, "USD", "en-US", "$1,234.56"),
        (350, "GBP", "en-GB", "£3.50"),
        (499, "EUR", "de", "4,99 €"),
        (1200, "JPY", "ja", "¥1,200"),
    ],
)
def test_money_is_formatted_per_language(minor, currency, language, text):
    assert format_money(minor, currency, language) == text


def test_minor_units_round_trip_without_floats():
    assert parse_money("0.10", "USD").minor == 10
    assert parse_money("19.99", "GBP").minor == 1999
    assert parse_money("25000", "IDR").minor == 25000


def test_an_unknown_currency_is_refused():
    with pytest.raises(MoneyError, match="unknown currency"):
        format_money(100, "ABC")
