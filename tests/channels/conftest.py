from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from cxm.channels.sinks import register_sink, registered_sinks, unregister_sink
from tests.channels.youtube_helpers import NOON, Clock, serve_youtube


class RecordingSink:
    """Stands in for listening/care: records what it is given, and can be made to fail."""

    def __init__(self):
        self.items = []
        self.contexts = []
        self.fail_with: Exception | None = None

    def __call__(self, context, items):
        if self.fail_with is not None:
            raise self.fail_with
        self.contexts.append(context)
        self.items.extend(items)

    @property
    def external_ids(self) -> list[str]:
        return [item.external_id for item in self.items]


@pytest.fixture
def sink():
    """Replace every registered sink with one recording sink for the test."""
    saved = registered_sinks()
    for name in saved:
        unregister_sink(name)
    recording = RecordingSink()
    register_sink("test", recording)
    yield recording
    unregister_sink("test")
    for name, existing in saved.items():
        register_sink(name, existing)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as client:
        yield client


@pytest.fixture
def youtube(settings):
    """The YouTube stand-in, with the settings pointing at it (tests/channels/youtube_helpers.py)."""
    yield from serve_youtube(settings)


@pytest.fixture
def clock():
    """Noon in California on a November day, moved by the test."""
    return Clock(NOON)
