"""Signals the tenancy models send. A kernel app that tenancy must not import (it imports
tenancy) attaches to them from its AppConfig.ready:

    user_access_ended -> cxm.api ends the user's API tokens                      (cxm/api/apps.py)
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent after a user is saved with a new password or as inactive, whichever path saved them (the
# password form, an invitation, the admin, a command), with `user` and `reason`
# ("password_changed" or "deactivated").
user_access_ended = Signal()
