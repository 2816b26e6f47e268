from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cxm.tenancy.permissions import has_permission
from cxm.tenancy.selectors import memberships_for_user

# Each section opens on the first of its pages the member's role may see (leaders, who read only
# reports, enter Care at its reports); a section with none of them is not shown.
NAVIGATION = [
    ("listening", _("Listening"), (("listening:index", "listening.view"),)),
    ("publishing", _("Publishing"), (("publishing:index", "publishing.view"),)),
    ("care", _("Care"), (("care:index", "care.view"), ("care:reports", "care.reports"))),
    ("ads", _("Ads"), (("ads:index", "ads.view"),)),
    ("transformation", _("Transformation"), (("transformation:index", "transformation.view"),)),
    ("admin", _("Admin"), (("admin-members", "workspace.manage"),)),
]


def shell(request):
    """The navigation and workspace switcher every page's header shows."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = getattr(request, "membership", None)
    path = request.path
    nav = []
    for key, label, entries in NAVIGATION:
        url_name = next(
            (name for name, permission in entries if membership and has_permission(membership, permission)),
            None,
        )
        if url_name is None:
            continue
        url = reverse(url_name)
        section_root = "/admin/" if key == "admin" else reverse(entries[0][0])
        nav.append({"key": key, "label": label, "url": url, "active": path.startswith(section_root)})
    return {
        "nav_items": nav,
        "current_membership": membership or None,
        "current_workspace": membership.workspace if membership else None,
        "user_memberships": list(memberships_for_user(user=user)),
    }
