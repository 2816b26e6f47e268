"""Email: IMAP in, SMTP out, conversations threaded by Message-ID / In-Reply-To / References.

Kept in one module (about 650 lines) on purpose: it is one connector for one pair of protocols,
and everything below the class (decoding IMAP answers, reading a message's headers, author,
date, body and attachments, dropping quoted history) is this connector's own reading of what
IMAP hands it; nothing else uses those helpers, so a second module would only turn them into
public names for a single caller, and a reader following one fetch would switch files for it.

Inbound mail is read with EXAMINE and BODY.PEEK[], so the connector never changes the mailbox
(no \\Seen flags, no moves): agents who also keep a mail client open see it as they left it.
The cursor is the mailbox's UIDVALIDITY and the last UID handed out; UIDs only grow within one
UIDVALIDITY, so "UIDs above last_uid" is exactly the mail not yet seen.

Outbound mail carries a Message-ID derived from the idempotency key: a send retried after a
timeout is the same message to the receiving server, to the customer's client and to our own
threading, rather than a second, different email.
"""

from __future__ import annotations

import hashlib
import imaplib
import re
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from email import policy
from email.errors import MessageError
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formatdate, parseaddr, parsedate_to_datetime
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any, ClassVar

from cxm.channels.connectors.base import (
    AccountConfig,
    AuthError,
    Author,
    ConnectorError,
    FetchPage,
    Item,
    ItemKind,
    Limits,
    Outgoing,
    PermanentError,
    PostMetrics,
    Published,
    TransientError,
    outbound_check,
)

if TYPE_CHECKING:
    import httpx

# Headers kept in Item.raw: enough to answer, to spot auto-replies and mailing lists, and to audit.
KEPT_HEADERS = (
    "From",
    "Reply-To",
    "To",
    "Cc",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Auto-Submitted",
    "Precedence",
    "List-Id",
)
# What a structured header parser may raise on mail from the wild.
_HEADER_ERRORS = (MessageError, ValueError, IndexError, TypeError, AttributeError)
_SMTP_AUTH_CODES = {530, 534, 535}
_MSG_ID = re.compile(r"<([^<>\s]+)>")


def _flag(value: Any, *, default: bool) -> bool:
    """Options may come from a form or the environment as strings."""
    if value is None or value == "":
        return default
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


class EmailConnector:
    platform: ClassVar[str] = "email"
    # One fetch call holds at most this many messages, and stops early once their sizes add up
    # to batch_bytes (always at least one message), so an inbox full of attachments cannot
    # exhaust a worker's memory.
    batch_size: ClassVar[int] = 50
    batch_bytes: ClassVar[int] = 20 * 1024 * 1024
    timeout: ClassVar[float] = 30.0

    def __init__(self, config: AccountConfig, *, http: httpx.Client | None = None) -> None:
        self.config = config
        options = config.options
        credentials = config.credentials
        self.address = parseaddr(str(options.get("address") or config.handle))[1]
        if "@" not in self.address:
            raise PermanentError("the email account has no address to send from")
        self.imap_host = str(options.get("imap_host") or "")
        self.imap_ssl = _flag(options.get("imap_ssl"), default=True)
        self.imap_port = int(options.get("imap_port") or (993 if self.imap_ssl else 143))
        self.mailbox = str(options.get("mailbox") or "INBOX")
        if not self.mailbox.isascii():
            raise PermanentError("mailbox names outside ASCII (modified UTF-7) are not supported")
        self.smtp_host = str(options.get("smtp_host") or "")
        self.smtp_ssl = _flag(options.get("smtp_ssl"), default=False)
        self.smtp_starttls = _flag(options.get("smtp_starttls"), default=True)
        self.smtp_port = int(options.get("smtp_port") or (465 if self.smtp_ssl else 587))
        self._imap_user = credentials.get("username") or self.address
        self._imap_password = credentials.get("password", "")
        self._smtp_user = credentials.get("smtp_username") or self._imap_user
        self._smtp_password = credentials.get("smtp_password") or self._imap_password

    # -- the connector interface -------------------------------------------------------------

    def check(self) -> str:
        with self._imap_session() as imap:
            self._examine(imap)
        with self._smtp_session() as smtp:
            code, answer = smtp.noop()
            if code != 250:
                raise self._smtp_failure(smtplib.SMTPResponseException(code, answer))
        return self.address

    def fetch(self, cursor: dict[str, Any]) -> FetchPage:
        with self._imap_session() as imap:
            uidvalidity = self._examine(imap)
            last_uid = int(cursor.get("last_uid") or 0)
            known = cursor.get("uidvalidity")
            if known is None or int(known) != uidvalidity:
                # A new UIDVALIDITY means the server renumbered the mailbox (rebuilt, restored,
                # migrated): old UIDs say nothing about which mail we have, so the only way not
                # to lose any is to read it all again. Items keep their Message-ID as
                # external_id, so the ingest drops the ones it already stored.
                last_uid = 0
            uids = self._uids_after(imap, last_uid)
            if not uids:
                return FetchPage(items=[], cursor={"uidvalidity": uidvalidity, "last_uid": last_uid})
            batch, sizes = self._plan_batch(imap, uids)
            bodies = self._fetch_bodies(imap, batch)
        # A UID found by SEARCH but missing from FETCH was expunged in between: it is gone
        # from the mailbox, there is nothing left to store.
        items = [
            self._item(uid=uid, uidvalidity=uidvalidity, data=bodies[uid], size=sizes.get(uid))
            for uid in batch
            if uid in bodies
        ]
        return FetchPage(
            items=items,
            cursor={"uidvalidity": uidvalidity, "last_uid": batch[-1]},
            more=len(uids) > len(batch),
        )

    def publish(self, outgoing: Outgoing) -> Published:
        return self._send(outgoing, reply=False)

    def reply(self, outgoing: Outgoing) -> Published:
        if not outgoing.reply_to:
            raise PermanentError("a reply needs the Message-ID of the email it answers")
        return self._send(outgoing, reply=True)

    def fetch_metrics(self, external_ids: list[str]) -> list[PostMetrics]:
        return []

    def limits(self) -> Limits:
        return Limits(max_text_length=100_000, max_media=10, length_unit="characters")

    # -- IMAP ----------------------------------------------------------------------------------

    @contextmanager
    def _imap_session(self) -> Iterator[imaplib.IMAP4]:
        if not self.imap_host:
            raise PermanentError("no IMAP host configured")
        outbound_check(self.imap_host, self.config, host=True)
        try:
            if self.imap_ssl:
                imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    self.imap_host,
                    self.imap_port,
                    ssl_context=ssl.create_default_context(),
                    timeout=self.timeout,
                )
            else:
                imap = imaplib.IMAP4(self.imap_host, self.imap_port, timeout=self.timeout)
        except (imaplib.IMAP4.error, OSError) as exc:
            raise self._imap_failure(exc, "connecting to") from exc
        try:
            self._imap_login(imap)
            yield imap
        except (imaplib.IMAP4.error, OSError) as exc:
            raise self._imap_failure(exc, "talking to") from exc
        finally:
            # The work is done or has already failed; a failed goodbye changes neither.
            with suppress(imaplib.IMAP4.error, OSError):
                imap.logout()

    def _imap_login(self, imap: imaplib.IMAP4) -> None:
        try:
            imap.login(self._imap_user, self._imap_password)
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error as exc:
            answer = self._safe(_error_text(exc))
            # RFC 5530: UNAVAILABLE is the server's trouble, not the credentials'.
            if "[UNAVAILABLE]" in answer.upper():
                raise TransientError(f"IMAP login temporarily unavailable: {answer}") from exc
            raise AuthError(f"IMAP login refused for {self._imap_user}: {answer}") from exc

    def _imap_failure(self, exc: BaseException, doing: str) -> ConnectorError:
        where = f"{doing} IMAP server {self.imap_host}:{self.imap_port}"
        if isinstance(exc, ssl.SSLCertVerificationError):
            return PermanentError(f"{where}: its TLS certificate is not trusted")
        if isinstance(exc, imaplib.IMAP4.abort | OSError):
            return TransientError(f"{where}: {exc.__class__.__name__} {self._safe(_error_text(exc))}")
        return PermanentError(f"{where}: refused: {self._safe(_error_text(exc))}")

    def _examine(self, imap: imaplib.IMAP4) -> int:
        """Open the mailbox read-only; return its UIDVALIDITY."""
        typ, data = imap.select(_quote_mailbox(self.mailbox), readonly=True)
        if typ != "OK":
            raise PermanentError(f"mailbox {self.mailbox!r} cannot be opened: {self._safe(_decode(data))}")
        _, values = imap.response("UIDVALIDITY")
        try:
            return int(values[-1])
        except (TypeError, ValueError, IndexError):
            raise PermanentError(f"IMAP server did not report UIDVALIDITY for {self.mailbox!r}") from None

    def _uids_after(self, imap: imaplib.IMAP4, last_uid: int) -> list[int]:
        typ, data = imap.uid("SEARCH", "UID", f"{last_uid + 1}:*")
        self._expect_ok(typ, data, "UID SEARCH")
        found = {int(n) for chunk in data if chunk for n in chunk.split()}
        # "n:*" always matches the highest UID, even one below n (RFC 3501 6.4.8).
        return sorted(uid for uid in found if uid > last_uid)

    def _plan_batch(self, imap: imaplib.IMAP4, uids: list[int]) -> tuple[list[int], dict[int, int]]:
        candidates = uids[: self.batch_size]
        typ, data = imap.uid("FETCH", _uid_set(candidates), "(UID RFC822.SIZE)")
        self._expect_ok(typ, data, "UID FETCH")
        sizes: dict[int, int] = {}
        for line in data:
            if isinstance(line, bytes) and (uid := _number_after(b"UID", line)) is not None:
                sizes[uid] = _number_after(b"RFC822.SIZE", line) or 0
        batch: list[int] = []
        total = 0
        for uid in candidates:
            if batch and total + sizes.get(uid, 0) > self.batch_bytes:
                break
            batch.append(uid)
            total += sizes.get(uid, 0)
        return batch, sizes

    def _fetch_bodies(self, imap: imaplib.IMAP4, uids: list[int]) -> dict[int, bytes]:
        # BODY.PEEK[] rather than RFC822 / BODY[]: reading must not mark the mail as seen.
        typ, data = imap.uid("FETCH", _uid_set(uids), "(UID RFC822.SIZE BODY.PEEK[])")
        self._expect_ok(typ, data, "UID FETCH")
        bodies: dict[int, bytes] = {}
        pending: bytes | None = None
        for part in data:
            if isinstance(part, tuple):
                meta, pending = part
                uid = _number_after(b"UID", meta)
                if uid is not None:
                    bodies[uid], pending = pending, None
            elif isinstance(part, bytes) and pending is not None:
                # Some servers send the UID after the literal: "BODY[] {n}\r\n...  UID 7)".
                uid = _number_after(b"UID", part)
                if uid is not None:
                    bodies[uid] = pending
                pending = None
        return bodies

    def _expect_ok(self, typ: str, data: list[Any], command: str) -> None:
        if typ != "OK":
            # BAD already raised inside imaplib; NO is the server declining for now.
            raise TransientError(f"IMAP {command} failed: {typ} {self._safe(_decode(data))}")

    # -- parsing -------------------------------------------------------------------------------

    def _item(self, *, uid: int, uidvalidity: int, data: bytes, size: int | None) -> Item:
        message = BytesParser(policy=policy.default).parsebytes(data)
        headers = {name: value for name in KEPT_HEADERS if (value := _header(message, name))}
        external_id = _first_msg_id(headers.get("Message-ID", "")) or self._synthetic_id(uidvalidity, uid)
        in_reply_to = _first_msg_id(headers.get("In-Reply-To", ""))
        references = _MSG_ID.findall(headers.get("References", ""))
        body = _body_text(message)
        return Item(
            platform=self.platform,
            external_id=external_id,
            author=_author(message),
            text=strip_quoted_reply(body),
            created_at=_date(headers.get("Date", "")) or datetime.now(UTC),
            kind=ItemKind.EMAIL,
            in_reply_to=in_reply_to,
            thread_id=(references[0] if references else None) or in_reply_to or external_id,
            subject=headers.get("Subject", ""),
            raw={
                "headers": headers,
                "body": body,
                "uid": uid,
                "uidvalidity": uidvalidity,
                "mailbox": self.mailbox,
                "size": size if size is not None else len(data),
                "attachments": _attachments(message),
            },
        )

    def _synthetic_id(self, uidvalidity: int, uid: int) -> str:
        """A Message-ID for mail that has none: stable for as long as the mailbox keeps its UIDs."""
        mailbox = hashlib.sha256(f"{self.address}\0{self.mailbox}".encode()).hexdigest()[:12]
        return f"imap.{uidvalidity}.{uid}.{mailbox}@{self._domain}"

    # -- SMTP ----------------------------------------------------------------------------------

    def _send(self, outgoing: Outgoing, *, reply: bool) -> Published:
        message, message_id = self._compose(outgoing, reply=reply)
        recipient = parseaddr(outgoing.recipient)[1]
        with self._smtp_session() as smtp:
            # A timeout after the final "." may hide a delivered message; the retry then sends
            # the same Message-ID, which the receiving side can recognise.
            smtp.send_message(message, from_addr=self.address, to_addrs=[recipient])
        return Published(external_id=message_id, raw={"message_id": f"<{message_id}>", "to": recipient})

    def _compose(self, outgoing: Outgoing, *, reply: bool) -> tuple[EmailMessage, str]:
        recipient = parseaddr(outgoing.recipient)[1]
        if "@" not in recipient:
            raise PermanentError("an email needs a recipient address")
        if not outgoing.idempotency_key:
            raise PermanentError("an email needs an idempotency key to derive its Message-ID")
        limits = self.limits()
        if len(outgoing.text) > limits.max_text_length:
            raise PermanentError(f"email text is longer than {limits.max_text_length} characters")
        if len(outgoing.media) > limits.max_media:
            raise PermanentError(f"an email carries at most {limits.max_media} attachments")

        message_id = f"{hashlib.sha256(outgoing.idempotency_key.encode()).hexdigest()[:32]}@{self._domain}"
        subject = " ".join(outgoing.subject.split())
        if reply and not re.match(r"re\s*:", subject, re.IGNORECASE):
            subject = f"Re: {subject}".rstrip()
        # policy.SMTP writes CRLF line endings, as the wire wants them.
        message = EmailMessage(policy=policy.SMTP)
        try:
            message["From"] = self.address
            message["To"] = outgoing.recipient.strip()
            message["Subject"] = subject
            message["Date"] = formatdate(usegmt=True)
            message["Message-ID"] = f"<{message_id}>"
            parent = _bare_id(outgoing.reply_to)
            if parent:
                root = _bare_id(outgoing.thread_id)
                # References lists the conversation from its root down to the parent, which is
                # what mail clients thread on; the root is all we know of the middle.
                chain = [root, parent] if root and root != parent else [parent]
                message["In-Reply-To"] = f"<{parent}>"
                message["References"] = " ".join(f"<{ref}>" for ref in chain)
        except ValueError as exc:  # CR/LF in a header value: refuse rather than let headers be injected
            raise PermanentError(f"email header refused: {exc}") from exc
        message.set_content(outgoing.text)
        for media in outgoing.media:
            maintype, _, subtype = media.content_type.lower().partition("/")
            if not maintype or not subtype or maintype in {"multipart", "message"}:
                maintype, subtype = "application", "octet-stream"
            message.add_attachment(media.data, maintype=maintype, subtype=subtype, filename=media.filename)
        return message, message_id

    @contextmanager
    def _smtp_session(self) -> Iterator[smtplib.SMTP]:
        if not self.smtp_host:
            raise PermanentError("no SMTP host configured")
        outbound_check(self.smtp_host, self.config, host=True)
        context = ssl.create_default_context()
        try:
            if self.smtp_ssl:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.smtp_host, self.smtp_port, timeout=self.timeout, context=context
                )
            else:
                smtp = smtplib.SMTP(self.smtp_host, self.smtp_port, timeout=self.timeout)
        except OSError as exc:  # smtplib.SMTPException is an OSError too
            raise self._smtp_failure(exc) from exc
        try:
            smtp.ehlo()
            if not self.smtp_ssl and self.smtp_starttls:
                if not smtp.has_extn("starttls"):
                    # Going on would send the password and the mail in clear text.
                    raise PermanentError(
                        f"SMTP server {self.smtp_host}:{self.smtp_port} does not offer STARTTLS"
                    )
                smtp.starttls(context=context)
                smtp.ehlo()
            # No password: a relay that accepts mail without AUTH (e.g. a local MTA).
            if self._smtp_password:
                smtp.login(self._smtp_user, self._smtp_password)
            yield smtp
        except OSError as exc:
            raise self._smtp_failure(exc) from exc
        finally:
            with suppress(OSError):  # see _imap_session: the goodbye cannot change the outcome
                smtp.quit()
            smtp.close()

    def _smtp_failure(self, exc: BaseException) -> ConnectorError:
        where = f"SMTP server {self.smtp_host}:{self.smtp_port}"
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            answers = list(exc.recipients.values())
            worst = max(code for code, _ in answers)
            detail = "; ".join(f"{code} {_decode(text)}" for code, text in answers)
            return self._by_smtp_code(worst, f"{where} refused the recipient: {self._safe(detail)}")
        if isinstance(exc, smtplib.SMTPResponseException):
            detail = f"{exc.smtp_code} {self._safe(_decode(exc.smtp_error))}"
            if isinstance(exc, smtplib.SMTPAuthenticationError) and exc.smtp_code >= 500:
                return AuthError(f"{where} refused the login for {self._smtp_user}: {detail}")
            return self._by_smtp_code(exc.smtp_code, f"{where} answered {detail}")
        if isinstance(exc, ssl.SSLCertVerificationError):
            return PermanentError(f"{where}: its TLS certificate is not trusted")
        if isinstance(exc, smtplib.SMTPServerDisconnected) or not isinstance(exc, smtplib.SMTPException):
            return TransientError(f"{where}: {exc.__class__.__name__} {self._safe(_error_text(exc))}")
        # SMTPNotSupportedError, "no suitable authentication method": configuration, not luck.
        return PermanentError(f"{where}: {self._safe(_error_text(exc))}")

    @staticmethod
    def _by_smtp_code(code: int, message: str) -> ConnectorError:
        if code in _SMTP_AUTH_CODES:
            return AuthError(message)
        if 500 <= code < 600:
            return PermanentError(message)
        return TransientError(message)  # 4xx, and the odd codes smtplib invents for dropped links

    # -- helpers -------------------------------------------------------------------------------

    @property
    def _domain(self) -> str:
        return self.address.rpartition("@")[2].strip(">") or "localhost"

    def _safe(self, text: str) -> str:
        """Servers sometimes echo what they were sent; make sure no password leaves in a message."""
        for secret in {self._imap_password, self._smtp_password}:
            if secret:
                text = text.replace(secret, "***")
        return text


# -- module helpers ------------------------------------------------------------------------------


def _decode(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, list | tuple):
        return " ".join(_decode(part) for part in value if part is not None)
    return str(value)


def _error_text(exc: BaseException) -> str:
    return " ".join(_decode(arg) for arg in exc.args) if exc.args else ""


def _quote_mailbox(name: str) -> str:
    # imaplib sends arguments as they are; a name with spaces or quotes must be a quoted string.
    if re.fullmatch(r"[A-Za-z0-9._/&+-]+", name):
        return name
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _uid_set(uids: list[int]) -> str:
    """[1, 2, 3, 7] -> "1:3,7"."""
    runs: list[list[int]] = []
    for uid in sorted(uids):
        if runs and uid == runs[-1][1] + 1:
            runs[-1][1] = uid
        else:
            runs.append([uid, uid])
    return ",".join(str(a) if a == b else f"{a}:{b}" for a, b in runs)


def _number_after(name: bytes, line: bytes) -> int | None:
    match = re.search(rb"\b" + re.escape(name) + rb" (\d+)", line)
    return int(match.group(1)) if match else None


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message[name]
    except _HEADER_ERRORS:
        # Too broken for the structured parser: keep the raw text rather than lose the mail.
        value = next((raw for key, raw in message.raw_items() if key.lower() == name.lower()), None)
    return " ".join(str(value).split()) if value is not None else ""


def _first_msg_id(value: str) -> str | None:
    match = _MSG_ID.search(value)
    if match:
        return match.group(1)
    value = value.strip()
    return value if value and " " not in value else None


def _bare_id(value: str | None) -> str | None:
    return _first_msg_id(value) if value else None


def _author(message: EmailMessage) -> Author:
    name = address = ""
    try:
        header = message["From"]
        found = header.addresses if header is not None else ()
        if found:
            name, address = found[0].display_name, found[0].addr_spec
    except _HEADER_ERRORS:
        name, address = parseaddr(_header(message, "From"))
    return Author(platform_id=address.lower(), handle=address, name=name)


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    # "-0000" parses naive: UTC with the sender's zone unknown (RFC 5322 3.3).
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _part_text(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # unknown or lying charset
        content = (part.get_payload(decode=True) or b"").decode("utf-8", errors="replace")
    if not isinstance(content, str):
        return ""
    return content.replace("\r\n", "\n").replace("\r", "\n")


def _body_text(message: EmailMessage) -> str:
    plain = message.get_body(preferencelist=("plain",))
    if plain is not None:
        return _part_text(plain).strip()
    html = message.get_body(preferencelist=("html",))
    if html is not None:
        return html_to_text(_part_text(html))
    return ""


def _attachments(message: EmailMessage) -> list[dict[str, Any]]:
    found = []
    for part in message.walk():
        if part.is_multipart() or part.get_content_disposition() != "attachment":
            continue
        payload = part.get_payload(decode=True) or b""
        found.append(
            {
                "filename": part.get_filename() or "",
                "content_type": part.get_content_type(),
                "size": len(payload),
            }
        )
    return found


class _HtmlText(HTMLParser):
    BLOCKS = frozenset(
        {"address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "footer", "h1", "h2"}
        | {"h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre", "section", "table", "tr", "ul"}
    )
    HIDDEN = frozenset({"head", "script", "style", "title", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")
            if tag == "li":
                self.parts.append("- ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS and tag not in {"br", "li"}:  # the next <li> starts its own line
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """Readable text from an HTML mail body: blocks become lines, scripts and styles vanish."""
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    lines = (line.strip() for line in "".join(parser.parts).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# "On Tue, 2 Jan 2024 at 10:00, Jane <jane@example.com> wrote:" (Gmail, Apple Mail, Thunderbird).
# A date or an address must appear, so a customer's own "On Monday I wrote:" is kept.
_ATTRIBUTION = re.compile(r"On\s.{0,400}?\swrote:", re.IGNORECASE | re.DOTALL)
_ORIGINAL_MESSAGE = re.compile(r"-{2,}\s*Original Message\s*-{2,}", re.IGNORECASE)


def strip_quoted_reply(text: str) -> str:
    """The new part of a reply: cut at the quoted history's header, drop a trailing "> " block.

    When the attribution line comes before anything the sender wrote (answers interleaved
    with the quote) nothing is cut, and an email that would come out empty is kept whole.
    """
    lines = text.split("\n")
    kept = lines
    written = False
    for index, line in enumerate(lines):
        if written and _starts_quoted_history(lines, index):
            kept = lines[:index]
            break
        if line.strip() and not line.lstrip().startswith(">"):
            written = True
    kept = list(kept)
    while kept and (
        not kept[-1].strip() or kept[-1].lstrip().startswith(">") or re.fullmatch(r"\s*_{8,}\s*", kept[-1])
    ):
        kept.pop()
    result = "\n".join(kept).strip()
    return result or text.strip()


def _starts_quoted_history(lines: list[str], index: int) -> bool:
    line = lines[index].strip()
    if line[:3].lower() == "on ":
        # Long attribution lines are often wrapped onto a second line.
        for candidate in (line, f"{line} {lines[index + 1].strip()}" if index + 1 < len(lines) else ""):
            if _ATTRIBUTION.fullmatch(candidate) and re.search(r"\d|@", candidate):
                return True
    if _ORIGINAL_MESSAGE.fullmatch(line):
        return True
    if re.match(r"from:\s*\S", line, re.IGNORECASE):
        # Outlook's block: From: / Sent: / To: / Subject: without any "wrote:" line.
        following = [ahead.strip().lower() for ahead in lines[index + 1 : index + 5]]
        return any(ahead.startswith(("sent:", "date:")) for ahead in following) and any(
            ahead.startswith(("subject:", "to:")) for ahead in following
        )
    return False
