"""What the website chat holds about a person, for data-subject requests: the visitors they
were (found by their `webchat` identities, or by the address they gave) and the conversations.
Erasing deletes both; care's copy of the messages is care's handler's to erase."""

from __future__ import annotations

from django.db.models import Q

from cxm.channels.models import Platform
from cxm.channels.webchat.models import WebchatMessage, WebchatVisitor
from cxm.privacy.registry import ExportWriter
from cxm.privacy.subject import Subject


def _visitors(workspace_id: int, subject: Subject):
    public_ids = [account[1] for account in subject.accounts if account and account[0] == Platform.WEBCHAT]
    emails = [email.lower() for email in subject.emails]
    if not public_ids and not emails:
        return WebchatVisitor.objects.none()
    return WebchatVisitor.objects.filter(workspace_id=workspace_id).filter(
        Q(public_id__in=public_ids) | Q(email__in=emails)
    )


class WebchatHandler:
    name = "webchat"
    order = 40  # before the identities it finds the visitors through are deleted
    kinds = ("website_chat_visitors", "website_chat_messages")

    def find(self, workspace_id: int, subject: Subject) -> dict[str, int]:
        visitors = _visitors(workspace_id, subject)
        return {
            "website_chat_visitors": visitors.count(),
            "website_chat_messages": WebchatMessage.objects.filter(
                workspace_id=workspace_id, visitor__in=visitors
            ).count(),
        }

    def export(self, workspace_id: int, subject: Subject, writer: ExportWriter) -> None:
        visitors = _visitors(workspace_id, subject)
        for visitor in visitors.order_by("created_at", "id"):
            writer.write(
                "website_chat_visitors",
                {
                    "visitor": visitor.public_id,
                    "name": visitor.name,
                    "email": visitor.email,
                    "language": visitor.language,
                    "page": visitor.page_url,
                    "created_at": visitor.created_at.isoformat(),
                },
            )
        messages = WebchatMessage.objects.filter(workspace_id=workspace_id, visitor__in=visitors)
        for message in messages.select_related("visitor").order_by("created_at", "id"):
            writer.write(
                "website_chat_messages",
                {
                    "visitor": message.visitor.public_id,
                    "from": message.sender,
                    "text": message.text,
                    "created_at": message.created_at.isoformat(),
                },
            )

    def erase(self, workspace_id: int, subject: Subject) -> dict[str, int]:
        found = self.find(workspace_id, subject)
        _visitors(workspace_id, subject).delete()  # their messages go with them
        return found
