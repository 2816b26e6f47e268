"""Helpers for customer tests: a profile from an author, and Ayu's WhatsApp message."""

from __future__ import annotations

import copy

from cxm.channels.connectors.whatsapp import webhook_items
from cxm.customers.models import CustomerProfile
from cxm.customers.services import AuthorKey, identities_resolve
from tests.care.conftest import receive
from tests.channels.stubs.whatsapp_server import fixture

AYU_WA_ID = "6281234567890"  # +62 812-3456-7890, as WhatsApp writes it
AYU_PHONE = "+6281234567890"


def profile(workspace, platform, platform_id, name="") -> CustomerProfile:
    """The profile the author resolves to, as ingest would find or make it."""
    resolved = identities_resolve(
        workspace_id=workspace.pk, authors=[AuthorKey(platform, platform_id, platform_id, name)]
    )
    return CustomerProfile.objects.get(pk=resolved[(platform, platform_id)].profile_id)


def whatsapp_message(account, wa_id=AYU_WA_ID, message_id="wamid.ayu-1") -> None:
    """WhatsApp's documented text-message webhook, from `wa_id`, through the care sink."""
    value = copy.deepcopy(fixture("whatsapp_webhook_text.json")["entry"][0]["changes"][0]["value"])
    value["contacts"][0]["wa_id"] = wa_id
    value["contacts"][0]["profile"]["name"] = "Ayu"
    value["messages"][0]["from"] = wa_id
    value["messages"][0]["id"] = message_id
    receive(account, *webhook_items(value))
