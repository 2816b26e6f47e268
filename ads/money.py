"""Money as integers in a currency's minor unit, never floats.

The exponent of each currency is the one the ad platforms use (Meta's "offset": 100 means two
decimals, 1 means none). IDR and JPY have none, so 15000 IDR is stored as 15000, while 12.50 USD
is stored as 1250.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

# ISO 4217 code -> decimals, after Meta's currency table (developers.facebook.com/docs/marketing-api/currencies).
CURRENCY_EXPONENTS: dict[str, int] = {
    "AUD": 2,
    "BRL": 2,
    "CAD": 2,
    "CHF": 2,
    "CLP": 0,
    "CNY": 2,
    "COP": 0,
    "CRC": 0,
    "CZK": 2,
    "DKK": 2,
    "EUR": 2,
    "GBP": 2,
    "HKD": 2,
    "HUF": 0,
    "IDR": 0,
    "ILS": 2,
    "INR": 2,
    "ISK": 0,
    "JPY": 0,
    "KRW": 0,
    "MXN": 2,
    "MYR": 2,
    "NOK": 2,
    "NZD": 2,
    "PHP": 2,
    "PLN": 2,
    "PYG": 0,
    "SEK": 2,
    "SGD": 2,
    "THB": 2,
    "TRY": 2,
    "TWD": 0,
    "USD": 2,
    "VND": 0,
    "ZAR": 2,
}


class UnknownCurrency(ValueError):
    pass


def exponent(currency: str) -> int:
    try:
        return CURRENCY_EXPONENTS[currency.upper()]
    except KeyError:
        raise UnknownCurrency(f"unknown currency {currency!r}") from None


def to_minor(amount: Decimal | str | int, currency: str) -> int:
    """A decimal amount in major units ("12.34") as an integer of minor units (1234 for USD).

    Platforms report spend with more decimals than the currency has; those round half to even.
    """
    try:
        value = Decimal(str(amount).strip() or "0")
    except InvalidOperation:
        raise ValueError(f"not an amount: {amount!r}") from None
    scaled = value.scaleb(exponent(currency)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return int(scaled)


def to_major(minor: int, currency: str) -> Decimal:
    """Minor units as an exact Decimal of major units (1234 USD cents -> Decimal("12.34"))."""
    places = exponent(currency)
    return Decimal(int(minor)).scaleb(-places).quantize(Decimal(1).scaleb(-places))


def format_amount(minor: int | None, currency: str) -> str | None:
    """Minor units as the decimal string an API shows: "12.34" USD, "15000" IDR."""
    if minor is None:
        return None
    return str(to_major(minor, currency))
