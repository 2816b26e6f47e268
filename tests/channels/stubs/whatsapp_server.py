"""The WhatsApp Business Cloud API in miniature, on 127.0.0.1, for contract tests of the whatsapp
connector.

It answers with the shapes of Meta's documentation, kept as fixtures under
`tests/channels/fixtures/meta/` (each with its `_source`): the phone number object
(`GET /{version}/{phone-number-id}`), `POST /{version}/{phone-number-id}/messages` answering
`{"messaging_product": "whatsapp", "contacts": [{"input", "wa_id"}], "messages": [{"id": "wamid..."}]}`,
the template list (`GET /{version}/{waba-id}/message_templates`, paged with `limit` / `after`),
and the documented error bodies: 190 for a wrong token, 131047 for free text to a customer whose
24-hour window is closed (`close_window(wa_id)`), 132001 for a template that is not approved in
that language, 100 for a malformed message, and any documented code on demand (`fail_next(code)`).

    with WhatsAppStub() as whatsapp:
        ...
        whatsapp.sent  # the messages it accepted, in order, as sent
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import threading
from pathlib import Path
from typing import Any

from tests.stub_server import Answer, Request, StubServer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "meta"
TOKEN = "stub-whatsapp-token"
VERSION = "v21.0"
PHONE_NUMBER_ID = "106540352242922"
WABA_ID = "102290129340398"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def _documented(name: str) -> dict[str, Any]:
    body = fixture(name)
    body.pop("_source", None)
    return body


ERRORS: dict[str, dict[str, Any]] = _documented("whatsapp_errors.json")["errors"]


class WhatsAppStub(StubServer):
    name = "whatsapp"

    def __init__(
        self, *, token: str = TOKEN, phone_number_id: str = PHONE_NUMBER_ID, waba_id: str = WABA_ID
    ) -> None:
        super().__init__()
        self.token = token
        self.phone_number_id = phone_number_id
        self.waba_id = waba_id
        self.phone = {**_documented("whatsapp_phone_number.json"), "id": phone_number_id}
        self.template_rows: list[dict[str, Any]] = _documented("whatsapp_templates.json")["data"]
        self.sent: list[dict[str, Any]] = []
        self.closed_windows: set[str] = set()
        self._faults: list[tuple[str, dict[str, str]]] = []  # (error code, extra headers)
        self._lose_next = 0
        self._ids = itertools.count(1)
        self._state = threading.Lock()
        prefix = f"/{VERSION}"
        self.route("GET", rf"{prefix}/(\d+)", self._get_object)
        self.route("POST", rf"{prefix}/(\d+)/messages", self._post_message)
        self.route("GET", rf"{prefix}/(\d+)/message_templates", self._templates)

    # --- what tests set ---------------------------------------------------------------------------------

    def fail_next(self, code: int | str, *, times: int = 1, headers: dict[str, str] | None = None) -> None:
        """Answer the next `times` requests with the documented error body of `code`."""
        with self._state:
            self._faults.extend([(str(code), dict(headers or {}))] * times)

    def lose_answer_next(self) -> None:
        """Accept the next message, then close the connection instead of answering."""
        with self._state:
            self._lose_next += 1

    def close_window(self, wa_id: str) -> None:
        """The customer last wrote more than 24 hours ago: free text to them is refused."""
        self.closed_windows.add(wa_id)

    def owns(self, object_id: str) -> bool:
        """Whether a Graph call about `object_id` is this number's to answer (see MetaOAuthServer)."""
        return object_id in (self.phone_number_id, self.waba_id)

    # --- answering ----------------------------------------------------------------------------------------

    def serve(self, request: Request) -> Answer:
        if request.header("Authorization") != f"Bearer {self.token}":
            return self._error("190")
        with self._state:
            fault = self._faults.pop(0) if self._faults else None
        if fault is not None:
            return self._error(*fault)
        return self.dispatch(request)

    def _error(self, code: str, headers: dict[str, str] | None = None) -> Answer:
        documented = ERRORS[code]
        return Answer(documented["http_status"], copy.deepcopy(documented["body"]), dict(headers or {}))

    def _get_object(self, request: Request, object_id: str) -> Answer:
        if object_id != self.phone_number_id:
            return self._error("100")
        fields = (request.query.get("fields") or [""])[0]
        if not fields:
            return Answer(200, dict(self.phone))
        wanted = set(fields.split(","))
        return Answer(200, {key: value for key, value in self.phone.items() if key in wanted or key == "id"})

    def _post_message(self, request: Request, phone_number_id: str) -> Answer:
        if phone_number_id != self.phone_number_id:
            return self._error("100")
        try:
            payload = request.json()
        except ValueError:
            return self._error("100")
        if not isinstance(payload, dict) or payload.get("messaging_product") != "whatsapp":
            return self._error("100")
        to = str(payload.get("to") or "")
        kind = payload.get("type")
        if not re.fullmatch(r"\d{6,15}", to) or kind not in ("text", "template"):
            return self._error("100")
        if kind == "text":
            if not str((payload.get("text") or {}).get("body") or "").strip():
                return self._error("100")
            if to in self.closed_windows:
                return self._error("131047")
        else:
            template = payload.get("template") or {}
            name = template.get("name")
            language = (template.get("language") or {}).get("code")
            if not any(
                row["name"] == name and row["language"] == language and row["status"] == "APPROVED"
                for row in self.template_rows
            ):
                return self._error("132001")
        message_id = f"wamid.STUB{next(self._ids):08d}"
        with self._state:
            self.sent.append({**payload, "_id": message_id})
            lose = self._lose_next > 0
            if lose:
                self._lose_next -= 1
        body = {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": message_id}],
        }
        return Answer(200, body, drop=lose)

    def _templates(self, request: Request, waba_id: str) -> Answer:
        if waba_id != self.waba_id:
            return self._error("100")
        rows = self.template_rows
        status = (request.query.get("status") or [""])[0]
        if status:
            rows = [row for row in rows if row["status"] == status]
        limit = int((request.query.get("limit") or ["25"])[0])
        start = int((request.query.get("after") or ["0"])[0] or 0)
        page = rows[start : start + limit]
        paging: dict[str, Any] = {"cursors": {"before": str(start), "after": str(start + len(page))}}
        if start + limit < len(rows):
            paging["next"] = f"{self.base_url}/{VERSION}/{waba_id}/message_templates?after={start + limit}"
        return Answer(200, {"data": copy.deepcopy(page), "paging": paging})
