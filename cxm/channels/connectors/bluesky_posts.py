"""The parts of a Bluesky post record that follow from the lexicons: the record key derived
from the idempotency key, the text's length as Bluesky counts it (graphemes), and the link and
tag facets that make URLs and tags live."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any

# -- record keys ------------------------------------------------------------------------------

_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
TID_PATTERN = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
# Derived keys take their timestamp from 2000-01-01 plus at most 2**49 microseconds (about 17.8
# years): always in the past, before atproto existed, so they can never collide with the time-based
# keys a PDS or another client generates. Only the syntax of a record key is checked by a PDS; what
# readers sort by is the record's createdAt.
_TID_EPOCH_START = 946_684_800_000_000
_TID_SPAN_BITS = 49


def tid_from_key(idempotency_key: str) -> str:
    """A valid TID (13 base32-sortable chars, top bit 0) that depends only on the idempotency key."""
    digest = hashlib.sha256(f"cxm:bluesky:post:{idempotency_key}".encode()).digest()
    number = int.from_bytes(digest[:8], "big")
    micros = _TID_EPOCH_START + (number >> 10) % (1 << _TID_SPAN_BITS)
    value = (micros << 10) | (number & 0x3FF)  # 53-bit timestamp, 10-bit clock identifier
    return "".join(_TID_ALPHABET[(value >> shift) & 0x1F] for shift in range(60, -1, -5))


# -- text ---------------------------------------------------------------------------------------

_CR, _LF, _CONTROL, _EXTEND, _ZWJ, _RI, _SPACING, _L, _V, _T, _LV, _LVT, _PICT, _OTHER = range(14)
# Extended_Pictographic, coarsely: enough for the ZWJ-sequence rule, the only rule that needs it.
_PICTOGRAPHIC = (
    (0x00A9, 0x00A9),
    (0x00AE, 0x00AE),
    (0x203C, 0x203C),
    (0x2049, 0x2049),
    (0x2122, 0x2122),
    (0x2139, 0x2139),
    (0x2194, 0x21AA),
    (0x231A, 0x23FF),
    (0x24C2, 0x24C2),
    (0x25AA, 0x25FE),
    (0x2600, 0x27BF),
    (0x2934, 0x2935),
    (0x2B05, 0x2B55),
    (0x3030, 0x3030),
    (0x303D, 0x303D),
    (0x3297, 0x3299),
    (0x1F000, 0x1FAFF),
    (0x1FC00, 0x1FFFD),
)
_PREPEND_FORMAT = frozenset({0x0600, 0x0601, 0x0602, 0x0603, 0x0604, 0x0605, 0x06DD, 0x070F, 0x110BD})


def _break_class(char: str) -> int:
    code = ord(char)
    if char == "\r":
        return _CR
    if char == "\n":
        return _LF
    if code == 0x200D:
        return _ZWJ
    if 0x1F1E6 <= code <= 0x1F1FF:
        return _RI
    # Emoji skin-tone modifiers, tag characters (subdivision flags) and ZWNJ extend a cluster even
    # though their general categories (Sk, Cf) say otherwise.
    if 0x1F3FB <= code <= 0x1F3FF or 0xE0020 <= code <= 0xE007F or code == 0x200C:
        return _EXTEND
    if 0x1100 <= code <= 0x115F or 0xA960 <= code <= 0xA97C:
        return _L
    if 0x1160 <= code <= 0x11A7 or 0xD7B0 <= code <= 0xD7C6:
        return _V
    if 0x11A8 <= code <= 0x11FF or 0xD7CB <= code <= 0xD7FB:
        return _T
    if 0xAC00 <= code <= 0xD7A3:
        return _LV if (code - 0xAC00) % 28 == 0 else _LVT
    category = unicodedata.category(char)
    if category in ("Mn", "Me"):
        return _EXTEND
    if category == "Mc" or code in (0x0E33, 0x0EB3):
        return _SPACING
    if any(low <= code <= high for low, high in _PICTOGRAPHIC):
        return _PICT
    if category in ("Cc", "Zl", "Zp") or (category == "Cf" and code not in _PREPEND_FORMAT):
        return _CONTROL
    return _OTHER


def grapheme_count(text: str) -> int:
    """User-perceived characters, as Bluesky counts a post's length (extended grapheme clusters).

    No segmentation library is installed, so this follows the UAX #29 rules with the character
    classes approximated from `unicodedata`: CR LF, controls, combining and spacing marks, variation
    selectors, emoji modifiers, keycaps, ZWJ emoji sequences, flag pairs, tag sequences and
    conjoining Hangul are handled. Prepend characters and the Indic conjunct rule (GB9c) are not,
    so such a cluster may count as two: that errs towards refusing a post the PDS would accept,
    never the reverse.
    """
    count = 0
    previous: int | None = None
    regional_run = 0  # regional indicators in a row, ending with the previous character
    pictographic = False  # the previous characters are Extended_Pictographic Extend*
    zwj_after_pictographic = False
    for char in text:
        current = _break_class(char)
        if previous is None or not _joins(previous, current, regional_run, zwj_after_pictographic):
            count += 1
        zwj_after_pictographic = current == _ZWJ and pictographic
        pictographic = current == _PICT or (pictographic and current == _EXTEND)
        regional_run = regional_run + 1 if current == _RI else 0
        previous = current
    return count


def _joins(previous: int, current: int, regional_run: int, zwj_after_pictographic: bool) -> bool:
    """Whether `current` continues the cluster `previous` belongs to (UAX #29 rules GB3 to GB13)."""
    if previous == _CR and current == _LF:
        return True
    if previous in (_CR, _LF, _CONTROL) or current in (_CR, _LF, _CONTROL):
        return False
    hangul = (
        (previous == _L and current in (_L, _V, _LV, _LVT))
        or (previous in (_LV, _V) and current in (_V, _T))
        or (previous in (_LVT, _T) and current == _T)
    )
    if hangul or current in (_EXTEND, _ZWJ, _SPACING):
        return True
    if previous == _ZWJ and current == _PICT:
        return zwj_after_pictographic
    if previous == _RI and current == _RI:
        return regional_run % 2 == 1  # flags are pairs of regional indicators
    return False


_URL_RE = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TAG_RE = re.compile(r"(?:^|(?<=\s))#([^\s#]+)")
_TRAILING_PUNCTUATION = ".,;:!?)]}'\""


def text_facets(text: str) -> list[dict[str, Any]]:
    """Link and hashtag facets: without them Bluesky shows URLs and tags as plain text.

    Mentions are left as text: turning one into a facet needs the handle resolved to a DID.
    Offsets are UTF-8 byte positions, as the richtext lexicon requires.
    """
    facets: list[dict[str, Any]] = []
    for match in _URL_RE.finditer(text):
        url = match.group(0).rstrip(_TRAILING_PUNCTUATION)
        feature = {"$type": "app.bsky.richtext.facet#link", "uri": url}
        facets.append(_facet(text, match.start(), match.start() + len(url), feature))
    for match in _TAG_RE.finditer(text):
        tag = match.group(1).rstrip(_TRAILING_PUNCTUATION)
        if not tag or tag.isdigit() or len(tag) > 64:
            continue
        feature = {"$type": "app.bsky.richtext.facet#tag", "tag": tag}
        facets.append(_facet(text, match.start(), match.start(1) + len(tag), feature))
    return facets


def _facet(text: str, start: int, end: int, feature: dict[str, Any]) -> dict[str, Any]:
    byte_start = len(text[:start].encode())
    byte_end = byte_start + len(text[start:end].encode())
    return {"index": {"byteStart": byte_start, "byteEnd": byte_end}, "features": [feature]}
