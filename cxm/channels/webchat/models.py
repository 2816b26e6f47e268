"""A website chat, the visitors who write to it and what each conversation holds.

Registered with the channels app (imported at the end of `cxm.channels.models`), so the tables
are `channels_webchat*` and the migrations are the channels app's.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cxm.db.fields import WorkspaceForeignKey, WorkspaceOneToOneField
from cxm.tenancy.models import WorkspaceOwned


class WebchatWidget(WorkspaceOwned):
    """One website chat of one brand. `key` is public (it is in the page's snippet); 18 random
    bytes, so a key leads to exactly one workspace and brand. The database keeps it unique within
    its workspace (a uniqueness across shards is not kept) and finds it by its own index."""

    account = WorkspaceOneToOneField("channels.ChannelAccount", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=40, db_index=True)
    # Origins (scheme://host[:port]) whose pages may call the widget's endpoints.
    allowed_origins = ArrayField(models.CharField(max_length=255), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "created_at"], name="webchat_widget_ws_created")]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "account"], name="webchat_widget_account_once"),
            models.UniqueConstraint(fields=["workspace", "key"], name="webchat_widget_key_once"),
        ]

    def __str__(self) -> str:
        return f"website chat {self.key}"


class WebchatVisitor(WorkspaceOwned):
    """Someone who started a conversation on the brand's site: one conversation per visitor.

    `public_id` is the identity the customer profile knows them by (platform `webchat`); the
    secret the widget holds is never stored, only its SHA-256 (`token_hash`)."""

    widget = WorkspaceForeignKey(WebchatWidget, on_delete=models.CASCADE, related_name="+")
    public_id = models.CharField(max_length=40)
    token_hash = models.CharField(max_length=64)
    name = models.CharField(max_length=100, blank=True)
    email = models.CharField(max_length=254, blank=True)
    language = models.CharField(max_length=16, blank=True)
    page_url = models.CharField(max_length=500, blank=True)  # where the conversation started
    created_at = models.DateTimeField(auto_now_add=True)
    # The widget's last call: a visitor not seen for a while gets an agent's reply by e-mail too.
    last_seen_at = models.DateTimeField()
    # An agent is writing to this visitor until then (the case page says so every few seconds).
    agent_typing_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "widget", "created_at"], name="webchat_visitor_ws_widget")
        ]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "public_id"], name="webchat_visitor_public_id_once"),
            models.UniqueConstraint(fields=["workspace", "token_hash"], name="webchat_visitor_token_once"),
        ]

    def __str__(self) -> str:
        return f"visitor {self.public_id}"


class Sender(models.TextChoices):
    VISITOR = "visitor", _("Visitor")
    AGENT = "agent", _("Agent")


class WebchatMessage(WorkspaceOwned):
    """A line of a conversation. An agent's carries the outbox's idempotency key, so a reply sent
    again is the same message; `email_to` is set when it is also to go out by e-mail."""

    visitor = WorkspaceForeignKey(WebchatVisitor, on_delete=models.CASCADE, related_name="messages")
    sender = models.CharField(max_length=8, choices=Sender.choices)
    text = models.TextField()
    idempotency_key = models.CharField(max_length=64, blank=True)
    email_to = models.CharField(max_length=254, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="webchat_message_key_once",
            ),
        ]
        # The widget's poll: this visitor's messages after the last id it has.
        indexes = [models.Index(fields=["workspace", "visitor", "id"], name="webchat_message_ws_visitor")]

    def __str__(self) -> str:
        return f"{self.sender} message {self.pk} of {self.visitor_id}"

    @property
    def external_id(self) -> str:
        """The id care stores the message under (platform `webchat`)."""
        return f"wc-{self.pk}"
