"""Expanding a template into variants: feed rows x segments x languages x formats, each rendered,
validated against its platform and deduplicated, streamed so that memory does not grow with the
number of variants (only the set of content hashes seen does, ~100 bytes a variant)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from ads.variants.feed import Feed, FeedRow
from ads.variants.limits import FORMATS, Format, check_fields, platform_spec
from ads.variants.template import FIELDS, Template, TemplateError
from ads.variants.variant import Issue, Variant, content_hash, variant_key


@dataclass(frozen=True)
class Segment:
    """An audience segment: its values fill placeholders ({"city": "Bandung", "age_band": "25-34"})
    and win over feed columns of the same name."""

    name: str
    values: Mapping[str, str] = field(default_factory=dict)


ALL = Segment("all")


@dataclass
class GenerationStats:
    combinations: int = 0  # rendered
    variants: int = 0  # yielded
    duplicates: int = 0
    with_errors: int = 0
    with_warnings: int = 0
    issues: Counter = field(default_factory=Counter)  # (code, field) -> count
    duplicate_of: dict[str, str] | None = None  # dropped key -> kept key, when asked for


def available_names(feed: Feed, segments: Sequence[Segment]) -> set[str]:
    names = set(feed.columns) | {"segment", "language"}
    for segment in segments:
        names |= set(segment.values)
    return names


def generate_variants(
    *,
    template: Template,
    feed: Feed | Iterable[FeedRow],
    segments: Sequence[Segment] = (ALL,),
    languages: Sequence[str] = ("en",),
    formats: Sequence[str] = ("feed_square",),
    platform: str = "meta",
    validate: bool = True,
    dedupe: bool = True,
    stats: GenerationStats | None = None,
    record_duplicates: bool = False,
    format_registry: Mapping[str, Format] = FORMATS,
) -> Iterator[Variant]:
    """Yield the variants of `template` over the feed, one per row x segment x language x format.

    Raises TemplateError before yielding anything when a placeholder has no source (feed column,
    segment value, "segment", "language") or a format is unknown. A row that lacks a value the
    template needs gives a variant with a "missing_value" error on that field, the gap left visible
    as "{{name}}" in the text. With
    `dedupe`, a variant whose content (format, texts, image) was already yielded is dropped and
    counted in `stats`; `record_duplicates` keeps which key it duplicated.
    """
    stats = stats if stats is not None else GenerationStats()
    if record_duplicates and stats.duplicate_of is None:
        stats.duplicate_of = {}
    spec = platform_spec(platform)
    unknown = [name for name in formats if name not in format_registry]
    if unknown:
        raise TemplateError(f"unknown format {unknown[0]!r}; known: {', '.join(format_registry)}")
    fmts = [format_registry[name] for name in formats]
    if isinstance(feed, Feed):
        template.check(available_names(feed, segments), languages)
    compiled = {language: template.compiled(language) for language in languages}
    images = {language: template.compiled_images(language) for language in languages}
    fingerprint = template.fingerprint
    seen: dict[str, str] | set[str] = {} if record_duplicates else set()
    text_fields = [name for name in FIELDS if name != "image"]

    for row in feed:
        for language in languages:
            texts = compiled[language]
            for segment in segments:
                context = {**row.values, **segment.values, "segment": segment.name, "language": language}
                rendered: dict[str, str] = {}
                missing: dict[str, list[str]] = {}
                for name in text_fields:
                    gaps: list[str] = []
                    rendered[name] = texts[name].render(context, language, gaps)
                    if gaps:
                        missing[name] = gaps
                for fmt in fmts:
                    stats.combinations += 1
                    key = variant_key(fingerprint, row.id, segment.name, language, fmt.name)
                    own = images[language].get(fmt.name)
                    fields = dict(rendered)
                    missing_here = dict(missing)
                    gaps = []
                    fields["image"] = (own or texts["image"]).render(context, language, gaps)
                    if gaps:
                        missing_here["image"] = gaps
                    width, height = _image_size(row.values, fmt.name if own else "", template)
                    digest = content_hash(fmt.name, fields, width, height)
                    if dedupe:
                        if digest in seen:
                            stats.duplicates += 1
                            if record_duplicates:
                                stats.duplicate_of[key] = seen[digest]  # type: ignore[index,call-overload]
                            continue
                        if record_duplicates:
                            seen[digest] = key  # type: ignore[index]
                        else:
                            seen.add(digest)  # type: ignore[union-attr]
                    issues: list[Issue] = [
                        Issue(
                            key,
                            name,
                            "missing_value",
                            "error",
                            f"no value for {{{{{placeholder}}}}} in row {row.id}",
                        )
                        for name, names in missing_here.items()
                        for placeholder in names
                    ]
                    if validate:
                        issues += check_fields(key, fields, fmt, width, height, spec)
                    variant = Variant(
                        key=key,
                        content_hash=digest,
                        row_id=row.id,
                        segment=segment.name,
                        language=language,
                        format=fmt.name,
                        fields=fields,
                        image_width=width,
                        image_height=height,
                        issues=tuple(issues),
                        platform=platform,
                    )
                    stats.variants += 1
                    if issues:
                        errors = False
                        for issue in issues:
                            stats.issues[(issue.code, issue.field)] += 1
                            errors = errors or issue.severity == "error"
                        if errors:
                            stats.with_errors += 1
                        if variant.has_warnings:
                            stats.with_warnings += 1
                    yield variant


def _image_size(values: Mapping[str, object], own: str, template: Template) -> tuple[int | None, int | None]:
    """A format with its own image takes <format>_image_width/height; others the base image's."""
    prefix = f"{own}_" if own else ""
    width, height = values.get(f"{prefix}image_width"), values.get(f"{prefix}image_height")
    if isinstance(width, int) and isinstance(height, int):
        return width, height
    if template.image_size and not own:
        return template.image_size
    return None, None
