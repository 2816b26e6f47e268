"""An agent writing a reply, shown to the customer where the channel can show it (the website
chat's "… is writing"): the case page says so every few seconds while the agent types."""

from __future__ import annotations

from care.models import Case, CaseStatus, Direction, Message
from cxm.channels import services as channel_services
from cxm.channels.connectors import connector_class
from cxm.channels.connectors.base import ConnectorError


def typing_shown(platform: str) -> bool:
    """Whether the channel shows the customer that someone is writing (its connector's `typing`)."""
    try:
        return hasattr(connector_class(platform), "typing")
    except ValueError:  # no connector: a case opened by hand
        return False


def case_typing(*, case: Case) -> bool:
    """Tell the customer of an open case that an agent is writing to them; whether it was shown."""
    if case.status == CaseStatus.CLOSED or case.channel_account is None or not typing_shown(case.platform):
        return False
    answered = (
        Message.objects.filter(workspace_id=case.workspace_id, case=case, direction=Direction.INBOUND)
        .exclude(external_id="")
        .order_by("-occurred_at", "-id")
        .values_list("external_id", flat=True)
        .first()
    )
    if answered is None:
        return False
    try:
        channel_services.account_connector(case.channel_account).typing(reply_to=answered)
    except ConnectorError:
        # A hint that the next keystroke repeats; an answer the customer is waiting for is not
        # at stake, so a refusal is not worth interrupting the agent for.
        return False
    return True
