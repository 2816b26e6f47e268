"""Who holds what about a person. The kernel never imports the product modules, so each module
that stores personal data registers a handler when its app loads:

    listening  -> mentions by the person (archived months too), their words in roll-ups
                                                                          (listening/apps.py)
    care       -> cases, messages, notes, CSAT answers, case events       (care/apps.py)
    publishing -> posts, review comments and media that name the person   (publishing/apps.py)
    ads        -> comments under the workspace's ads                       (ads/apps.py)
    channels   -> website chat visitors and their conversations            (cxm/channels/apps.py)
    privacy    -> audit entries, cached exports, profiles and identities  (cxm/privacy/apps.py)

A request runs every handler in `order` (products first, the identities last: the products find
the person through them), each in its own transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from cxm.privacy.subject import Subject


class ExportWriter(Protocol):
    def write(self, kind: str, record: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class RetentionCutoffs:
    """Records older than these are purged; None keeps them."""

    mentions_before: datetime | None = None
    closed_cases_before: datetime | None = None


class PrivacyHandler(Protocol):
    name: str
    order: int
    kinds: tuple[str, ...]  # the kinds of record it reports, in the order the UI lists them

    def find(self, workspace_id: int, subject: Subject) -> dict[str, int]: ...

    def export(self, workspace_id: int, subject: Subject, writer: ExportWriter) -> None: ...

    def erase(self, workspace_id: int, subject: Subject) -> dict[str, int]: ...


# Handlers that also purge old records may define
#   purge(workspace_id, cutoffs, batch_size, on_batch) -> dict[str, int]
PurgeProgress = Callable[[str, int], None]

_HANDLERS: dict[str, PrivacyHandler] = {}


def register_privacy_handler(handler: PrivacyHandler) -> None:
    _HANDLERS[handler.name] = handler


def unregister_privacy_handler(name: str) -> None:
    _HANDLERS.pop(name, None)


def privacy_handlers() -> list[PrivacyHandler]:
    return sorted(_HANDLERS.values(), key=lambda handler: (handler.order, handler.name))


def record_kinds() -> list[str]:
    return [kind for handler in privacy_handlers() for kind in handler.kinds]
