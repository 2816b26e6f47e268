"""What the Graph API answers about an object that is not there (any more), for the Meta stand-ins:
code 100, subcode 33, in the documented error shape (`fixtures/meta/graph_missing_object.json`)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.stub_server import Reply

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "meta" / "graph_missing_object.json"


def missing_object(method: str, object_id: str) -> Reply:
    """The 400 answer to `method` about `object_id`, which does not exist."""
    error = json.loads(FIXTURE.read_text())["error"]
    error["message"] = (
        error["message"]
        .replace("Unsupported delete", f"Unsupported {method.lower()}")
        .replace("{object-id}", object_id)
    )
    return Reply(400, {"error": error})
