"""Meta's Conversations API (Messenger Platform) as the Facebook Page and Instagram stand-ins both
answer it: each person's conversation with the Page or account, its messages in the documented
shape (`{"id", "message", "from", "to": {"data": [...]}, "created_time"}`, see
`fixtures/meta/messenger_conversations.json`), listed latest conversation first with the messages
newest first, nested by field expansion (`messages.limit(N){id,message,...}`)."""

from __future__ import annotations

import re
from typing import Any

MESSAGES_FIELD = re.compile(r"messages(?:\.limit\((\d+)\))?(?:\{([^}]*)\})?")


class Conversations:
    def __init__(self) -> None:
        self.by_person: dict[str, list[dict[str, Any]]] = {}

    def add(
        self, person: dict, us: dict, *, mid: str, text: str, created_time: str, ours: bool = False
    ) -> str:
        """A message in `person`'s conversation with `us` (the Page or the account), from them,
        or from us when `ours`; each side is `{"id", "name"}` or `{"id", "username"}`."""
        sender, recipient = (us, person) if ours else (person, us)
        self.by_person.setdefault(person["id"], []).append(
            {
                "id": mid,
                "created_time": created_time,
                "to": {"data": [recipient]},
                "from": sender,
                "message": text,
            }
        )
        return mid

    def listing(self, *, fields: str, limit: int, person: str | None = None) -> list[dict[str, Any]]:
        """The conversations (one person's, when named), each `{"id", "updated_time"}` and, when
        the fields ask for them, its `messages`."""
        found = MESSAGES_FIELD.search(fields or "")
        rows = []
        for who, messages in self.by_person.items():
            if person and who != person:
                continue
            ordered = sorted(messages, key=lambda m: m["created_time"], reverse=True)
            row: dict[str, Any] = {"id": f"t_{who}", "updated_time": ordered[0]["created_time"]}
            if found:
                wanted = {"id", *(found.group(2) or "created_time").split(",")}  # Graph always names the id
                row["messages"] = {
                    "data": [
                        {k: v for k, v in m.items() if k in wanted}
                        for m in ordered[: int(found.group(1) or 25)]
                    ]
                }
            rows.append(row)
        rows.sort(key=lambda row: row["updated_time"], reverse=True)
        return rows[:limit]
