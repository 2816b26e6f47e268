"""Creative templates: the fields of an ad with `{{placeholder}}` slots filled from a product feed
row, an audience segment and a language.

Syntax: `{{ name }}` or `{{ name|filter|filter:"arg" }}`. Names are lower-case identifiers.
Filters are few and cheap: upper, lower, title, capitalize, trim, amount (a price without its
symbol) and default:"text" (used when the value is missing or empty). A name the template uses
but no source provides is an error naming it and the field, raised before anything is generated.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from ads.variants.money import Money

FIELDS = ("primary_text", "headline", "description", "call_to_action", "link", "image")
TEXT_FIELDS = ("primary_text", "headline", "description")


class TemplateError(ValueError):
    """A template that cannot be compiled or uses a placeholder nothing provides."""

    def __init__(self, message: str, *, field: str = "", placeholder: str = "", language: str = ""):
        super().__init__(message)
        self.field = field
        self.placeholder = placeholder
        self.language = language


_SLOT = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_FILTER = re.compile(r'^([a-z_]+)(?::"((?:[^"\\]|\\.)*)")?$')


def _money_text(value: object, language: str) -> str:
    return value.format(language) if isinstance(value, Money) else str(value)


def _amount(value: object, language: str) -> str:
    if isinstance(value, Money):
        text = value.format(language)
        return "".join(ch for ch in text if ch.isdigit() or ch in ".,  ").strip()
    return str(value)


_FILTERS: dict[str, Callable[[str], str]] = {
    "upper": str.upper,
    "lower": str.lower,
    "title": str.title,
    "capitalize": str.capitalize,
    "trim": str.strip,
}


@dataclass(frozen=True, slots=True)
class _Slot:
    name: str
    filters: tuple[tuple[str, str | None], ...]
    default: str | None
    amount: bool


class MissingValue(Exception):
    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


@dataclass(frozen=True, slots=True)
class CompiledText:
    """A field's text split once into literals and slots, so rendering is a join."""

    source: str
    parts: tuple[str | _Slot, ...]

    @property
    def names(self) -> set[str]:
        return {part.name for part in self.parts if isinstance(part, _Slot)}

    def render(self, context: Mapping[str, object], language: str, missing: list[str] | None = None) -> str:
        """The text with its slots filled. A slot with no value (and no default) raises
        MissingValue, or, given a `missing` list, is noted there and left as "{{name}}" so that a
        preview shows the gap."""
        if len(self.parts) == 1 and isinstance(self.parts[0], str):
            return self.parts[0]
        out = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            value = context.get(part.name)
            if value is None or value == "":
                if part.default is None:
                    if missing is None:
                        raise MissingValue(part.name)
                    missing.append(part.name)
                    out.append(f"{{{{{part.name}}}}}")
                    continue
                text = part.default
            elif part.amount:
                text = _amount(value, language)
            else:
                text = _money_text(value, language)
            for name, _arg in part.filters:
                text = _FILTERS[name](text)
            out.append(text)
        return "".join(out)


def compile_text(source: str, *, field: str = "", language: str = "") -> CompiledText:
    parts: list[str | _Slot] = []
    position = 0
    for match in _SLOT.finditer(source):
        if match.start() > position:
            parts.append(source[position : match.start()])
        parts.append(_parse_slot(match.group(1), field=field, language=language))
        position = match.end()
    rest = source[position:]
    if "{{" in rest or "}}" in rest:
        raise TemplateError(
            f"unclosed or stray braces in {field or 'text'}: {rest[:40]!r}", field=field, language=language
        )
    if rest or not parts:
        parts.append(rest)
    return CompiledText(source, tuple(parts))


def _parse_slot(body: str, *, field: str, language: str) -> _Slot:
    name, *chain = (piece.strip() for piece in body.split("|"))
    if not _NAME.match(name):
        raise TemplateError(
            f"bad placeholder {{{{{body}}}}} in {field}: names are lower-case letters, digits and _",
            field=field,
            placeholder=name,
            language=language,
        )
    filters: list[tuple[str, str | None]] = []
    default = None
    amount = False
    for piece in chain:
        match = _FILTER.match(piece)
        if not match or (match.group(1) not in _FILTERS and match.group(1) not in ("default", "amount")):
            raise TemplateError(
                f"unknown filter {piece!r} on {{{{{name}}}}} in {field}; "
                f"known: {', '.join([*_FILTERS, 'amount', 'default'])}",
                field=field,
                placeholder=name,
                language=language,
            )
        if match.group(1) == "default":
            default = (match.group(2) or "").replace('\\"', '"')
        elif match.group(1) == "amount":
            amount = True
        else:
            filters.append((match.group(1), match.group(2)))
    return _Slot(name, tuple(filters), default, amount)


@dataclass(frozen=True)
class Template:
    """The fields of an ad, each a text with placeholders, in the base language; `translations`
    override any field per language code ({"id": {"headline": "..."}}). `format_images` gives a
    different image per format ({"story": "{{image_story_url}}"}); `image_size` is the (width,
    height) of the image when the feed does not say (feed columns image_width/image_height, or
    <format>_image_width/<format>_image_height, win)."""

    primary_text: str = ""
    headline: str = ""
    description: str = ""
    call_to_action: str = ""
    link: str = ""
    image: str = ""
    translations: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    format_images: Mapping[str, str] = field(default_factory=dict)
    image_size: tuple[int, int] | None = None
    name: str = ""

    def __post_init__(self):
        for language, texts in self.translations.items():
            unknown = set(texts) - set(FIELDS)
            if unknown:
                raise TemplateError(
                    f"translation {language!r} has unknown fields: {', '.join(sorted(unknown))}",
                    language=language,
                )

    def texts(self, language: str) -> dict[str, str]:
        """Field -> source text for `language` (base texts where it has no translation)."""
        base = {name: getattr(self, name) for name in FIELDS}
        override = self.translations.get(language) or self.translations.get(language.split("-")[0]) or {}
        return {**base, **override}

    def compiled(self, language: str) -> dict[str, CompiledText]:
        return {
            name: compile_text(text, field=name, language=language)
            for name, text in self.texts(language).items()
        }

    def compiled_images(self, language: str) -> dict[str, CompiledText]:
        return {
            fmt: compile_text(text, field="image", language=language)
            for fmt, text in self.format_images.items()
        }

    def placeholders(self, languages: Iterable[str] = ()) -> dict[str, set[str]]:
        """Placeholder name -> the fields using it, over the base texts and the given languages."""
        used: dict[str, set[str]] = {}
        for language in ["", *languages]:
            for name, text in self.compiled(language).items():
                for placeholder in text.names:
                    used.setdefault(placeholder, set()).add(name)
            for text in self.compiled_images(language).values():
                for placeholder in text.names:
                    used.setdefault(placeholder, set()).add("image")
        return used

    def check(self, available: Iterable[str], languages: Iterable[str] = ()) -> None:
        """Raise TemplateError naming the first placeholder that no source provides."""
        known = set(available)
        for language in ["", *languages]:
            compiled = {
                **self.compiled(language),
                **{f"image:{k}": v for k, v in self.compiled_images(language).items()},
            }
            for name, text in compiled.items():
                for placeholder in sorted(text.names - known):
                    where = name.split(":")[0]
                    lang = f" ({language})" if language else ""
                    raise TemplateError(
                        f"unknown placeholder {{{{{placeholder}}}}} in {where}{lang}; "
                        f"available: {', '.join(sorted(known)) or 'none'}",
                        field=where,
                        placeholder=placeholder,
                        language=language,
                    )

    @property
    def fingerprint(self) -> str:
        """Changes whenever any text of the template does."""
        parts = [self.name, *(getattr(self, name) for name in FIELDS)]
        for language in sorted(self.translations):
            parts += [language, *(f"{k}={v}" for k, v in sorted(self.translations[language].items()))]
        parts += [f"{k}={v}" for k, v in sorted(self.format_images.items())]
        parts.append(repr(self.image_size))
        return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).hexdigest()
