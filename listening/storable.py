"""What PostgreSQL can store of a mention, judged item by item before a batch reaches it.

One value the database refuses (a lone UTF-16 surrogate, U+0000, a time its partitions cannot
hold, a number beyond its column, Infinity in jsonb) would otherwise fail the COPY of the whole
batch. Each check answers the field at fault and a message, never the offending text itself: an
error that echoed a lone surrogate could not be written as UTF-8 either.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext as _

# Levels of nesting a mention's JSON field (`raw`, or any other object in an item) may have; the
# field itself is the first. Platforms' payloads stay far below it; deeper ones are not kept.
MAX_JSON_DEPTH = 32
# The times a mention may carry. The month partitions could hold more, but a post from before
# 1970 or after 2099 is a client's bug (a zero date, a sentinel like 9999-12-31), and the extremes
# overflow once shifted to UTC.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)  # exclusive
INT4_MAX = 2**31 - 1


def nul_message() -> str:
    return _("Null characters (U+0000) are not allowed.")


def surrogate_message() -> str:
    return _("Holds a lone UTF-16 surrogate (such as \\ud800), which is not valid Unicode text.")


def depth_message() -> str:
    return _("Nested deeper than %(levels)s levels.") % {"levels": MAX_JSON_DEPTH}


def number_message() -> str:
    return _("A number too large to store (beyond about 1.8e308).")


def range_message() -> str:
    return _("A time between 1970-01-01 and 2099-12-31 (UTC).")


_SURROGATE = re.compile("[\ud800-\udfff]")


def has_lone_surrogate(value: str) -> bool:
    """A str decoded from JSON may hold half of a surrogate pair (\\ud800), which UTF-8 cannot."""
    return not value.isascii() and _SURROGATE.search(value) is not None


def text_problem(value: str) -> str | None:
    if "\x00" in value:
        return nul_message()
    if has_lone_surrogate(value):
        return surrogate_message()
    return None


def json_problem(value: Any, *, field: str) -> tuple[str, str] | None:
    """The first unstorable part of a JSON value as (field path, message), or None.

    Walks without recursion, so a value nested thousands deep is measured, not a RecursionError.
    A bad key is reported at the object that holds it, since the key cannot be named.
    """
    stack: list[tuple[Any, str, int]] = [(value, field, 1)]
    while stack:
        node, where, depth = stack.pop()
        if type(node) is str:
            problem = text_problem(node)
            if problem:
                return where, problem
        elif type(node) is float:
            if not math.isfinite(node):
                return where, number_message()
        elif isinstance(node, dict | list):
            if depth > MAX_JSON_DEPTH:
                return field, depth_message()
            if isinstance(node, list):
                stack.extend((item, f"{where}[{index}]", depth + 1) for index, item in enumerate(node))
                continue
            for key, item in node.items():
                key = str(key)
                problem = text_problem(key)
                if problem:
                    return where, problem
                stack.append((item, f"{where}.{key}", depth + 1))
    return None


def item_problem(payload: dict[str, Any]) -> tuple[str, str] | None:
    """The first unstorable value anywhere in one batch item, as (field, message)."""
    # Ingest speed: the item's keys and text values, with those of flat objects such as
    # `author`, are searched as one string (a few C-level passes); only a hit, or a nested value,
    # is walked in Python to name the field.
    strings: list[str] = []
    nested: list[tuple[str, Any]] = []
    for key, value in payload.items():
        strings.append(key)
        kind = type(value)
        if kind is str:
            strings.append(value)
        elif kind is dict and all(type(item) is str for item in value.values()):
            strings.extend(value)
            strings.extend(value.values())
        elif kind is dict or kind is list or kind is float:
            nested.append((key, value))
    try:
        joined = "".join(strings)
    except TypeError:  # a key that is not text (not from JSON): take the careful path
        joined = "\x00"
    if "\x00" in joined or has_lone_surrogate(joined):
        return _item_problem_located(payload)
    for key, value in nested:
        found = json_problem(value, field=key)
        if found:
            return found
    return None


def _item_problem_located(payload: dict[str, Any]) -> tuple[str, str] | None:
    for key, value in payload.items():
        problem = text_problem(str(key))
        if problem:
            return "item", problem
        if type(value) is str:
            problem = text_problem(value)
            if problem:
                return str(key), problem
        elif isinstance(value, dict | list | float):
            found = json_problem(value, field=str(key))
            if found:
                return found
    return None


def time_problem(moment: datetime) -> str | None:
    if moment.utcoffset() is None:
        return _("Give a time zone, e.g. Z or +07:00.")
    try:
        inside = EARLIEST <= moment < LATEST
    except OverflowError:  # year 1 or 9999 shifted across midnight UTC
        inside = False
    return None if inside else range_message()


def int4_problem(value: int) -> str | None:
    return None if 0 <= value <= INT4_MAX else _("At least 0 and below 2,147,483,648.")
