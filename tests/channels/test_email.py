"""Email connector contract: real IMAP and SMTP conversations with servers on loopback."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage

import pytest

from cxm.channels.connectors import build_connector
from cxm.channels.connectors.base import (
    AccountConfig,
    AuthError,
    ItemKind,
    Media,
    Outgoing,
    PermanentError,
    TransientError,
)
from cxm.channels.connectors.email import EmailConnector
from tests.channels.stubs.imap_server import ImapServer
from tests.channels.stubs.smtp_server import SmtpServer

ADDRESS = "care@brand.example"
USERNAME = "care@brand.example"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def imap() -> Iterator[ImapServer]:
    with ImapServer(username=USERNAME, password=PASSWORD) as server:
        yield server


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer(username=USERNAME, password=PASSWORD, require_auth=True) as server:
        yield server


def connector_for(
    imap: ImapServer, smtp: SmtpServer, *, password: str = PASSWORD, **options: object
) -> EmailConnector:
    config = AccountConfig(
        platform="email",
        handle=ADDRESS,
        credentials={"username": USERNAME, "password": password},
        options={
            "imap_host": imap.host,
            "imap_port": imap.port,
            "imap_ssl": False,
            "smtp_host": smtp.host,
            "smtp_port": smtp.port,
            "smtp_starttls": False,
            "address": ADDRESS,
            **options,
        },
        allow_private_targets=True,  # the stub servers listen on 127.0.0.1
    )
    connector = build_connector(config)
    assert isinstance(connector, EmailConnector)
    return connector


@pytest.fixture
def connector(imap: ImapServer, smtp: SmtpServer) -> EmailConnector:
    return connector_for(imap, smtp)


def customer_mail(
    *,
    message_id: str | None = "<q1@mail.example.org>",
    subject: str = "Where is my order?",
    text: str | None = "Hello, my order 1042 has not arrived.",
    html: str | None = None,
    sender: str = '"Jane Doe" <Jane.Doe@Mail.Example.org>',
    date: str | None = "Tue, 02 Jan 2024 10:00:00 +0100",
    in_reply_to: str | None = None,
    references: str | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ADDRESS
    message["Subject"] = subject
    if date:
        message["Date"] = date
    if message_id:
        message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    if text is not None:
        message.set_content(text)
        if html is not None:
            message.add_alternative(html, subtype="html")
    elif html is not None:
        message.set_content(html, subtype="html")
    return message


def reply_from_brand(**overrides: object) -> Outgoing:
    fields: dict = {
        "text": "Sorry about that, a replacement is on its way.",
        "idempotency_key": "case-7:reply-1",
        "reply_to": "q2@mail.example.org",
        "thread_id": "q1@mail.example.org",
        "subject": "Where is my order?",
        "recipient": "Jane Doe <jane.doe@mail.example.org>",
    }
    fields.update(overrides)
    return Outgoing(**fields)


def drain(connector: EmailConnector, cursor: dict) -> tuple[list[str], dict]:
    """Call fetch until it says there is no more; return the external ids in order."""
    ids: list[str] = []
    while True:
        page = connector.fetch(cursor)
        ids += [item.external_id for item in page.items]
        cursor = page.cursor
        if not page.more:
            return ids, cursor


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- check ---------------------------------------------------------------------------------------


def test_check_logs_in_to_both_servers_and_returns_the_brand_address(connector, smtp):
    assert connector.check() == ADDRESS
    assert smtp.logins == [("PLAIN", USERNAME, True)]


def test_wrong_imap_password_is_an_auth_error_that_does_not_reveal_it(imap, smtp):
    connector = connector_for(imap, smtp, password="wrong-password-123")

    with pytest.raises(AuthError) as caught:
        connector.fetch({})

    assert "AUTHENTICATIONFAILED" in str(caught.value)
    assert "wrong-password-123" not in str(caught.value)


def test_wrong_smtp_password_is_an_auth_error(imap, smtp):
    connector = connector_for(imap, smtp, password="wrong-password-123")

    with pytest.raises(AuthError) as caught:
        connector.reply(reply_from_brand())

    assert "wrong-password-123" not in str(caught.value)
    assert smtp.received == []


def test_unreachable_mail_servers_are_transient_errors(imap, smtp):
    with pytest.raises(TransientError):
        connector_for(imap, smtp, imap_port=closed_port()).check()
    with pytest.raises(TransientError):
        connector_for(imap, smtp, smtp_port=closed_port()).reply(reply_from_brand())


def test_smtp_without_starttls_is_refused_before_the_password_is_sent(imap, smtp):
    connector = connector_for(imap, smtp, smtp_starttls=True)

    with pytest.raises(PermanentError, match="STARTTLS"):
        connector.reply(reply_from_brand())

    assert smtp.logins == []
    assert smtp.received == []


# -- reading mail --------------------------------------------------------------------------------


def test_customer_reply_arrives_with_author_subject_and_thread(connector, imap):
    imap.append(
        customer_mail(
            message_id="<q3@mail.example.org>",
            subject="Re: Where is my order?",
            text="Still nothing, can you check again?",
            html="<p>Still nothing, <b>can you check again?</b></p>",
            in_reply_to="<r2@brand.example>",
            references="<q1@mail.example.org> <r1@brand.example> <r2@brand.example>",
        )
    )

    page = connector.fetch({})

    (item,) = page.items
    assert item.platform == "email"
    assert item.kind == ItemKind.EMAIL
    assert item.external_id == "q3@mail.example.org"
    assert item.author.platform_id == "jane.doe@mail.example.org"
    assert item.author.handle == "Jane.Doe@Mail.Example.org"
    assert item.author.name == "Jane Doe"
    assert item.subject == "Re: Where is my order?"
    assert item.text == "Still nothing, can you check again?"  # the plain part, not the HTML
    assert item.in_reply_to == "r2@brand.example"
    assert item.thread_id == "q1@mail.example.org"  # the first message of the conversation
    assert item.created_at == datetime(2024, 1, 2, 9, 0, tzinfo=UTC)
    assert item.created_at.utcoffset() == timedelta(hours=1)
    assert item.raw["uid"] == 1
    assert item.raw["headers"]["In-Reply-To"] == "<r2@brand.example>"
    assert item.raw["headers"]["From"] == "Jane Doe <Jane.Doe@Mail.Example.org>"
    assert page.cursor == {"uidvalidity": imap.uidvalidity, "last_uid": 1}
    assert page.more is False


def test_html_only_mail_is_read_as_plain_text(connector, imap):
    imap.append(
        customer_mail(
            text=None,
            html=(
                "<html><head><style>p {color: red}</style></head><body>"
                "<p>Hi&nbsp;team,</p><p>The parcel arrived <i>damaged</i> &amp; wet.</p>"
                "<ul><li>Box torn</li><li>Manual soaked</li></ul><script>track()</script>"
                "</body></html>"
            ),
        )
    )

    (item,) = connector.fetch({}).items

    assert item.text == "Hi team,\n\nThe parcel arrived damaged & wet.\n\n- Box torn\n- Manual soaked"
    assert item.thread_id == item.external_id == "q1@mail.example.org"  # a new conversation
    assert item.in_reply_to is None


def test_quoted_history_is_trimmed_from_the_text_but_kept_in_raw(connector, imap):
    body = (
        "Thanks, that fixed it!\n"
        "\n"
        "On Tue, 2 Jan 2024 at 11:00, Brand Care <care@brand.example>\n"
        "wrote:\n"
        "> Please restart the router.\n"
        ">\n"
        "> On Tue, 2 Jan 2024 at 10:00, Jane Doe wrote:\n"
        ">> My internet is down.\n"
    )
    imap.append(customer_mail(text=body))
    imap.append(
        customer_mail(
            message_id="<q2@mail.example.org>",
            text=(
                "Could you send the invoice again?\n\n"
                "________________________________\n"
                "From: Brand Care <care@brand.example>\n"
                "Sent: Tuesday, January 2, 2024 11:00\n"
                "To: Jane Doe\n"
                "Subject: Your invoice\n\n"
                "Here is your invoice.\n"
            ),
        )
    )

    first, second = connector.fetch({}).items

    assert first.text == "Thanks, that fixed it!"
    assert first.raw["body"] == body.strip()
    assert second.text == "Could you send the invoice again?"


def test_answers_written_between_quoted_lines_are_kept(connector, imap):
    body = (
        "On Tue, 2 Jan 2024 at 11:00, Brand Care <care@brand.example> wrote:\n"
        "> Which model do you have?\n"
        "The X200.\n"
        "> Since when?\n"
        "Since Monday.\n"
    )
    imap.append(customer_mail(text=body))

    (item,) = connector.fetch({}).items

    assert item.text == body.strip()


def test_mail_without_message_id_or_date_still_arrives_with_a_stable_id(connector, imap):
    imap.append(customer_mail(message_id=None, date=None))
    before = datetime.now(UTC)

    (first,) = connector.fetch({}).items
    (again,) = connector.fetch({}).items

    assert first.external_id == again.external_id
    assert first.external_id.endswith("@brand.example")
    assert first.thread_id == first.external_id
    assert first.created_at >= before
    assert first.created_at.tzinfo is not None


def test_reading_mail_leaves_it_unread_for_agents_mail_clients(connector, imap):
    uid = imap.append(customer_mail())

    connector.fetch({})

    assert imap.flags(uid) == set()
    assert "EXAMINE INBOX" in imap.commands
    assert not any(command.startswith(("SELECT", "UID STORE", "STORE")) for command in imap.commands)


def test_attachments_are_listed_in_raw(connector, imap):
    message = customer_mail(text="Photo of the damage attached.")
    message.add_attachment(b"\x89PNG fake", maintype="image", subtype="png", filename="damage.png")
    imap.append(message)

    (item,) = connector.fetch({}).items

    assert item.text == "Photo of the damage attached."
    assert item.raw["attachments"] == [{"filename": "damage.png", "content_type": "image/png", "size": 9}]


# -- cursor --------------------------------------------------------------------------------------


def test_mail_arriving_between_batches_is_delivered_exactly_once_in_order(connector, imap, monkeypatch):
    monkeypatch.setattr(EmailConnector, "batch_size", 3)
    for n in range(7):
        imap.append(customer_mail(message_id=f"<m{n}@mail.example.org>"))

    seen: list[str] = []
    page = connector.fetch({})
    seen += [item.external_id for item in page.items]
    assert len(page.items) == 3 and page.more

    for n in range(7, 9):  # new mail while the backlog is being read
        imap.append(customer_mail(message_id=f"<m{n}@mail.example.org>"))
    rest, cursor = drain(connector, page.cursor)
    seen += rest

    imap.append(customer_mail(message_id="<m9@mail.example.org>"))
    latest, cursor = drain(connector, cursor)
    seen += latest
    nothing_new, final_cursor = drain(connector, cursor)

    assert seen == [f"m{n}@mail.example.org" for n in range(10)]
    assert nothing_new == []
    assert final_cursor == cursor == {"uidvalidity": imap.uidvalidity, "last_uid": 10}


def test_large_messages_are_split_across_calls_by_size(connector, imap, monkeypatch):
    big = "x" * 4000 + "\n"
    for n in range(4):
        imap.append(customer_mail(message_id=f"<big{n}@mail.example.org>", text=big))
    monkeypatch.setattr(EmailConnector, "batch_bytes", 9000)

    first = connector.fetch({})
    ids, _ = drain(connector, first.cursor)

    assert len(first.items) == 2 and first.more
    assert [item.external_id for item in first.items] + ids == [f"big{n}@mail.example.org" for n in range(4)]


def test_rebuilt_mailbox_with_new_uidvalidity_is_read_again_so_nothing_is_lost(connector, imap):
    for n in range(3):
        imap.append(customer_mail(message_id=f"<old{n}@mail.example.org>"))
    _, cursor = drain(connector, {})

    imap.renumber(uidvalidity=2024)
    imap.append(customer_mail(message_id="<new@mail.example.org>"))
    ids, cursor = drain(connector, cursor)

    # Every message comes back (the ingest drops known Message-IDs); none is skipped.
    assert ids == [
        "old0@mail.example.org",
        "old1@mail.example.org",
        "old2@mail.example.org",
        "new@mail.example.org",
    ]
    assert cursor == {"uidvalidity": 2024, "last_uid": 4}


# -- sending mail --------------------------------------------------------------------------------


def test_reply_threads_in_the_customers_mail_client(connector, smtp):
    published = connector.reply(reply_from_brand())

    (mail,) = smtp.received
    message = mail.message
    assert mail.mail_from == ADDRESS
    assert mail.rcpt_tos == ("jane.doe@mail.example.org",)
    assert message["From"] == ADDRESS
    assert message["To"] == "Jane Doe <jane.doe@mail.example.org>"
    assert message["Subject"] == "Re: Where is my order?"
    assert message["In-Reply-To"] == "<q2@mail.example.org>"
    assert message["References"] == "<q1@mail.example.org> <q2@mail.example.org>"
    assert message["Message-ID"] == f"<{published.external_id}>"
    assert published.external_id.endswith("@brand.example")
    assert published.raw["message_id"] == message["Message-ID"]
    assert message.get_content().strip() == "Sorry about that, a replacement is on its way."


def test_retried_reply_carries_the_same_message_id_so_the_receiver_can_dedupe(connector, smtp):
    first = connector.reply(reply_from_brand())
    retry = connector.reply(reply_from_brand())
    other = connector.reply(reply_from_brand(idempotency_key="case-7:reply-2"))

    assert first.external_id == retry.external_id != other.external_id
    assert [mail.message["Message-ID"] for mail in smtp.received] == [
        f"<{first.external_id}>",
        f"<{first.external_id}>",
        f"<{other.external_id}>",
    ]


def test_reply_subject_is_not_prefixed_twice(connector, smtp):
    connector.reply(reply_from_brand(subject="RE: Where is my order?"))

    assert smtp.received[0].message["Subject"] == "RE: Where is my order?"


def test_new_email_is_sent_with_its_attachments(connector, smtp):
    connector.publish(
        Outgoing(
            text="Your invoice for January is attached.",
            idempotency_key="invoice-2024-01",
            subject="Invoice January",
            recipient="jane.doe@mail.example.org",
            media=(Media(filename="invoice.pdf", content_type="application/pdf", data=b"%PDF-1.4 ..."),),
        )
    )

    message = smtp.received[0].message
    assert message["Subject"] == "Invoice January"
    assert message["In-Reply-To"] is None
    assert message.get_body(preferencelist=("plain",)).get_content().strip() == (
        "Your invoice for January is attached."
    )
    (attachment,) = message.iter_attachments()
    assert attachment.get_filename() == "invoice.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == b"%PDF-1.4 ..."


def test_temporary_smtp_rejection_is_a_transient_error(connector, smtp):
    smtp.fail_next_send(451)

    with pytest.raises(TransientError, match="451"):
        connector.reply(reply_from_brand())

    connector.reply(reply_from_brand())  # and the retry goes through
    assert len(smtp.received) == 1


def test_permanent_smtp_rejection_is_a_permanent_error(connector, smtp):
    smtp.fail_next_send(554)

    with pytest.raises(PermanentError, match="554"):
        connector.reply(reply_from_brand())

    assert smtp.received == []


def test_reply_without_the_mail_it_answers_is_refused(connector, smtp):
    with pytest.raises(PermanentError):
        connector.reply(reply_from_brand(reply_to=None))
    with pytest.raises(PermanentError):
        connector.reply(reply_from_brand(recipient=""))

    assert smtp.received == []


def test_email_has_no_metrics_and_allows_long_text_with_attachments(connector):
    limits = connector.limits()

    assert connector.fetch_metrics(["q1@mail.example.org"]) == []
    assert (limits.max_text_length, limits.max_media, limits.length_unit) == (100_000, 10, "characters")


def test_dates_in_other_zones_stay_timezone_aware(connector, imap):
    imap.append(customer_mail(date="Wed, 03 Jan 2024 08:30:00 -0500"))

    (item,) = connector.fetch({}).items

    assert item.created_at == datetime(2024, 1, 3, 8, 30, tzinfo=timezone(timedelta(hours=-5)))
