"""Bulk editing over a selection of variants: filter, find/replace (re-validated), exclude.
Variants are immutable; every helper returns new ones and leaves the input untouched."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import replace

from ads.variants.limits import FORMATS, Format, validate_variant
from ads.variants.template import TEXT_FIELDS
from ads.variants.variant import Variant, content_hash


def filter_variants(
    variants: Iterable[Variant],
    *,
    contains: str | None = None,
    field: str | None = None,
    segment: str | Collection[str] | None = None,
    language: str | Collection[str] | None = None,
    format: str | Collection[str] | None = None,
    has_errors: bool | None = None,
    has_warnings: bool | None = None,
    issue_code: str | None = None,
    excluded: bool | None = None,
    keys: Collection[str] | None = None,
) -> Iterator[Variant]:
    """The variants matching every given criterion. `contains` is a case-insensitive substring of
    `field` (or of any text field when no field is given)."""
    needle = contains.casefold() if contains else None
    fields = (field,) if field else (*TEXT_FIELDS, "call_to_action", "link")
    segments, languages, formats = _set(segment), _set(language), _set(format)
    key_set = set(keys) if keys is not None else None
    for variant in variants:
        if key_set is not None and variant.key not in key_set:
            continue
        if segments is not None and variant.segment not in segments:
            continue
        if languages is not None and variant.language not in languages:
            continue
        if formats is not None and variant.format not in formats:
            continue
        if has_errors is not None and variant.has_errors != has_errors:
            continue
        if has_warnings is not None and variant.has_warnings != has_warnings:
            continue
        if issue_code is not None and not any(issue.code == issue_code for issue in variant.issues):
            continue
        if excluded is not None and variant.excluded != excluded:
            continue
        if needle is not None and not any(
            needle in (variant.fields.get(name) or "").casefold() for name in fields
        ):
            continue
        yield variant


def _set(value: str | Collection[str] | None) -> set[str] | None:
    if value is None:
        return None
    return {value} if isinstance(value, str) else set(value)


def find_replace(
    variants: Iterable[Variant],
    *,
    find: str,
    replace_with: str,
    fields: Collection[str] = TEXT_FIELDS,
    keys: Collection[str] | None = None,
    ignore_case: bool = False,
    whole_word: bool = False,
    use_regex: bool = False,
    formats: Mapping[str, Format] = FORMATS,
) -> list[Variant]:
    """Replace `find` in `fields` of the selected variants (all given, or those in `keys`) and
    return them, changed ones re-validated, with `edited` set and a new content hash; unchanged
    ones are returned as they were. The key stays: it is the same ad, with new text."""
    if not find:
        raise ValueError("nothing to find")
    pattern = find if use_regex else re.escape(find)
    if whole_word:
        pattern = rf"(?<!\w)(?:{pattern})(?!\w)"
    compiled = re.compile(pattern, re.IGNORECASE if ignore_case else 0)
    # A literal replacement must not be read as a template (backslashes, \1).
    replacement = replace_with if use_regex else replace_with.replace("\\", "\\\\")
    key_set = set(keys) if keys is not None else None
    out: list[Variant] = []
    for variant in variants:
        if key_set is not None and variant.key not in key_set:
            continue
        new_fields = dict(variant.fields)
        changed = False
        for name in fields:
            text = new_fields.get(name)
            if not text:
                continue
            new_text, count = compiled.subn(replacement, text)
            if count:
                new_fields[name] = new_text
                changed = True
        if not changed:
            out.append(variant)
            continue
        edited = replace(
            variant,
            fields=new_fields,
            edited=True,
            content_hash=content_hash(variant.format, new_fields, variant.image_width, variant.image_height),
        )
        out.append(replace(edited, issues=validate_variant(edited, formats=formats)))
    return out


def exclude(variants: Iterable[Variant], keys: Collection[str], *, excluded: bool = True) -> list[Variant]:
    """The variants with those in `keys` marked excluded (or included again with excluded=False)."""
    key_set = set(keys)
    return [
        replace(variant, excluded=excluded)
        if variant.key in key_set and variant.excluded != excluded
        else variant
        for variant in variants
    ]


def launchable(variants: Iterable[Variant]) -> Iterator[Variant]:
    """Variants that may go to the platform: not excluded and free of errors (compliance is
    checked separately, see ads.compliance.check)."""
    return (variant for variant in variants if not variant.excluded and not variant.has_errors)
