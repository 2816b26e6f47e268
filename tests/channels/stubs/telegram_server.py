"""The Telegram Bot API in miniature, on 127.0.0.1, for contract tests of the telegram connector.

Every method is `POST /bot<token>/<method>` with a JSON body, answered `{"ok": true, "result": ...}`
or with the documented error shape (`{"ok": false, "error_code", "description", "parameters"?}`),
the bodies kept as fixtures under `tests/channels/fixtures/telegram/` (each with its `_source`):

- `getMe` answers the bot (`getme.json`); an unknown token is 401 Unauthorized;
- `getUpdates` hands out the queued updates (`queue(update)`) from `offset` on, forgetting those
  below it (confirmed, as Telegram does), at most `limit`; while a webhook is set it is 409;
- `setWebhook` / `deleteWebhook` keep the webhook's `url` and `secret_token` (`webhook`);
- `sendMessage` answers the sent Message (`send_message.json`'s shape) quoting the message of
  `reply_parameters`, refuses a chat that blocked the bot (`block(chat_id)`: 403) and an unknown
  chat (400), and any documented error on demand (`fail_next("too_many_requests")`).

    with TelegramStub() as telegram:
        ...
        telegram.sent  # the sendMessage bodies it accepted, in order
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

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "telegram"
TOKEN = "7012345678:STUB-token-for-the-tests_0000"


def fixture(name: str) -> dict[str, Any]:
    """A documented example as Telegram sends it: without our `_source` note."""
    body = json.loads((FIXTURES / name).read_text())
    body.pop("_source", None)
    return body


ERRORS: dict[str, dict[str, Any]] = fixture("errors.json")["errors"]
BOT: dict[str, Any] = fixture("getme.json")["result"]


class TelegramStub(StubServer):
    name = "telegram"

    def __init__(self, *, token: str = TOKEN) -> None:
        super().__init__()
        self.token = token
        self.bot = copy.deepcopy(BOT)
        self.updates: list[dict[str, Any]] = []
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}  # what customers wrote, by chat
        self.chats: dict[int, dict[str, Any]] = {}
        self.sent: list[dict[str, Any]] = []
        self.polls: list[dict[str, Any]] = []  # the getUpdates bodies, in order
        self.webhook: dict[str, Any] = {}
        self.blocked: set[int] = set()
        self._faults: list[tuple[str, str]] = []  # (error, the method it answers; "" for any)
        self._ids = itertools.count(9001)
        self._state = threading.Lock()
        self.route("POST", r"/bot([^/]+)/(\w+)", self._method)

    # --- what tests set ---------------------------------------------------------------------------------

    def queue(self, *updates: dict[str, Any]) -> None:
        """Updates for getUpdates (and messages sendMessage may quote)."""
        with self._state:
            for update in updates:
                self.updates.append(copy.deepcopy(update))
                message = update.get("message")
                if isinstance(message, dict):
                    self.know(message)

    def know(self, message: dict[str, Any]) -> None:
        """A message the bot received (delivered by webhook), which a reply may quote."""
        chat = message["chat"]
        self.chats[chat["id"]] = chat
        self.messages[(chat["id"], message["message_id"])] = copy.deepcopy(message)

    def block(self, chat_id: int) -> None:
        self.blocked.add(chat_id)

    def fail_next(self, error: str, *, times: int = 1, method: str = "") -> None:
        """Answer the next `times` requests (to `method` only, when given) with the documented
        error `error` (a key of ERRORS)."""
        with self._state:
            self._faults.extend([(error, method)] * times)

    # --- answering ----------------------------------------------------------------------------------------

    def serve(self, request: Request) -> Answer:
        found = re.fullmatch(r"/bot([^/]+)/(\w+)", request.path)
        if found is None:
            return self._error("not_found")
        if found.group(1) != self.token:
            return self._error("unauthorized")
        with self._state:
            fault = next((f for f in self._faults if f[1] in ("", found.group(2))), None)
            if fault is not None:
                self._faults.remove(fault)
        if fault is not None:
            return self._error(fault[0])
        return self.dispatch(request)

    def _error(self, key: str) -> Answer:
        documented = ERRORS[key]
        return Answer(documented["http_status"], copy.deepcopy(documented["body"]))

    def _ok(self, result: Any, description: str = "") -> Answer:
        body: dict[str, Any] = {"ok": True, "result": result}
        if description:
            body["description"] = description
        return Answer(200, body)

    def _method(self, request: Request, token: str, method: str) -> Answer:
        try:
            payload = request.json() or {}
        except ValueError:
            return self._error("text_empty")
        handler = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "sendMessage": self._send_message,
        }.get(method)
        if handler is None:
            return self._error("not_found")
        return handler(payload)

    def _get_me(self, payload: dict[str, Any]) -> Answer:
        return self._ok(copy.deepcopy(self.bot))

    def _get_updates(self, payload: dict[str, Any]) -> Answer:
        if self.webhook.get("url"):
            return self._error("webhook_active")
        with self._state:
            self.polls.append(payload)
            offset = payload.get("offset")
            if isinstance(offset, int):
                # "An update is considered confirmed as soon as getUpdates is called with an
                # offset higher than its update_id."
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
            limit = int(payload.get("limit") or 100)
            return self._ok(copy.deepcopy(self.updates[:limit]))

    def _set_webhook(self, payload: dict[str, Any]) -> Answer:
        url = str(payload.get("url") or "")
        secret = str(payload.get("secret_token") or "")
        if not url.startswith("https://") or not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            return self._error("bad_webhook")
        self.webhook = {"url": url, "secret_token": secret, "allowed_updates": payload.get("allowed_updates")}
        return Answer(200, copy.deepcopy(fixture("webhook_set.json")["set"]))

    def _delete_webhook(self, payload: dict[str, Any]) -> Answer:
        self.webhook = {}
        return Answer(200, copy.deepcopy(fixture("webhook_set.json")["deleted"]))

    def _send_message(self, payload: dict[str, Any]) -> Answer:
        chat_id = payload.get("chat_id")
        text = str(payload.get("text") or "")
        if not text.strip() or len(text) > 4096:
            return self._error("text_empty")
        if chat_id in self.blocked:
            return self._error("blocked")
        if chat_id not in self.chats:
            return self._error("chat_not_found")
        message: dict[str, Any] = {
            "message_id": next(self._ids),
            "from": {key: self.bot[key] for key in ("id", "is_bot", "first_name", "username")},
            "chat": copy.deepcopy(self.chats[chat_id]),
            "date": 1764575800,
            "text": text,
        }
        quoted = (payload.get("reply_parameters") or {}).get("message_id")
        if quoted is not None:
            original = self.messages.get((chat_id, quoted))
            if original is not None:
                message["reply_to_message"] = copy.deepcopy(original)
        with self._state:
            self.sent.append(copy.deepcopy(payload))
        return self._ok(message)
