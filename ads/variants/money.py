"""Money as integer minor units with the currency's own exponent, parsed from feeds and formatted
for ad text in the reader's language. No float touches an amount. Separators are plain spaces,
not CLDR's no-break ones, so that a marketer's find/replace for "Rp 25.000" matches what it sees.

Exponents come from `ads.money` (Meta's currency offsets), the one table the app keeps: IDR and
JPY have no minor unit in practice (ISO 4217 still lists 2 for IDR), USD/EUR/GBP have 2. Feed
prices are parsed strictly (a decimal too many is an error, not rounded: it is a typo in a feed,
unlike the extra decimals a platform reports for spend, which `ads.money.to_minor` rounds).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ads.money import CURRENCY_EXPONENTS, UnknownCurrency
from ads.money import exponent as currency_exponent

__all__ = ["CURRENCY_EXPONENTS", "Money", "MoneyError", "exponent", "format_money", "parse_money"]

SYMBOLS: dict[str, str] = {
    "IDR": "Rp", "JPY": "¥", "KRW": "₩", "VND": "₫", "USD": "$", "EUR": "€", "GBP": "£",
    "SGD": "S$", "MYR": "RM", "AUD": "A$", "CAD": "CA$", "NZD": "NZ$", "THB": "฿", "PHP": "₱",
    "INR": "₹", "HKD": "HK$", "CNY": "¥", "BRL": "R$", "MXN": "MX$", "ILS": "₪",
}  # fmt: skip

# language -> (group separator, decimal separator, symbol before the number)
NUMBER_STYLES: dict[str, tuple[str, str, bool]] = {
    "en": (",", ".", True),
    "id": (".", ",", True),
    "ms": (",", ".", True),
    "th": (",", ".", True),
    "ja": (",", ".", True),
    "zh": (",", ".", True),
    "ko": (",", ".", True),
    "hi": (",", ".", True),
    "nl": (".", ",", True),
    "pt": (".", ",", True),
    "de": (".", ",", False),
    "es": (".", ",", False),
    "it": (".", ",", False),
    "vi": (".", ",", False),
    "fr": (" ", ",", False),
    "sv": (" ", ",", False),
    "ar": (",", ".", False),
    "he": (",", ".", False),
}
_DEFAULT_STYLE = NUMBER_STYLES["en"]


class MoneyError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Money:
    minor: int
    currency: str

    def format(self, language: str = "en") -> str:
        return format_money(self.minor, self.currency, language)


def exponent(currency: str) -> int:
    try:
        return currency_exponent(currency)
    except UnknownCurrency as error:
        raise MoneyError(str(error)) from None


_AMOUNT = re.compile(r"^(\d+)(?:\.(\d+))?$")
_WITH_CODE = re.compile(r"^(.*?)\s+([A-Za-z]{3})$")


def parse_money(text: str, currency: str | None = None) -> Money:
    """ "4.99" with currency USD -> Money(499, "USD"); also "4.99 USD" (Google Merchant feed style).
    Refuses group separators, negative amounts and more decimals than the currency has, rather
    than guess: "25.000" IDR could be 25 or 25,000."""
    value = text.strip()
    match = _WITH_CODE.match(value)
    if match:
        value, code = match.group(1).strip(), match.group(2).upper()
        if currency and currency.upper() != code:
            raise MoneyError(f"amount says {code} but the currency is {currency.upper()}")
        currency = code
    if not currency:
        raise MoneyError("no currency (add a currency column or write e.g. '4.99 USD')")
    currency = currency.strip().upper()
    places = exponent(currency)
    match = _AMOUNT.match(value)
    if not match:
        raise MoneyError(f"not an amount: {text.strip()!r} (digits and an optional '.' only)")
    whole, fraction = match.group(1), match.group(2) or ""
    if len(fraction) > places:
        raise MoneyError(f"{currency} has {places} decimal places; got {text.strip()!r}")
    return Money(int(whole) * 10**places + int(fraction.ljust(places, "0") or 0), currency)


def format_money(minor: int, currency: str, language: str = "en") -> str:
    """Money(2500000, "IDR") in "id" -> "Rp 25.000"; Money(499, "USD") in "en" -> "$4.99";
    Money(350, "GBP") -> "£3.50"; Money(499, "EUR") in "de" -> "4,99 €"."""
    places = exponent(currency)
    group, decimal, before = NUMBER_STYLES.get(language.split("-")[0].lower(), _DEFAULT_STYLE)
    sign = "-" if minor < 0 else ""
    whole, fraction = divmod(abs(minor), 10**places)
    number = f"{whole:,}".replace(",", group)
    if places:
        number += decimal + str(fraction).rjust(places, "0")
    symbol = SYMBOLS.get(currency, currency)
    if before:
        # Letter symbols ("Rp", "RM", "CHF") are set off by a space; "$" and "£" are not.
        space = " " if symbol[-1].isalpha() else ""
        return f"{sign}{symbol}{space}{number}"
    return f"{sign}{number} {symbol}"
