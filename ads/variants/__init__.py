"""Creative variants: templates with placeholders, product feeds, generation over rows x segments x
languages x formats, validation against each platform's limits, and bulk edits. Pure Python, no
models: the service layer stores what these functions return."""

from ads.variants.bulk import exclude, filter_variants, find_replace, launchable
from ads.variants.feed import Feed, FeedError, FeedRow, feed_from_dicts, load_feed_csv
from ads.variants.generate import ALL, GenerationStats, Segment, available_names, generate_variants
from ads.variants.limits import FORMATS, PLATFORMS, FieldLimit, Format, Platform, validate_variant
from ads.variants.money import CURRENCY_EXPONENTS, Money, MoneyError, format_money, parse_money
from ads.variants.template import FIELDS, TEXT_FIELDS, Template, TemplateError
from ads.variants.text import grapheme_count, graphemes, measure, weighted_length
from ads.variants.variant import Issue, Variant

__all__ = [
    "ALL",
    "CURRENCY_EXPONENTS",
    "FIELDS",
    "FORMATS",
    "PLATFORMS",
    "TEXT_FIELDS",
    "Feed",
    "FeedError",
    "FeedRow",
    "FieldLimit",
    "Format",
    "GenerationStats",
    "Issue",
    "Money",
    "MoneyError",
    "Platform",
    "Segment",
    "Template",
    "TemplateError",
    "Variant",
    "available_names",
    "exclude",
    "feed_from_dicts",
    "filter_variants",
    "find_replace",
    "format_money",
    "generate_variants",
    "grapheme_count",
    "graphemes",
    "launchable",
    "load_feed_csv",
    "measure",
    "parse_money",
    "validate_variant",
    "weighted_length",
]
