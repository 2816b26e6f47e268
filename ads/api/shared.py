"""What several resources of the ads API share: the statuses a client may set, the fields the
platform owns, `pause`/`activate`, money shown as decimals, an uploaded file's text."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from ads.models import AdCampaign, AdStatus
from ads.money import format_amount

# What a new (or changed) campaign, ad set or ad may be set to.
NEW_STATUS_CHOICES = [
    (AdStatus.ACTIVE.value, AdStatus.ACTIVE.label),
    (AdStatus.PAUSED.value, AdStatus.PAUSED.label),
]
# Statuses an object can only have been given on the platform (shown, never set here).
PLATFORM_ONLY_STATUSES = (AdStatus.ARCHIVED.value, AdStatus.DELETED.value)


PLATFORM_FIELDS = [
    "status",
    "platform_status",
    "effective_status",
    "push_state",
    "external_id",
    "external_ref",
    "origin",
    "error",
    "held_by_pause",
    "pushed_at",
    "created_at",
    "updated_at",
]
PLATFORM_READ_ONLY = [name for name in PLATFORM_FIELDS if name != "status"]


class StatusActionsMixin:
    """`pause` and `activate` on one object (sent to the platform once launched; activating waits
    while a pause is on)."""

    status_service = None  # (obj, status, by, request) -> obj

    def _update_then_set_status(self, obj, data: dict, update):
        """Changed fields go through `update(obj, changes)`, then a changed status through
        `status_service`; answers the object read back through the viewset's selector."""
        wanted_status = data.pop("status", None)
        changes = {key: value for key, value in data.items() if getattr(obj, key) != value}
        if changes:
            obj = update(obj, changes)
        if wanted_status and wanted_status != obj.status:
            obj = type(self).status_service(obj, wanted_status, self.request.user, self.request)
        return self.get_queryset().get(pk=obj.pk)

    def _set_status(self, request, status_value):
        obj = type(self).status_service(self.get_object(), status_value, request.user, request)
        obj = self.get_queryset().get(pk=obj.pk)
        return Response(self.get_serializer(obj).data)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        return self._set_status(request, AdStatus.PAUSED)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        return self._set_status(request, AdStatus.ACTIVE)


def money_display(obj, name: str) -> str | None:
    currency = obj.currency if isinstance(obj, AdCampaign) else obj.campaign.currency
    return format_amount(getattr(obj, name), currency)


MAX_UPLOAD = 200 * 1024 * 1024


def upload_text(upload) -> str:
    if upload.size > MAX_UPLOAD:
        raise serializers.ValidationError({"file": ["The file is larger than 200 MB."]})
    return upload.read().decode("utf-8-sig", errors="replace")
