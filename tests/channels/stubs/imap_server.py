"""A small threaded IMAP4rev1 server on loopback, enough of RFC 3501 for imaplib.

Commands: CAPABILITY, LOGIN, SELECT / EXAMINE, UID SEARCH (ALL, UID <set>), UID FETCH (UID,
RFC822.SIZE, FLAGS, BODY[], BODY.PEEK[], RFC822), NOOP, CLOSE, LOGOUT. One mailbox. Tests
append messages while it runs and can renumber the mailbox under a new UIDVALIDITY, as a
server does when its mailbox is rebuilt.

    with ImapServer(username="care@brand.example", password="secret") as server:
        server.append(message)
        ... connect to server.host, server.port ...
"""

from __future__ import annotations

import socketserver
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage

CAPABILITIES = "IMAP4rev1"
FETCH_ITEMS = {"UID", "RFC822.SIZE", "FLAGS", "BODY[]", "BODY.PEEK[]", "RFC822"}


@dataclass
class StoredMessage:
    uid: int
    data: bytes
    flags: set[str] = field(default_factory=set)


class ImapServer:
    def __init__(
        self, *, username: str, password: str, mailbox: str = "INBOX", uidvalidity: int = 1000
    ) -> None:
        self.username = username
        self.password = password
        self.mailbox = mailbox
        self.uidvalidity = uidvalidity
        self.uidnext = 1
        self.messages: list[StoredMessage] = []
        self.commands: list[str] = []  # every command received, LOGIN arguments redacted
        self.lock = threading.RLock()
        self._server = _Server(("127.0.0.1", 0), _Session)
        self._server.imap = self
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return self._server.server_address[0]

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def start(self) -> ImapServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ImapServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def append(self, message: EmailMessage | bytes | str) -> int:
        """Deliver a message; return its UID."""
        if isinstance(message, EmailMessage):
            data = message.as_bytes()
        elif isinstance(message, str):
            data = message.encode()
        else:
            data = message
        if b"\r\n" not in data:
            data = data.replace(b"\n", b"\r\n")  # messages travel with CRLF line endings
        with self.lock:
            uid = self.uidnext
            self.uidnext += 1
            self.messages.append(StoredMessage(uid=uid, data=data))
            return uid

    def renumber(self, *, uidvalidity: int) -> None:
        """Give every message a new UID from 1 under a new UIDVALIDITY (a rebuilt mailbox)."""
        with self.lock:
            self.uidvalidity = uidvalidity
            for uid, message in enumerate(self.messages, start=1):
                message.uid = uid
            self.uidnext = len(self.messages) + 1

    def flags(self, uid: int) -> set[str]:
        with self.lock:
            return next(set(m.flags) for m in self.messages if m.uid == uid)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    imap: ImapServer


class _Session(socketserver.StreamRequestHandler):
    server: _Server
    # Responses go out line by line; without TCP_NODELAY each waits on the client's delayed ACK.
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        self.imap = self.server.imap
        self.authenticated = False
        self.selected = False
        self.readonly = False
        self.known_exists = 0

    def send(self, line: str | bytes) -> None:
        self.wfile.write((line.encode() if isinstance(line, str) else line) + b"\r\n")

    def handle(self) -> None:
        self.send(f"* OK [CAPABILITY {CAPABILITIES}] cxm test IMAP server ready")
        while line := self.rfile.readline():
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            tag, _, rest = text.partition(" ")
            command, _, args = rest.partition(" ")
            command = command.upper()
            if command == "UID":
                sub, _, args = args.partition(" ")
                command = f"UID {sub.upper()}"
            with self.imap.lock:
                self.imap.commands.append(f"{command} ***" if command == "LOGIN" else f"{command} {args}")
            handler = self.COMMANDS.get(command)
            if handler is None:
                self.send(f"{tag} BAD unknown command {command}")
                continue
            needs_auth = command not in {"CAPABILITY", "LOGIN", "NOOP", "LOGOUT"}
            if needs_auth and not self.authenticated:
                self.send(f"{tag} BAD log in first")
                continue
            if command.startswith("UID") and not self.selected:
                self.send(f"{tag} BAD select a mailbox first")
                continue
            try:
                keep_going = handler(self, tag, args)
            except (ValueError, IndexError):
                self.send(f"{tag} BAD cannot parse arguments")
                continue
            if keep_going is False:
                return

    def capability(self, tag: str, args: str) -> None:
        self.send(f"* CAPABILITY {CAPABILITIES}")
        self.send(f"{tag} OK CAPABILITY completed")

    def login(self, tag: str, args: str) -> None:
        username, password = _tokens(args)
        if (username, password) != (self.imap.username, self.imap.password):
            self.send(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials")
            return
        self.authenticated = True
        self.send(f"{tag} OK [CAPABILITY {CAPABILITIES}] LOGIN completed")

    def select(self, tag: str, args: str, *, readonly: bool = False) -> None:
        (name,) = _tokens(args)
        if name.upper() != self.imap.mailbox.upper():
            self.selected = False
            self.send(f"{tag} NO [NONEXISTENT] Unknown mailbox")
            return
        with self.imap.lock:
            exists, uidvalidity, uidnext = len(self.imap.messages), self.imap.uidvalidity, self.imap.uidnext
        self.selected, self.readonly, self.known_exists = True, readonly, exists
        self.send(r"* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)")
        self.send(f"* {exists} EXISTS")
        self.send("* 0 RECENT")
        self.send(f"* OK [UIDVALIDITY {uidvalidity}] UIDs valid")
        self.send(f"* OK [UIDNEXT {uidnext}] Predicted next UID")
        mode, name = ("READ-ONLY", "EXAMINE") if readonly else ("READ-WRITE", "SELECT")
        self.send(f"{tag} OK [{mode}] {name} completed")

    def examine(self, tag: str, args: str) -> None:
        self.select(tag, args, readonly=True)

    def uid_search(self, tag: str, args: str) -> None:
        tokens = _tokens(args)
        with self.imap.lock:
            uids = [m.uid for m in self.imap.messages]
        chosen = set(uids)
        while tokens:
            key = tokens.pop(0).upper()
            if key == "ALL":
                continue
            if key == "UID":
                chosen &= _sequence_set(tokens.pop(0), uids)
                continue
            self.send(f"{tag} BAD search key {key} not supported")
            return
        self.send(" ".join(["* SEARCH", *(str(uid) for uid in sorted(chosen))]))
        self.send(f"{tag} OK UID SEARCH completed")

    def uid_fetch(self, tag: str, args: str) -> None:
        spec, items_spec = _tokens(args)
        items = [item.upper() for item in items_spec.strip("()").split()]
        if unknown := [item for item in items if item not in FETCH_ITEMS]:
            self.send(f"{tag} BAD fetch items {' '.join(unknown)} not supported")
            return
        with self.imap.lock:
            messages = list(enumerate(self.imap.messages, start=1))
            wanted = _sequence_set(spec, [m.uid for _, m in messages])
            for seq, message in messages:
                if message.uid in wanted:
                    self.wfile.write(self._fetch_response(seq, message, items))
        self.send(f"{tag} OK UID FETCH completed")

    def _fetch_response(self, seq: int, message: StoredMessage, items: list[str]) -> bytes:
        pieces = [f"UID {message.uid}".encode()]  # a UID FETCH answer always carries the UID
        for item in items:
            if item == "RFC822.SIZE":
                pieces.append(f"RFC822.SIZE {len(message.data)}".encode())
            elif item == "FLAGS":
                pieces.append(f"FLAGS ({' '.join(sorted(message.flags))})".encode())
            elif item in {"BODY[]", "BODY.PEEK[]", "RFC822"}:
                if item != "BODY.PEEK[]" and not self.readonly:
                    message.flags.add(r"\Seen")  # RFC 3501 6.4.5: BODY[] and RFC822 set \Seen
                name = "RFC822" if item == "RFC822" else "BODY[]"
                pieces.append(f"{name} {{{len(message.data)}}}\r\n".encode() + message.data)
        return f"* {seq} FETCH (".encode() + b" ".join(pieces) + b")\r\n"

    def noop(self, tag: str, args: str) -> None:
        if self.selected:
            with self.imap.lock:
                exists = len(self.imap.messages)
            if exists != self.known_exists:
                self.known_exists = exists
                self.send(f"* {exists} EXISTS")
        self.send(f"{tag} OK NOOP completed")

    def close(self, tag: str, args: str) -> None:
        self.selected = False
        self.send(f"{tag} OK CLOSE completed")

    def logout(self, tag: str, args: str) -> bool:
        self.send("* BYE cxm test IMAP server logging out")
        self.send(f"{tag} OK LOGOUT completed")
        return False

    COMMANDS = {
        "CAPABILITY": capability,
        "LOGIN": login,
        "SELECT": select,
        "EXAMINE": examine,
        "UID SEARCH": uid_search,
        "UID FETCH": uid_fetch,
        "NOOP": noop,
        "CLOSE": close,
        "LOGOUT": logout,
    }


def _tokens(text: str) -> list[str]:
    """Split IMAP arguments: atoms, "quoted strings" (unescaped) and (parenthesised lists) kept whole."""
    tokens: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == " ":
            index += 1
        elif char == '"':
            value, index = [], index + 1
            while text[index] != '"':
                if text[index] == "\\":
                    index += 1
                value.append(text[index])
                index += 1
            tokens.append("".join(value))
            index += 1
        elif char == "(":
            depth, start = 0, index
            while True:
                depth += {"(": 1, ")": -1}.get(text[index], 0)
                index += 1
                if depth == 0:
                    break
            tokens.append(text[start:index])
        else:
            end = text.find(" ", index)
            end = len(text) if end == -1 else end
            tokens.append(text[index:end])
            index = end
    return tokens


def _sequence_set(spec: str, uids: list[int]) -> set[int]:
    """The UIDs a set like "1:3,7,9:*" names; "*" is the highest UID, so "9:*" always has one."""
    highest = max(uids, default=0)
    chosen: set[int] = set()
    for part in spec.split(","):
        first, colon, last = part.partition(":")
        low = highest if first == "*" else int(first)
        high = (highest if last == "*" else int(last)) if colon else low
        low, high = min(low, high), max(low, high)
        chosen.update(uid for uid in uids if low <= uid <= high)
    return chosen
