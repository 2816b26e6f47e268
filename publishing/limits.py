"""What each platform accepts in a post, known without asking it, so a composer sees the limits
while typing. The connector still enforces the server's own limits when it publishes."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# (max length, unit, max media). Mastodon's 500 is the stock default; an instance that allows more
# can say so in the account's options ("max_text_length").
PLATFORM_LIMITS: dict[str, tuple[int, str, int]] = {
    "mastodon": (500, "characters", 4),
    "bluesky": (300, "graphemes", 4),
    "email": (100_000, "characters", 10),
    "webhook": (10_000, "characters", 10),
    "demo": (500, "characters", 4),
    # A caption; a carousel holds at most 10 items (the post itself needs an image or a video).
    "instagram": (2200, "characters", 10),
    "facebook_page": (63_206, "characters", 1),
    # X weighs a link as 23 characters and some scripts double; it has the last word when posting.
    "x": (280, "characters", 0),
}

# Platforms where a post can be a thread: each further part answers the one before it, as people
# write threads there by hand. The demo network takes them so the composer can be tried on it.
THREAD_PLATFORMS = frozenset({"x", "mastodon", "bluesky", "demo"})
MAX_THREAD_PARTS = 25


@dataclass(frozen=True)
class Check:
    platform: str
    length: int
    max_length: int
    media: int
    max_media: int
    can_publish: bool = True

    @property
    def ok(self) -> bool:
        return self.can_publish and self.length <= self.max_length and self.media <= self.max_media

    @property
    def message(self) -> str:
        if not self.can_publish:
            return f"{self.platform} accounts cannot publish posts"
        problems = []
        if self.length > self.max_length:
            problems.append(f"{self.length - self.max_length} characters too long for {self.platform}")
        if self.media > self.max_media:
            problems.append(f"{self.platform} takes at most {self.max_media} attachments")
        return "; ".join(problems)


def graphemes(text: str) -> int:
    """User-perceived characters, near enough for a counter: combining marks, variation selectors
    and the parts of a zero-width-joiner emoji sequence do not add one."""
    count = 0
    joined = False
    for char in text:
        if char == "\u200d":
            joined = True
            continue
        if (
            unicodedata.combining(char)
            or "\ufe00" <= char <= "\ufe0f"
            or "\U0001f3fb" <= char <= "\U0001f3ff"
        ):
            continue
        if joined:
            joined = False
            continue
        count += 1
    return count


def text_length(text: str, unit: str) -> int:
    if unit == "graphemes":
        return graphemes(text)
    if unit == "utf16":
        return len(text.encode("utf-16-le")) // 2
    if unit == "bytes":
        return len(text.encode())
    return len(text)


def check_text(*, platform: str, text: str, media: int = 0, options: dict | None = None) -> Check:
    if platform not in PLATFORM_LIMITS:
        return Check(platform, len(text), 0, media, 0, can_publish=False)
    max_length, unit, max_media = PLATFORM_LIMITS[platform]
    max_length = int((options or {}).get("max_text_length") or max_length)
    return Check(platform, text_length(text, unit), max_length, media, max_media)
