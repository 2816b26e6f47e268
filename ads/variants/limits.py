"""What each ad platform accepts in a creative, per field and per format, and the check of a
variant against it. Hard limits are errors (the platform refuses or the variant cannot run);
recommendations are warnings (the text is truncated behind "See more" in some placements).

Meta (Facebook and Instagram), the table in `PLATFORMS["meta"]`:

    field           recommended  hard max  unit       source
    primary_text    125          2,200     graphemes  Meta Ads Guide, image and video ads, Feed:
                                                      "Primary text: 125 characters" (text beyond
                                                      may be truncated); 2,200 is Instagram's
                                                      caption maximum (Instagram Graph API, IG
                                                      Media `caption`), binding whenever Instagram
                                                      placements are on, which is Advantage+'s
                                                      default
    headline        40           255       graphemes  Ads Guide "Headline: 40 characters"; 255 is
                                                      the Ads Manager field maximum (observed, not
                                                      published: provisional)
    description     30           255       graphemes  Ads Guide "Description: 30 characters"; 255
                                                      as for the headline (provisional)
    link            -            2,048     code pts   must be an absolute http(s) URL
    call_to_action  -            -         -          one of the Marketing API
                                                      `call_to_action.type` values below

    format          aspect   tolerance  min width  recommended
    feed_square     1:1      3 %        600 px     1080 x 1080   (Ads Guide, Feed image; the 3 %
    feed_portrait   4:5      3 %        600 px     1080 x 1350    aspect tolerance is Meta's)
    feed_landscape  1.91:1   3 %        600 px     1200 x 628
    story           9:16     3 %        500 px     1080 x 1920   (Ads Guide, Stories and Reels)
    reels           9:16     3 %        500 px     1080 x 1920

Meta counts characters as people see them (an emoji is one), hence graphemes. X (`PLATFORMS["x"]`)
counts weighted length (twitter-text v3: CJK and emoji weigh 2, a URL 23) against 280 for the post
text, and its website card headline has 70 characters (X Ads creative specifications).
These numbers move; keep them here, in one table, and nowhere else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ads.variants.text import measure
from ads.variants.variant import Issue, Variant


@dataclass(frozen=True)
class FieldLimit:
    max: int | None = None  # over it: error
    recommended: int | None = None  # over it: warning
    unit: str = "graphemes"


@dataclass(frozen=True)
class Format:
    name: str
    aspect: tuple[int, int]  # width : height
    required: tuple[str, ...]
    tolerance: float = 0.03
    min_width: int = 600
    recommended_size: tuple[int, int] = (1080, 1080)
    limits: Mapping[str, FieldLimit] = field(default_factory=dict)  # overrides of the platform's

    @property
    def ratio(self) -> float:
        return self.aspect[0] / self.aspect[1]


@dataclass(frozen=True)
class Platform:
    name: str
    limits: Mapping[str, FieldLimit]
    call_to_actions: frozenset[str] | None = None  # None: free text
    link_max: int = 2048


_SPACE = re.compile(r"\s")
_FEED_REQUIRED = ("primary_text", "link", "image", "call_to_action")
_STORY_REQUIRED = ("link", "image", "call_to_action")

FORMATS: dict[str, Format] = {
    "feed_square": Format("feed_square", (1, 1), _FEED_REQUIRED),
    "feed_portrait": Format("feed_portrait", (4, 5), _FEED_REQUIRED, recommended_size=(1080, 1350)),
    "feed_landscape": Format("feed_landscape", (191, 100), _FEED_REQUIRED, recommended_size=(1200, 628)),
    "story": Format("story", (9, 16), _STORY_REQUIRED, min_width=500, recommended_size=(1080, 1920)),
    "reels": Format("reels", (9, 16), _STORY_REQUIRED, min_width=500, recommended_size=(1080, 1920)),
}

META_CALL_TO_ACTIONS = frozenset(
    {
        "APPLY_NOW",
        "BOOK_NOW",
        "BOOK_TRAVEL",
        "BUY_NOW",
        "BUY_TICKETS",
        "CALL_NOW",
        "CONTACT_US",
        "DONATE_NOW",
        "DOWNLOAD",
        "GET_DIRECTIONS",
        "GET_OFFER",
        "GET_QUOTE",
        "GET_SHOWTIMES",
        "INSTALL_MOBILE_APP",
        "LEARN_MORE",
        "LISTEN_NOW",
        "MESSAGE_PAGE",
        "NO_BUTTON",
        "OPEN_LINK",
        "ORDER_NOW",
        "PLAY_GAME",
        "REQUEST_TIME",
        "SEE_MENU",
        "SEND_MESSAGE",
        "SHOP_NOW",
        "SIGN_UP",
        "SUBSCRIBE",
        "USE_APP",
        "WATCH_MORE",
        "WHATSAPP_MESSAGE",
    }
)

PLATFORMS: dict[str, Platform] = {
    "meta": Platform(
        "meta",
        {
            "primary_text": FieldLimit(max=2200, recommended=125),
            "headline": FieldLimit(max=255, recommended=40),
            "description": FieldLimit(max=255, recommended=30),
        },
        META_CALL_TO_ACTIONS,
    ),
    "x": Platform(
        "x",
        {
            "primary_text": FieldLimit(max=280, unit="weighted"),
            "headline": FieldLimit(max=70),
        },
    ),
}


def platform_spec(name: str) -> Platform:
    try:
        return PLATFORMS[name]
    except KeyError:
        raise ValueError(f"no limits known for platform {name!r}; known: {', '.join(PLATFORMS)}") from None


def validate_variant(
    variant: Variant, *, platform: str | None = None, formats: Mapping[str, Format] = FORMATS
) -> tuple[Issue, ...]:
    """Every issue of `variant` on its platform, each naming the variant key and the field."""
    spec = platform_spec(platform or variant.platform)
    fmt = formats.get(variant.format)
    if fmt is None:
        return (Issue(variant.key, "", "unknown_format", "error", f"unknown format {variant.format!r}"),)
    return tuple(
        check_fields(variant.key, variant.fields, fmt, variant.image_width, variant.image_height, spec)
    )


def check_fields(
    key: str,
    fields: Mapping[str, str],
    fmt: Format,
    width: int | None,
    height: int | None,
    spec: Platform,
) -> list[Issue]:
    issues = check_texts(key, fields, fmt, spec)
    issues += check_media(key, fields, fmt, width, height, spec)
    return issues


def check_texts(key: str, fields: Mapping[str, str], fmt: Format, spec: Platform) -> list[Issue]:
    issues: list[Issue] = []
    for name in fmt.required:
        if not (fields.get(name) or "").strip():
            issues.append(Issue(key, name, "required", "error", f"{name} is required in {fmt.name}"))
    for name, limit in spec.limits.items():
        limit = fmt.limits.get(name, limit)
        text = fields.get(name) or ""
        if not text:
            continue
        length = measure(text, limit.unit)
        if limit.max is not None and length > limit.max:
            issues.append(
                Issue(
                    key,
                    name,
                    "too_long",
                    "error",
                    f"{name} is {length} {limit.unit}; {spec.name} allows {limit.max}",
                    length,
                    limit.max,
                    limit.unit,
                )
            )
        elif limit.recommended is not None and length > limit.recommended:
            issues.append(
                Issue(
                    key,
                    name,
                    "over_recommended",
                    "warning",
                    f"{name} is {length} {limit.unit}; over {limit.recommended} it may be cut off",
                    length,
                    limit.recommended,
                    limit.unit,
                )
            )
    return issues


def check_media(
    key: str, fields: Mapping[str, str], fmt: Format, width: int | None, height: int | None, spec: Platform
) -> list[Issue]:
    issues: list[Issue] = []
    link = fields.get("link") or ""
    if link:
        parts = urlsplit(link)
        if parts.scheme not in ("http", "https") or not parts.netloc or _SPACE.search(link):
            issues.append(
                Issue(key, "link", "bad_link", "error", f"link is not an absolute http(s) URL: {link[:80]}")
            )
        elif len(link) > spec.link_max:
            issues.append(
                Issue(
                    key, "link", "too_long", "error", f"link is {len(link)} characters; max {spec.link_max}"
                )
            )
    cta = fields.get("call_to_action") or ""
    if cta and spec.call_to_actions is not None and cta not in spec.call_to_actions:
        issues.append(
            Issue(
                key,
                "call_to_action",
                "bad_call_to_action",
                "error",
                f"{cta!r} is not a {spec.name} call to action",
            )
        )
    if fields.get("image"):
        if not width or not height:
            issues.append(
                Issue(key, "image", "image_size_unknown", "warning", "image size unknown; aspect not checked")
            )
        else:
            ratio = width / height
            if abs(ratio - fmt.ratio) > fmt.ratio * fmt.tolerance:
                want = f"{fmt.aspect[0]}:{fmt.aspect[1]}" if fmt.aspect != (191, 100) else "1.91:1"
                issues.append(
                    Issue(
                        key,
                        "image",
                        "image_aspect",
                        "error",
                        f"image is {width}x{height}; {fmt.name} needs {want} (±{fmt.tolerance:.0%})",
                    )
                )
            elif width < fmt.min_width:
                issues.append(
                    Issue(
                        key,
                        "image",
                        "image_too_small",
                        "error",
                        f"image is {width} px wide; min {fmt.min_width}",
                    )
                )
            elif width < fmt.recommended_size[0]:
                size = f"{fmt.recommended_size[0]}x{fmt.recommended_size[1]}"
                issues.append(
                    Issue(
                        key,
                        "image",
                        "image_below_recommended",
                        "warning",
                        f"image is {width}x{height}; {size} recommended",
                    )
                )
    return issues
