"""The person a request is about, and the scrubbing every handler applies to their traces."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings

ERASED = "[erased]"
# Names shorter than this are not scrubbed from other people's texts: "Al" would blank half the
# workspace. They are still erased from the person's own records.
MIN_SCRUB_LENGTH = 4


def normalise_identity(identity: str) -> str:
    return identity.strip().lower()


def identity_digest(workspace_id: int, identity: str) -> str:
    """Keyed, so the digest of an erased email cannot be looked up in a table of known addresses."""
    message = f"{workspace_id}:{normalise_identity(identity)}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def identity_mask(identity: str) -> str:
    """Enough for an admin to recognise a request in the list, never the identity itself."""
    value = identity.strip()
    if "@" in value.strip("@"):
        local, _, domain = value.lstrip("@").partition("@")
        return f"{local[:1]}…@{domain[:1]}…"
    digits = re.sub(r"\D", "", value)
    if len(digits) >= 6 and len(digits) >= len(value.replace(" ", "")) - 2:
        return f"…{digits[-2:]}"
    return f"{value[:2]}…"


def phone_digits(value: str) -> str:
    return re.sub(r"\D", "", value)


@dataclass
class Subject:
    """Everything that identifies the person in one workspace."""

    identity: str = ""
    profile_ids: list[int] = field(default_factory=list)
    identity_ids: list[int] = field(default_factory=list)
    # (platform, platform_id, handle) of each identity
    accounts: list[list[str]] = field(default_factory=list)
    handles: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    pseudonym: str = ""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Subject:
        return cls(**data)

    @property
    def is_empty(self) -> bool:
        return not (self.profile_ids or self.handles or self.emails or self.phones)

    @property
    def handle_variants(self) -> list[str]:
        """Handles as platforms spell them: with and without the leading @."""
        variants: set[str] = set()
        for handle in self.handles:
            bare = handle.lstrip("@")
            if bare:
                variants.update({bare, "@" + bare})
        return sorted(variants)

    @property
    def platform_ids(self) -> list[str]:
        return sorted({account[1] for account in self.accounts if account[1]})

    def identifiers(self) -> list[str]:
        """Every string that names the person, longest first (so a replacement never leaves the
        tail of a longer one behind)."""
        values = {
            *self.handle_variants,
            *self.emails,
            *self.phones,
            *self.platform_ids,
            *[name for name in self.names if len(name) >= MIN_SCRUB_LENGTH],
        }
        values.discard("")
        return sorted(
            (value for value in values if len(value) >= MIN_SCRUB_LENGTH or value in self.emails),
            key=lambda value: (-len(value), value),
        )

    def pattern(self) -> re.Pattern[str] | None:
        identifiers = self.identifiers()
        if not identifiers:
            return None
        # Whole words only: erasing "john" must not turn someone else's "johnson" into "[erased]son".
        alternatives = "|".join(re.escape(value) for value in identifiers)
        return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)

    def like_patterns(self) -> list[str]:
        """ILIKE patterns that find a text naming the person (for a database-side pre-filter)."""
        return [
            "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            for value in self.identifiers()
        ]


def scrub_text(text: str, pattern: re.Pattern[str] | None) -> str:
    if not text or pattern is None:
        return text
    return pattern.sub(ERASED, text)


def scrub_json(value: Any, pattern: re.Pattern[str] | None) -> Any:
    """The same JSON with every string (keys too) that names the person scrubbed."""
    if pattern is None:
        return value
    if isinstance(value, str):
        return scrub_text(value, pattern)
    if isinstance(value, list):
        return [scrub_json(item, pattern) for item in value]
    if isinstance(value, dict):
        return {scrub_text(str(key), pattern): scrub_json(item, pattern) for key, item in value.items()}
    return value


def names(value: Any, pattern: re.Pattern[str] | None) -> bool:
    """Whether any string in the value names the person."""
    if pattern is None:
        return False
    if isinstance(value, str):
        return bool(pattern.search(value))
    if isinstance(value, list):
        return any(names(item, pattern) for item in value)
    if isinstance(value, dict):
        return any(names(str(key), pattern) or names(item, pattern) for key, item in value.items())
    return False
