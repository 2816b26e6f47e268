"""Compliance rules for ad creatives: banned terms, required disclaimers by category, a required
"ad" disclosure, categories that may not be advertised at all. Country packs ship as JSON data in
`packs/`; a business unit layers its own rules on top (`merge_rules`).

Matching is case- and diacritic-insensitive ("CAFÉ" matches "cafe") and respects word boundaries
in any script `\\w` covers, so "ad" does not match "road" nor Indonesian "judi" match "judicial".
Indonesian enclitics (-nya, -lah, -kah, -pun) can be allowed per rule (`suffixes`), so "judinya"
is caught without a pattern. A banned phrase of several words also matches its word forms: the
words of the text, stemmed (`stems.py`), that give the phrase's stems in order ("Dijamin
menyembuhkan" for "dijamin sembuh", "cured cancer" for "cures cancer"). A single banned word is
matched as written, since its stem may be innocent ("terbaik" → "baik", good). Spans are code point
offsets into the original field text.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from pathlib import Path

from ads.compliance.stems import phrase_spans, stemmers_for

PACKS_DIR = Path(__file__).resolve().parent / "packs"
KINDS = ("banned", "disclaimer", "disclosure", "prohibited_category")
SEVERITIES = ("block", "warn")
DEFAULT_FIELDS = ("primary_text", "headline", "description")


class RuleError(ValueError):
    pass


@dataclass(frozen=True)
class Rule:
    """One rule. `terms` are words or phrases (banned: must not appear; disclaimer/disclosure: one
    must appear); `patterns` are regexes over the normalised text (lower case, no diacritics).
    `categories` limit the rule to ads in those categories (empty: every ad). A disclosure rule
    does not apply on `exempt_platforms`, which label paid placements themselves ("Sponsored")."""

    id: str
    kind: str
    description: str
    citation: str
    severity: str = "block"
    categories: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()
    fields: tuple[str, ...] = DEFAULT_FIELDS
    languages: tuple[str, ...] = ()
    exempt_platforms: tuple[str, ...] = ()
    source: str = ""  # the pack or business unit it came from
    _regex: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)
    # banned phrases of several plain words, matched on their stems too
    _phrases: tuple[tuple[str, ...], ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self):
        if not self.id:
            raise RuleError("a rule needs an id")
        if self.kind not in KINDS:
            raise RuleError(f"rule {self.id}: kind must be one of {', '.join(KINDS)}")
        if self.severity not in SEVERITIES:
            raise RuleError(f"rule {self.id}: severity must be one of {', '.join(SEVERITIES)}")
        if self.kind != "prohibited_category" and not (self.terms or self.patterns):
            raise RuleError(f"rule {self.id}: needs terms or patterns")
        if self.kind == "prohibited_category" and not self.categories:
            raise RuleError(f"rule {self.id}: a prohibited category rule needs categories")
        alternatives = [_term_regex(term) for term in self.terms]
        for pattern in self.patterns:
            try:
                re.compile(pattern)
            except re.error as error:
                raise RuleError(f"rule {self.id}: bad pattern {pattern!r}: {error}") from None
            alternatives.append(f"(?:{pattern})")
        if alternatives:
            suffix = "(?:{})?".format("|".join(map(re.escape, self.suffixes))) if self.suffixes else ""
            regex = re.compile(rf"(?<!\w)(?:{'|'.join(alternatives)}){suffix}(?!\w)")
            object.__setattr__(self, "_regex", regex)
        if self.kind == "banned":
            object.__setattr__(self, "_phrases", _stemmable_phrases(self.terms))

    def applies(self, categories: Collection[str], platform: str | None, language: str | None) -> bool:
        if self.categories and not set(self.categories) & set(categories):
            return False
        if self.languages and language and language.split("-")[0] not in self.languages:
            return False
        return not (self.kind == "disclosure" and platform and platform in self.exempt_platforms)

    @classmethod
    def from_data(cls, data: Mapping[str, object], *, source: str = "") -> Rule:
        known = {
            "id",
            "kind",
            "description",
            "citation",
            "severity",
            "categories",
            "terms",
            "patterns",
            "suffixes",
            "fields",
            "languages",
            "exempt_platforms",
        }
        unknown = set(data) - known
        if unknown:
            raise RuleError(f"rule {data.get('id', '?')}: unknown keys {', '.join(sorted(unknown))}")
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        return cls(source=source, **values)  # type: ignore[arg-type]


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _term_regex(term: str) -> str:
    words = _fold(term).split()
    if not words:
        raise RuleError("an empty term")
    return r"\s+".join(re.escape(word) for word in words)


def _stemmable_phrases(terms: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    """The terms made of two or more plain words ("risk-free" is two); "100% aman" and "no. 1"
    keep only their exact match."""
    phrases = []
    for term in terms:
        words = _fold(term).replace("-", " ").split()
        if len(words) > 1 and all(word.isalnum() for word in words):
            phrases.append(tuple(words))
    return tuple(phrases)


@lru_cache(maxsize=32768)
def normalise(text: str) -> tuple[str, tuple[int, ...] | None]:
    """Lower case, no diacritics, with a map from each normalised index to the original one
    (None when they coincide, as for ASCII)."""
    if text.isascii():
        return text.lower(), None
    pieces = [_fold_char(char) for char in text]
    normalised = "".join(pieces)
    if len(normalised) == len(text) and all(pieces):
        return normalised, None
    index: list[int] = []
    for position, piece in enumerate(pieces):
        index.extend([position] * len(piece))
    return normalised, tuple(index)


@lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    return _fold(char)


@dataclass(frozen=True)
class RulePack:
    country: str
    version: str
    rules: tuple[Rule, ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class Violation:
    rule_id: str
    kind: str
    field: str  # where the offending text is, or where the missing text belongs ("" = whole ad)
    start: int | None  # span in the field's text; None for something missing
    end: int | None
    text: str  # the offending text, or what is missing
    message: str
    severity: str
    citation: str
    key: str = ""
    waived: bool = False

    @property
    def blocks(self) -> bool:
        return self.severity == "block" and not self.waived


def available_countries() -> list[str]:
    return sorted(path.stem.upper() for path in PACKS_DIR.glob("*.json"))


@cache
def load_pack(country: str) -> RulePack:
    """The shipped rule pack of a country (ISO 3166-1 alpha-2: "ID", "GB", "US")."""
    path = PACKS_DIR / f"{country.upper()}.json"
    if not path.exists():
        raise RuleError(f"no rule pack for {country!r}; available: {', '.join(available_countries())}")
    data = json.loads(path.read_text(encoding="utf-8"))
    source = f"pack:{data['country']}@{data['version']}"
    rules = tuple(Rule.from_data(rule, source=source) for rule in data["rules"])
    _unique(rules)
    return RulePack(data["country"], data["version"], rules, data.get("note", ""))


def _unique(rules: Sequence[Rule]) -> None:
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise RuleError(f"rule id {rule.id} appears twice")
        seen.add(rule.id)


def rules_from_data(items: Iterable[Mapping[str, object]], *, source: str = "custom") -> tuple[Rule, ...]:
    """A business unit's own rules, from stored JSON-like data."""
    rules = tuple(Rule.from_data(item, source=source) for item in items)
    _unique(rules)
    return rules


def merge_rules(*layers: Iterable[Rule], allow_override: bool = False) -> tuple[Rule, ...]:
    """Country pack first, then business-unit layers. A later rule with an id already present is
    refused unless `allow_override` (replacing a country rule weakens it; make that explicit)."""
    merged: dict[str, Rule] = {}
    for layer in layers:
        for rule in layer:
            if rule.id in merged and not allow_override:
                raise RuleError(f"rule {rule.id} from {rule.source} would replace {merged[rule.id].source}'s")
            merged[rule.id] = rule
    return tuple(merged.values())


def effective_rules(
    country: str, extra_rules: Iterable[Rule | Mapping[str, object]] = ()
) -> tuple[Rule, ...]:
    extras = tuple(
        rule if isinstance(rule, Rule) else Rule.from_data(rule, source="custom") for rule in extra_rules
    )
    if not extras:
        return load_pack(country).rules
    return merge_rules(load_pack(country).rules, extras)


def check(
    variant: object,
    country: str,
    categories: Collection[str] = (),
    extra_rules: Iterable[Rule | Mapping[str, object]] = (),
    *,
    platform: str | None = None,
    language: str | None = None,
    waivers: Collection[tuple[str, str]] = (),
) -> list[Violation]:
    """The violations of `variant` (a Variant, or a mapping of field -> text with an optional
    "key") under `country`'s pack plus `extra_rules`, for an ad in `categories`.

    Each names its rule id, field and the offending span (banned terms), or the field where the
    missing disclaimer or disclosure belongs. A (variant key, rule id) pair in `waivers` marks the
    violation waived: still reported, no longer blocking."""
    fields, key, variant_platform, variant_language = _unpack(variant)
    platform = platform or variant_platform
    language = language or variant_language
    waived = {rule_id for waived_key, rule_id in waivers if waived_key == key}
    out: list[Violation] = []
    for rule in effective_rules(country, extra_rules):
        if not rule.applies(categories, platform, language):
            continue
        for violation in _check_rule(rule, fields, categories, language):
            out.append(replace(violation, key=key, waived=rule.id in waived))
    return out


def blocking(violations: Iterable[Violation]) -> list[Violation]:
    return [violation for violation in violations if violation.blocks]


def _unpack(variant: object) -> tuple[Mapping[str, str], str, str | None, str | None]:
    if isinstance(variant, Mapping):
        return variant, str(variant.get("key", "")), variant.get("platform"), variant.get("language")
    fields = getattr(variant, "fields", None)
    if fields is None:
        raise TypeError("check() takes a Variant or a mapping of field -> text")
    return fields, variant.key, getattr(variant, "platform", None), getattr(variant, "language", None)  # type: ignore[attr-defined]


def _banned_spans(rule: Rule, normalised: str, language: str | None) -> list[tuple[int, int]]:
    """Where a banned rule's terms appear: as written, then as word forms of its phrases (a span
    overlapping one already found is the same claim, reported once)."""
    assert rule._regex is not None
    spans = [match.span() for match in rule._regex.finditer(normalised)]
    for phrase in rule._phrases:
        for stemmer in stemmers_for(language):
            for start, end in phrase_spans(normalised, phrase, stemmer):
                if not any(start < other_end and other_start < end for other_start, other_end in spans):
                    spans.append((start, end))
    return sorted(spans)


def _check_rule(
    rule: Rule, fields: Mapping[str, str], categories: Collection[str], language: str | None = None
) -> Iterable[Violation]:
    if rule.kind == "prohibited_category":
        hit = sorted(set(rule.categories) & set(categories))
        yield Violation(
            rule.id,
            rule.kind,
            "",
            None,
            None,
            ", ".join(hit),
            f"{', '.join(hit)} may not be advertised here: {rule.description}",
            rule.severity,
            rule.citation,
        )
        return
    assert rule._regex is not None
    if rule.kind == "banned":
        for name in rule.fields:
            text = fields.get(name) or ""
            if not text:
                continue
            normalised, index = normalise(text)
            for start, end in _banned_spans(rule, normalised, language):
                if index is not None:
                    start, end = index[start], index[end - 1] + 1
                yield Violation(
                    rule.id,
                    rule.kind,
                    name,
                    start,
                    end,
                    text[start:end],
                    f"{text[start:end]!r} in {name}: {rule.description}",
                    rule.severity,
                    rule.citation,
                )
        return
    # disclaimer / disclosure: one of the phrases must appear in one of the fields
    for name in rule.fields:
        text = fields.get(name) or ""
        if text and rule._regex.search(normalise(text)[0]):
            return
    wanted = " / ".join(f"{term!r}" for term in rule.terms[:3]) or "the required text"
    where = rule.fields[0] if len(rule.fields) == 1 else f"{' or '.join(rule.fields)}"
    yield Violation(
        rule.id,
        rule.kind,
        rule.fields[0],
        None,
        None,
        rule.terms[0] if rule.terms else "",
        f"missing in {where}: {wanted} — {rule.description}",
        rule.severity,
        rule.citation,
    )
