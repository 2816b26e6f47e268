"""A person chooses the time zone they read and type times in (Your settings)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cxm.tenancy import services as tenancy_services
from cxm.web.errors import validation_message


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(
        label=gettext_lazy("Time zone"),
        help_text=gettext_lazy(
            "The publishing calendar shows times in it, and a post's schedule is typed in it."
        ),
        choices=lambda: [(zone, zone) for zone in sorted(available_timezones())],
    )


@require_POST
@login_required
def account_time_zone(request):
    form = TimeZoneForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["time_zone"]))
        return redirect("account-settings")
    try:
        tenancy_services.user_time_zone_set(
            user=request.user, time_zone=form.cleaned_data["time_zone"], request=request
        )
    except ValidationError as error:
        messages.error(request, validation_message(error))
    else:
        messages.success(request, _("Time zone saved."))
    return redirect("account-settings")


class ReaderTimeZoneMiddleware:
    """Pages show and read times in the signed-in person's time zone (Your settings), so a care
    thread and a schedule speak of the same clock. The API keeps answering with explicit offsets
    in UTC, whoever calls it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            user = getattr(request, "user", None)
            zone = getattr(user, "time_zone", "") if user is not None and user.is_authenticated else ""
        except DatabaseError:
            # The view meets the same outage where the outage middleware can answer 503 for it.
            zone = ""
        if not zone or zone == "UTC" or request.path.startswith("/api/"):
            return self.get_response(request)
        try:
            timezone.activate(ZoneInfo(zone))
        except (ZoneInfoNotFoundError, ValueError):
            return self.get_response(request)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
