"""The variant: one rendered ad (a feed row for a segment, in a language and a format), and the
issues found in it. Plain values, so the service layer can store them as it likes."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Issue:
    key: str  # the variant
    field: str  # "headline", "image", ... or "" for the variant as a whole
    code: str  # "too_long", "over_recommended", "required", "image_aspect", ...
    severity: str  # "error" blocks the variant, "warning" is shown
    message: str
    length: int | None = None
    limit: int | None = None
    unit: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


@dataclass(frozen=True, slots=True)
class Variant:
    """`key` identifies the variant by its inputs (template, row id, segment, language, format), so
    it is the same on every regeneration and can carry an ad, a waiver or an exclusion; `content_hash`
    identifies what it says and shows, for deduplication and change detection."""

    key: str
    content_hash: str
    row_id: str
    segment: str
    language: str
    format: str
    fields: Mapping[str, str]
    image_width: int | None = None
    image_height: int | None = None
    issues: tuple[Issue, ...] = ()
    excluded: bool = False
    edited: bool = False
    platform: str = "meta"

    @property
    def has_errors(self) -> bool:
        return any(issue.severity == "error" for issue in self.issues)

    @property
    def has_warnings(self) -> bool:
        return any(issue.severity == "warning" for issue in self.issues)

    @property
    def errors(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.severity == "error"]


def variant_key(template_fingerprint: str, row_id: str, segment: str, language: str, fmt: str) -> str:
    raw = "\x1f".join((template_fingerprint, row_id, segment, language, fmt)).encode()
    return "v_" + hashlib.blake2b(raw, digest_size=10).hexdigest()


def content_hash(fmt: str, fields: Mapping[str, str], width: int | None, height: int | None) -> str:
    """What the ad says and shows in its format. Segment and language are targeting, not content:
    two segments that render the same text get one creative."""
    parts = [fmt, *(f"{name}={fields[name]}" for name in sorted(fields)), str(width), str(height)]
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=12).hexdigest()
