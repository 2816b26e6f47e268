"""DRF's user and anonymous rate throttles, reading their rates when asked rather than at import,
so a changed REST_FRAMEWORK setting (an env-configured deployment, a test override) takes effect."""

from __future__ import annotations

from rest_framework import throttling
from rest_framework.settings import api_settings


class _LiveRates:
    @property
    def THROTTLE_RATES(self):
        return api_settings.DEFAULT_THROTTLE_RATES


class UserRateThrottle(_LiveRates, throttling.UserRateThrottle):
    pass


class AnonRateThrottle(_LiveRates, throttling.AnonRateThrottle):
    pass
