"""The platform's own outgoing mail (the CXM_EMAIL_* settings): alerts, and website chat replies
to visitors who have left. SMTP's answers become the connector errors, so callers retry a 4xx
and record a 5xx as they do a platform's."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from cxm.channels.connectors.base import PermanentError, TransientError

EMAIL_TIMEOUT = 30.0  # seconds per SMTP operation, unless EMAIL_TIMEOUT is set


def site_mail_send(
    subject: str, body: str, recipients: list[str], *, headers: dict[str, str] | None = None
) -> None:
    """Send one plain-text message from DEFAULT_FROM_EMAIL; raise TransientError or PermanentError."""
    # A bounded wait (Django's default is none): a hung server must not outlive the caller's lease.
    connection = get_connection(timeout=getattr(settings, "EMAIL_TIMEOUT", None) or EMAIL_TIMEOUT)
    message = EmailMessage(subject, body, None, recipients, headers=headers, connection=connection)
    try:
        message.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        reason = "recipients refused: " + ", ".join(
            f"{address} ({code})" for address, (code, _) in exc.recipients.items()
        )
        if all(400 <= code < 500 for code in codes):
            raise TransientError(reason) from None
        raise PermanentError(reason) from None
    except smtplib.SMTPResponseException as exc:
        text = (
            exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        )
        reason = f"mail server answered {exc.smtp_code}: {text}"
        if 400 <= exc.smtp_code < 500:
            raise TransientError(reason) from None
        raise PermanentError(reason) from None
    except OSError as exc:  # connection refused, timeouts, a dropped connection (SMTPException too)
        raise TransientError(f"mail server unreachable: {exc.__class__.__name__}: {exc}") from None
