"""An SMTP server on loopback for connector tests, on aiosmtpd's threaded Controller.

It records every accepted message (envelope and parsed message), offers AUTH LOGIN / PLAIN
over plain SMTP, can insist on AUTH before MAIL FROM, and can be told to answer the next
DATA with a 4xx (try again) or 5xx (never) reply.

    with SmtpServer(username="care@brand.example", password="secret") as server:
        ... send to server.host, server.port ...
        server.received[0].message["Subject"]
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    message: EmailMessage


class _LoopbackController(Controller):
    """Controller bound to port 0: asks the listening socket which port the system gave it."""

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class _Handler:
    def __init__(self, owner: SmtpServer) -> None:
        self.owner = owner

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, mail_options: list[str]
    ) -> str:
        # Enforced here rather than with aiosmtpd's auth_required, which warns whenever AUTH
        # runs without TLS, as it must on this loopback server.
        if self.owner.require_auth and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self.owner.lock:
            failure, self.owner.next_failure = self.owner.next_failure, None
        if failure:
            return failure
        data = envelope.original_content or envelope.content or b""
        mail = ReceivedMail(
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            data=data,
            message=BytesParser(policy=policy.default).parsebytes(data),
        )
        with self.owner.lock:
            self.owner.received.append(mail)
        return "250 2.0.0 Message accepted for delivery"


class SmtpServer:
    def __init__(self, *, username: str, password: str, require_auth: bool = True) -> None:
        self.username = username
        self.password = password
        self.require_auth = require_auth
        self.received: list[ReceivedMail] = []
        self.logins: list[tuple[str, str, bool]] = []  # (mechanism, login, succeeded)
        self.next_failure: str | None = None
        self.lock = threading.Lock()
        self._controller = _LoopbackController(
            _Handler(self),
            hostname="127.0.0.1",
            port=0,
            server_hostname="smtp.test",
            authenticator=self._authenticate,
            auth_require_tls=False,
        )

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        return self._controller.port

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def fail_next_send(self, code: int, text: str = "") -> None:
        """Answer the next DATA with `code`: 4xx tells the client to retry, 5xx not to."""
        default = "4.3.0 Try again later" if code < 500 else "5.7.1 Message rejected"
        with self.lock:
            self.next_failure = f"{code} {text or default}"

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode(),
            auth_data.password.decode(),
        ) == (self.username, self.password)
        login = auth_data.login.decode() if isinstance(auth_data, LoginPassword) else ""
        with self.lock:
            self.logins.append((mechanism, login, ok))
        # handled=False: let aiosmtpd answer "535 ... credentials invalid" itself.
        return AuthResult(success=ok, handled=False)
