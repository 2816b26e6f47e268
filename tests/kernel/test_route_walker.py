"""Every route of the URLconf, every method it answers, called by everyone who might call it.

For each route (API, htmx pages, workspace admin, Django admin, webhooks, health) and each method:

- anonymous: 401/403 from the API, a redirect to the login page from a page, or the answer a
  public route declares in `PUBLIC` (with the reason it is public);
- a member (admin) of another workspace, holding workspace A's object ids: 404, and nothing of
  workspace A in the body;
- each role of workspace A, with a valid sample: allowed when `PERMISSIONS` gives the role the
  permission the view requires (anything but 403/404/405/500), 403 otherwise.

Nothing answers 500. A route whose URL takes arguments needs a sample: API routes name theirs in
`SAMPLES` (tests/kernel/test_tenancy_routes.py); pages name theirs in `PAGE_SAMPLES` below. A new
route without one fails `test_every_route_has_a_sample`, naming it.

The required permission comes from the view: `@workspace_view(...)` on pages (its `write_permission`
for methods other than GET), `read_permission` / `write_permission` / `permission_by_action` on API
views. The methods come from the view too (DRF actions and handlers, `require_POST` /
`require_http_methods`; GET and POST for an undecorated function view). Where a view checks more
inside than its decorator can say (a permission that depends on the URL), `CHECKED_INSIDE` names it;
`BODIES` gives a POST body where an empty one would answer 404; `PUBLIC` lists the routes anyone may
call, each with its reason. The table in docs/security.md is generated from the same map.

Requests run in a savepoint each (a DELETE by one caller leaves the sample for the next); the
callers are made once per module and rolled back at its end.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cxm.api.permissions import IsWorkspaceMember
from cxm.channels.models import ChannelAccount
from cxm.tenancy.models import Role
from cxm.tenancy.permissions import PERMISSIONS
from tests.ads.stubs.graph_server import GraphStub
from tests.factories import MembershipFactory, WorkspaceFactory
from tests.kernel.test_tenancy_routes import MARKER, NOT_TENANT_DATA, SAMPLES, _sample_key

ROLES = tuple(Role.values)
# Statuses that mean "the role was let in" cannot be these.
REFUSED = {403, 404, 405}


class World:
    """Workspace A's objects, made on first use inside the running test (rolled back after it)."""

    def __init__(self, workspace, admin):
        self.workspace = workspace
        self.admin = admin

    def api(self, key):
        return SAMPLES[key](self.workspace)

    @cached_property
    def account(self):
        return SAMPLES["account"](self.workspace)

    @cached_property
    def webhook_account(self):
        from cxm.channels.models import ChannelAccount

        return ChannelAccount.objects.create(
            workspace=self.workspace,
            platform="webhook",
            handle=f"{MARKER}-hook",
            display_name=f"{MARKER} hook",
        )

    @cached_property
    def telegram_account(self):
        return ChannelAccount.objects.create(
            workspace=self.workspace,
            platform="telegram",
            handle=f"{MARKER}_bot",
            display_name=f"{MARKER} bot",
            credentials={"bot_token": "1:not-a-real-token", "webhook_secret": f"{MARKER}-secret"},
            options={"delivery": "webhook"},
        )

    @cached_property
    def mention(self):
        return SAMPLES["mention"](self.workspace)

    @cached_property
    def topic(self):
        return SAMPLES["topic"](self.workspace)

    @cached_property
    def post(self):
        return SAMPLES["post"](self.workspace)

    @cached_property
    def target(self):
        return self.post.targets.first()

    @cached_property
    def media(self):
        from publishing.models import MediaAttachment

        media = MediaAttachment(
            workspace=self.workspace,
            post=self.post,
            filename=f"{MARKER}.txt",
            content_type="text/plain",
            size=6,
        )
        media.file.save(f"{MARKER}.txt", ContentFile(b"secret"), save=False)
        media.save()
        return media

    @cached_property
    def pause(self):
        return SAMPLES["publishing-pause"](self.workspace)

    @cached_property
    def case(self):
        return SAMPLES["case"](self.workspace)

    @cached_property
    def message(self):
        """An answer we sent: delivery status and retry exist only for outbound messages."""
        from django.utils import timezone

        from care.models import Direction, Message

        return Message.objects.create(
            workspace=self.workspace,
            case=self.case,
            direction=Direction.OUTBOUND,
            text=f"{MARKER} answer",
            occurred_at=timezone.now(),
            status="failed",
        )

    @cached_property
    def privacy_request(self):
        return SAMPLES["privacy-request"](self.workspace)

    @cached_property
    def customer(self):
        return SAMPLES["customer"](self.workspace)

    @cached_property
    def merge(self):
        from cxm.customers.models import CustomerMerge, CustomerProfile

        other = CustomerProfile.objects.create(workspace=self.workspace, display_name=f"{MARKER} twin")
        return CustomerMerge.objects.create(workspace=self.workspace, source=other, target=self.customer)

    @cached_property
    def queue(self):
        from care.models import Queue

        return Queue.objects.create(workspace=self.workspace, name=f"{MARKER} queue")

    @cached_property
    def agent(self):
        from care.models import AgentProfile

        return AgentProfile.objects.create(workspace=self.workspace, user=self.admin.user)

    @cached_property
    def csat_token(self):
        from care.services.csat import csat_token

        return csat_token(case=self.case)

    @cached_property
    def campaign(self):
        # the campaign of the commented ad: the ads samples share one ad account per workspace
        return self.ad_comment[0].campaign

    @cached_property
    def ad_account(self):
        return SAMPLES["ads-account"](self.workspace)

    @cached_property
    def variant(self):
        from ads.models import CreativeTemplate, Variant

        template = CreativeTemplate.objects.create(
            workspace=self.workspace, name=f"{MARKER} template", primary_text=f"{MARKER} offer"
        )
        return Variant.objects.create(
            workspace=self.workspace,
            template=template,
            campaign=self.campaign,
            key="v_secret",
            content_hash="x",
            format="feed_square",
            fields={"primary_text": f"{MARKER} text"},
        )

    @cached_property
    def proposal(self):
        return SAMPLES["ads-proposal"](self.workspace)

    @cached_property
    def ad_comment(self):
        from ads.models import Ad

        mention = SAMPLES["ads-comment"](self.workspace)
        return Ad.objects.get(workspace=self.workspace, effective_object_story_id="900_901"), mention

    @cached_property
    def assessment_round(self):
        return SAMPLES["transformation-assessment"](self.workspace)

    @cached_property
    def value_driver(self):
        return SAMPLES["transformation-value-driver"](self.workspace)

    @cached_property
    def raci(self):
        from transformation.capabilities import CAPABILITY_KEYS
        from transformation.models import RaciAssignment

        return RaciAssignment.objects.create(
            workspace=self.workspace, capability=CAPABILITY_KEYS[0], role=Role.AGENT, letter="R"
        )

    @cached_property
    def audit_export(self):
        from cxm.audit.models import AuditExport
        from cxm.audit.services import audit_export_path

        export = AuditExport.objects.create(workspace=self.workspace, requested_by=self.admin.user)
        export.status = AuditExport.Status.DONE
        export.file_name = f"route-sample-{export.pk}.csv"
        path = audit_export_path(export)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{MARKER} entry\n")
        export.save()
        return export

    @cached_property
    def membership(self):
        return SAMPLES["member"](self.workspace)

    @cached_property
    def invitation(self):
        return SAMPLES["invitation"](self.workspace)

    @cached_property
    def widget(self):
        from cxm.channels.webchat.services import widget_create
        from tests.factories import BrandFactory

        brand = BrandFactory(workspace=self.workspace, name=f"{MARKER} chat brand")
        return widget_create(workspace=self.workspace, brand=brand, allowed_origins=["https://shop.example"])

    @cached_property
    def admin_token(self):
        from cxm.api.models import ApiToken
        from cxm.api.services import api_token_issue

        api_token_issue(user=self.admin.user)
        return ApiToken.objects.filter(user=self.admin.user).order_by("-id").first()


def _capability_key():
    from transformation.capabilities import CAPABILITY_KEYS

    return CAPABILITY_KEYS[0]


def _kpi_key():
    from transformation.kpis.registry import KPIS

    return KPIS[0].key


# Page route (namespace:name) -> its URL arguments, made from workspace A's objects.
# Routes without URL arguments need no entry.
PAGE_SAMPLES: dict[str, Callable[[World], dict]] = {
    "channels:account-detail": lambda w: {"account_id": w.account.pk},
    "channels:account-edit": lambda w: {"account_id": w.account.pk},
    "channels:account-action": lambda w: {"account_id": w.account.pk, "verb": "check"},
    "channels:oauth2-connect": lambda w: {"provider": "x"},
    "channels:oauth2-callback": lambda w: {"provider": "x"},
    "channels:webchat-detail": lambda w: {"widget_id": w.widget.pk},
    "webchat:config": lambda w: {"key": w.widget.key},
    "webchat:visitors": lambda w: {"key": w.widget.key},
    "webchat:messages": lambda w: {"key": w.widget.key},
    "webhook-inbound": lambda w: {"account_id": w.webhook_account.pk},
    "telegram-webhook": lambda w: {"account_id": w.telegram_account.pk},
    "listening:mention": lambda w: {"mention_id": w.mention.pk},
    "care:mention-case": lambda w: {"mention_id": w.mention.pk},
    "listening:mention-engage": lambda w: {"mention_id": w.mention.pk},
    "listening:topic-edit": lambda w: {"topic_id": w.topic.pk},
    "listening:topic-progress": lambda w: {"topic_id": w.topic.pk},
    "publishing:post-move": lambda w: {"post_id": w.post.pk},
    "publishing:post": lambda w: {"post_id": w.post.pk},
    "publishing:post-edit": lambda w: {"post_id": w.post.pk},
    "publishing:post-submit": lambda w: {"post_id": w.post.pk},
    "publishing:post-approve": lambda w: {"post_id": w.post.pk},
    "publishing:post-request-changes": lambda w: {"post_id": w.post.pk},
    "publishing:post-cancel": lambda w: {"post_id": w.post.pk},
    "publishing:post-comment": lambda w: {"post_id": w.post.pk},
    "publishing:post-media": lambda w: {"post_id": w.post.pk, "media_id": w.media.pk},
    "publishing:target-retry": lambda w: {"target_id": w.target.pk},
    "publishing:take-down": lambda w: {"post_id": w.post.pk},
    "publishing:target": lambda w: {"target_id": w.target.pk},
    "publishing:resume": lambda w: {"pause_id": w.pause.pk},
    "care:case": lambda w: {"case_id": w.case.pk},
    "care:case-messages": lambda w: {"case_id": w.case.pk},
    "care:case-reply": lambda w: {"case_id": w.case.pk},
    "care:case-typing": lambda w: {"case_id": w.case.pk},
    "care:case-template": lambda w: {"case_id": w.case.pk},
    "care:case-macro": lambda w: {"case_id": w.case.pk},
    "care:case-update": lambda w: {"case_id": w.case.pk},
    "care:case-checklist": lambda w: {"case_id": w.case.pk},
    "care:case-fields": lambda w: {"case_id": w.case.pk},
    "care:case-resolve": lambda w: {"case_id": w.case.pk},
    "care:message-delivery": lambda w: {"case_id": w.case.pk, "message_id": w.message.pk},
    "care:message-retry": lambda w: {"case_id": w.case.pk, "message_id": w.message.pk},
    "ads:case-comment-hide": lambda w: {"case_id": w.case.pk, "message_id": w.message.pk},
    "care:message-engage": lambda w: {"case_id": w.case.pk, "message_id": w.message.pk},
    "care:message-platform-delete": lambda w: {"case_id": w.case.pk, "message_id": w.message.pk},
    "care:customer": lambda w: {"profile_id": w.customer.pk},
    "care:customer-panel": lambda w: {"profile_id": w.customer.pk},
    "care:customer-merge": lambda w: {"profile_id": w.customer.pk},
    "care:customer-link": lambda w: {"profile_id": w.customer.pk},
    "care:merge-candidates": lambda w: {"profile_id": w.customer.pk},
    "care:merge-undo": lambda w: {"merge_id": w.merge.pk},
    "care:settings-new": lambda w: {"kind": "queues"},
    "care:settings-edit": lambda w: {"kind": "queues", "pk": w.queue.pk},
    "care:settings-delete": lambda w: {"kind": "queues", "pk": w.queue.pk},
    "care:agent-presence": lambda w: {"pk": w.agent.pk},
    "care:csat": lambda w: {"token": w.csat_token},
    "ads:campaign": lambda w: {"campaign_id": w.campaign.pk},
    "ads:campaign-guard": lambda w: {"campaign_id": w.campaign.pk},
    "ads:campaign-guard-secret-rotate": lambda w: {"campaign_id": w.campaign.pk},
    "ads:builder": lambda w: {"campaign_id": w.campaign.pk},
    "ads:feed-upload": lambda w: {"campaign_id": w.campaign.pk},
    "ads:variants": lambda w: {"campaign_id": w.campaign.pk},
    "ads:variant-bulk": lambda w: {"campaign_id": w.campaign.pk},
    "ads:variant-waive": lambda w: {"campaign_id": w.campaign.pk, "variant_id": w.variant.pk},
    "ads:launch": lambda w: {"campaign_id": w.campaign.pk},
    "ads:submit": lambda w: {"campaign_id": w.campaign.pk},
    "ads:approve": lambda w: {"campaign_id": w.campaign.pk},
    "ads:reject": lambda w: {"campaign_id": w.campaign.pk},
    "ads:proposal-create": lambda w: {"campaign_id": w.campaign.pk},
    "ads:proposal-apply": lambda w: {"campaign_id": w.proposal.campaign_id, "proposal_id": w.proposal.pk},
    "ads:meta-webhook": lambda w: {"account_id": w.ad_account.pk},
    "ads:comment-hide": lambda w: {"ad_id": w.ad_comment[0].pk, "mention_id": w.ad_comment[1].pk},
    "transformation:capability": lambda w: {"key": _capability_key()},
    "transformation:kpi": lambda w: {"key": _kpi_key()},
    "transformation:assessment": lambda w: {"round_id": w.assessment_round.pk},
    "transformation:assessment-answer": lambda w: {"round_id": w.assessment_round.pk},
    "transformation:assessment-close": lambda w: {"round_id": w.assessment_round.pk},
    "transformation:driver-edit": lambda w: {"driver_id": w.value_driver.pk},
    "transformation:driver-delete": lambda w: {"driver_id": w.value_driver.pk},
    "transformation:roi-source": lambda w: {"kpi": _kpi_key()},
    "transformation:raci-remove": lambda w: {"assignment_id": w.raci.pk},
    "privacy:request-download": lambda w: {"request_id": w.privacy_request.pk},
    "admin-member-update": lambda w: {"membership_id": w.membership.pk},
    "admin-member-remove": lambda w: {"membership_id": w.membership.pk},
    "admin-invitation-resend": lambda w: {"invitation_id": w.invitation.pk},
    "admin-invitation-revoke": lambda w: {"invitation_id": w.invitation.pk},
    "account-token-revoke": lambda w: {"token_id": w.admin_token.pk},
    "invitation-accept": lambda w: {"key": "no-such-invitation"},
    "admin-audit-export-status": lambda w: {"export_id": w.audit_export.pk},
    "admin-audit-export-download": lambda w: {"export_id": w.audit_export.pk},
}


# (route, method) -> the permission the view checks inside, beyond the one its decorator names: only
# where it depends on the URL, which the decorator cannot see.
CHECKED_INSIDE: dict[tuple[str, str], str] = {
    # most kinds of care settings (queues, agents, SLA policies, ...) are admin-only, macros are not;
    # the samples are queues
    ("care:settings-new", "post"): "workspace.manage",
    ("care:settings-edit", "post"): "workspace.manage",
    ("care:settings-delete", "post"): "workspace.manage",
}

# Routes where workspace A's own roles get 404 for the sample too, with the reason.
ALSO_404_IN_WORKSPACE: dict[str, str] = {
    "saved-search-detail": "a saved search is its author's; other members do not see it",
    "ads:case-comment-hide": "the sample is an answer of ours, which has nothing to hide on the platform",
    "care:message-engage": "the sample is an answer of ours, not a Facebook Page or Instagram comment",
    "listening:mention-engage": "the sample mention is no Facebook Page or Instagram comment",
}

# Request bodies for routes that answer 404 to an empty POST (the body names what to act on).
BODIES: dict[str, Callable[[World], dict]] = {
    "transformation:raci-assign": lambda w: {
        "capability": _capability_key(),
        "letter": "R",
        "who": "role:agent",
    },
    # workspace A's id: its members switch to it, the other workspace's admin gets 404
    "workspace-switch": lambda w: {"workspace_id": w.workspace.pk},
}


@dataclass(frozen=True)
class Public:
    """A route anyone may call: what anonymous callers get, and why that is safe."""

    reason: str
    anonymous: frozenset[int]
    # What a signed-in member gets; None: the same as anonymous callers.
    member: frozenset[int] | None = None


def _statuses(*codes: int) -> frozenset[int]:
    return frozenset(codes)


# Routes that do not require a workspace membership, each with the reason.
PUBLIC: dict[str, Public] = {
    "healthz": Public("liveness probe for the load balancer; says only 'ok'", _statuses(200)),
    "readyz": Public("readiness probe; names the failing dependency, never data", _statuses(200, 503)),
    "api-schema": Public("the OpenAPI description of the API; holds no data", _statuses(200)),
    "api-docs": Public("the API reference page; holds no data", _statuses(200)),
    "api-token": Public(
        "exchanges a username and password for a token; an empty body is refused", _statuses(400, 405)
    ),
    "api-me": Public(
        "describes the caller only: signed-in users of any role", _statuses(401, 403), _statuses(200)
    ),
    "api-tokens": Public("lists the caller's own API tokens only", _statuses(401, 403), _statuses(200)),
    "api-token-detail": Public(
        "revokes one of the caller's own API tokens; anyone else's answers 404",
        _statuses(401, 403),
        _statuses(204, 404),
    ),
    "workspace-list": Public(
        "GET lists the caller's own workspaces; POST creates one, for the platform owner (a "
        "superuser) only, everyone else gets 403",
        _statuses(401, 403),
        _statuses(200, 403),
    ),
    "account-settings": Public(
        "the caller's own settings (their default workspace): signed-in users of any role",
        _statuses(302),
        _statuses(200),
    ),
    "account-tokens": Public(
        "lists the caller's own API tokens: signed-in users of any role", _statuses(302), _statuses(200)
    ),
    "account-token-revoke": Public(
        "revokes one of the caller's own API tokens; anyone else's answers 404",
        _statuses(302),
        _statuses(302, 404),
    ),
    "invitation-accept": Public(
        "an invitation link; the random key in the URL is the credential, and it works once",
        _statuses(404),
    ),
    "platform-workspaces": Public(
        "the platform owner's list of workspaces (superusers only; everyone else gets 403)",
        _statuses(302),
        _statuses(403),
    ),
    "platform-health": Public(
        "the platform owner's view of the database, Redis, workers and read replica (superusers only; "
        "everyone else gets 403)",
        _statuses(302),
        _statuses(403),
    ),
    "set_language": Public("stores the caller's language choice in a cookie", _statuses(200, 302)),
    "login": Public("the sign-in page", _statuses(200), _statuses(200, 302)),
    "logout": Public("signing out needs no permission", _statuses(200, 302)),
    "password_change": Public(
        "changes the caller's own password: signed-in users of any role", _statuses(302), _statuses(200)
    ),
    "password_change_done": Public(
        "confirms the caller's own password change", _statuses(302), _statuses(200)
    ),
    "account-time-zone": Public(
        "sets the caller's own time zone: signed-in users of any role", _statuses(302), _statuses(302)
    ),
    "workspace-switch": Public(
        "switches among the caller's own memberships; another workspace's id answers 404",
        _statuses(302),
        _statuses(302, 404),
    ),
    "webhook-inbound": Public(
        "sources post signed JSON; the HMAC signature, not a session, is the credential",
        _statuses(401),
    ),
    "two-factor-verify": Public(
        "the second sign-in step, for the user who just gave a password; others go back to sign-in",
        _statuses(302),
    ),
    "two-factor-setup": Public(
        "enrols the caller's own authenticator: signed-in users of any role", _statuses(302), _statuses(200)
    ),
    "two-factor-disable": Public(
        "turns off the caller's own second factor, with a current code", _statuses(302)
    ),
    "ads:meta-webhook": Public(
        "Meta's webhook: GET is the subscription handshake (needs the verify token), POST needs "
        "the X-Hub-Signature-256 of the app secret",
        _statuses(401, 403),
    ),
    "meta-webhook": Public(
        "Meta's app-level webhook for Pages, Instagram and WhatsApp: GET is the subscription "
        "handshake (needs CXM_META_VERIFY_TOKEN), POST needs the X-Hub-Signature-256 of CXM_META_APP_SECRET",
        _statuses(401, 403),
    ),
    "telegram-webhook": Public(
        "Telegram delivers a bot's updates; the secret token set with the webhook, sent in "
        "X-Telegram-Bot-Api-Secret-Token, not a session, is the credential",
        _statuses(401),
    ),
    "care:csat": Public(
        "the customer's satisfaction survey; the signed token in the URL is the credential",
        _statuses(200),
    ),
    "webchat:config": Public(
        "the website chat's words for a visitor; answers only pages of the origins the chat allows "
        "(a call naming no page is refused)",
        _statuses(403),
    ),
    "webchat:visitors": Public(
        "a visitor starts a conversation from a page of an allowed origin; rate-limited per address",
        _statuses(403),
    ),
    "webchat:messages": Public(
        "a visitor's own conversation: pages of an allowed origin only, and the visitor's secret token "
        "is the credential",
        _statuses(403),
    ),
    "webchat:unknown": Public("any other address under /webchat/ answers a JSON 404", _statuses(404)),
    "webchat-demo-site": Public(
        "a demo shop page embedding the Demo workspace's website chat, with CXM_DEMO on; holds no data",
        _statuses(200, 404),
    ),
}


@dataclass(frozen=True)
class Route:
    key: str  # namespace:name, or the pattern for unnamed routes
    pattern: str
    callback: Callable
    kind: str  # "api", "page", "django-admin"
    url_arguments: tuple[str, ...]

    def __str__(self) -> str:
        return self.key


def _walk(resolver=None, prefix="", namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        pattern = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}{entry.namespace}:"
            yield from _walk(entry, pattern, inner)
        elif isinstance(entry, URLPattern):
            yield pattern, entry, namespace


def _routes() -> list[Route]:
    routes = []
    for pattern, entry, namespace in _walk():
        if "(?P<format>" in pattern:  # DRF's `.json` twin of a route already walked
            continue
        if pattern.startswith("django-admin/"):
            kind = "django-admin"
        elif pattern.startswith("api/v1/"):
            kind = "api"
        else:
            kind = "page"
        key = f"{namespace}{entry.name}" if entry.name else pattern
        arguments = tuple(sorted(entry.pattern.regex.groupindex))
        routes.append(Route(key, pattern, entry.callback, kind, arguments))
    return routes


ROUTES = _routes()


def _declared_methods(callback) -> list[str] | None:
    """The methods `require_http_methods` (and `require_POST`/`require_GET`) allow, if decorated."""
    func = callback
    while func is not None:
        for cell in func.__closure__ or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if (
                isinstance(value, list | tuple)
                and value
                and all(isinstance(m, str) and m.isupper() for m in value)
            ):
                return [m.lower() for m in value if m not in ("HEAD", "OPTIONS")]
        func = getattr(func, "__wrapped__", None)
    return None


def methods_of(route: Route) -> list[str]:
    callback = route.callback
    actions = getattr(callback, "actions", None)
    if actions:  # a DRF viewset route: the router bound these (DRF adds HEAD to GET at the first call)
        return sorted(m for m in actions if m not in ("options", "head"))
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is not None:
        return sorted(
            m for m in view_class.http_method_names if m not in ("options", "head") and hasattr(view_class, m)
        )
    declared = _declared_methods(callback)
    if declared is not None:
        return sorted(declared)
    # An undecorated function view answers every method; GET and POST are the two a page sends.
    return ["get", "post"]


def required_permission(route: Route, method: str) -> str | bool | None:
    """The permission the route needs for `method`; None: any member; False: not declared."""
    if (route.key, method) in CHECKED_INSIDE:
        return CHECKED_INSIDE[route.key, method]
    callback = route.callback
    if route.kind == "api":
        view_class = getattr(callback, "cls", None)
        if view_class is None or IsWorkspaceMember not in view_class.permission_classes:
            return False
        view = view_class()
        view.action = (getattr(callback, "actions", None) or {}).get(method)

        class _Request:
            pass

        request = _Request()
        request.method = method.upper()
        return IsWorkspaceMember.required(request, view)
    if method != "get" and getattr(callback, "write_permission", None):
        return callback.write_permission
    return getattr(callback, "required_permission", False)


def holds_tenant_ids(route: Route) -> bool:
    """Routes whose URL names one of workspace A's objects: another workspace must get 404."""
    if route.kind == "api":
        return (
            "pk" in route.url_arguments and _sample_key(route.key.rsplit(":", 1)[-1]) not in NOT_TENANT_DATA
        )
    return any(a == "pk" or a.endswith("_id") for a in route.url_arguments)


def test_every_route_has_a_sample():
    """A new route (or a new URL argument) must say how to call it before it ships."""
    missing = []
    for route in ROUTES:
        if route.kind == "django-admin":
            continue
        if route.kind == "api":
            key = _sample_key(route.key)
            if key not in SAMPLES and key not in NOT_TENANT_DATA:
                missing.append(f"{route.pattern} ({route.key}): add it to SAMPLES in test_tenancy_routes.py")
            elif set(route.url_arguments) - {"pk"}:
                missing.append(f"{route.pattern} ({route.key}): URL arguments other than pk need a sample")
            continue
        if route.url_arguments and route.key not in PAGE_SAMPLES:
            missing.append(f"{route.pattern} ({route.key}): add its URL arguments to PAGE_SAMPLES")
    assert not missing, "Routes without a sample:\n" + "\n".join(missing)


def test_every_route_declares_who_may_call_it():
    """A route is either public (with a reason) or requires a permission from the role table."""
    undeclared = []
    for route in ROUTES:
        if route.kind == "django-admin" or route.key in PUBLIC:
            continue
        for method in methods_of(route):
            permission = required_permission(route, method)
            if permission is False:
                undeclared.append(f"{route.pattern} ({route.key}) {method.upper()}")
            elif permission is not None and permission not in PERMISSIONS:
                undeclared.append(f"{route.pattern} ({route.key}) {method.upper()}: unknown {permission!r}")
    assert not undeclared, "Routes that neither require a permission nor are declared public:\n" + "\n".join(
        undeclared
    )


def test_checked_inside_holds_only_what_no_decorator_says():
    """An entry whose decorator already names the permission (or whose route is gone) is stale."""
    by_key = {route.key: route for route in ROUTES}
    stale = []
    for (key, method), permission in CHECKED_INSIDE.items():
        route = by_key.get(key)
        if route is None or method not in methods_of(route):
            stale.append(f"{key} {method.upper()}: no such route and method")
            continue
        declared = getattr(route.callback, "required_permission", None)
        if method != "get" and getattr(route.callback, "write_permission", None):
            declared = route.callback.write_permission
        if declared == permission:
            stale.append(f"{key} {method.upper()}: its decorator already names {permission!r}")
    assert not stale, "CHECKED_INSIDE entries to remove:\n" + "\n".join(stale)


@pytest.fixture(scope="module")
def callers(django_db_setup, django_db_blocker):
    """Workspace A with a member of each role, and an admin of workspace B; rolled back at the end."""
    graph = GraphStub(token="x").start()  # the ads samples' token
    # the comment of the ads samples (`_ad_comment`), so hiding it reaches a platform that knows it
    graph._store(
        "comment",
        {"id": "900_902", "post_id": "900_901", "message": "x", "from": {"id": "9"}, "is_hidden": False},
    )
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            workspace_a = WorkspaceFactory(name=f"{MARKER} Workspace", slug="globexsecret-workspace")
            workspace_b = WorkspaceFactory(name="Initech")
            members = {role: MembershipFactory(workspace=workspace_a, role=role) for role in ROLES}
            intruder = MembershipFactory(workspace=workspace_b, role=Role.ADMIN)
            clients = {"anonymous": Client()}
            for role, membership in members.items():
                clients[role] = Client()
                clients[role].force_login(membership.user)
            clients["intruder"] = Client()
            clients["intruder"].force_login(intruder.user)
            yield {
                "workspace_a": workspace_a,
                "workspace_b": workspace_b,
                "members": members,
                "clients": clients,
                "graph": graph,
            }
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            graph.stop()


def _call(client: Client, route: Route, method: str, url: str, body: dict | None = None):
    """One request in its own savepoint, so a DELETE by one caller leaves the sample for the next."""
    cookies = client.cookies
    client.cookies = cookies.__class__(cookies)  # signing out must not sign the caller out of later calls
    data = body or {}
    with transaction.atomic():
        if method == "get":
            response = client.get(url)
        elif route.kind == "api":
            response = getattr(client, method)(url, data=data, content_type="application/json")
        else:
            response = getattr(client, method)(url, data=data)
        transaction.set_rollback(True)
    client.cookies = cookies
    return response


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _is_login_redirect(response, login_url: str) -> bool:
    return response.status_code == 302 and response["Location"].split("?")[0] == login_url


# Pages without URL arguments (lists, dashboards) get these of workspace A's objects to show,
# so a list that forgets its workspace filter shows them to the other workspace.
PAGE_SEEDS: dict[str, tuple[str, ...]] = {
    "listening": ("mention", "topic"),
    "publishing": ("post", "pause"),
    "care": ("case", "customer", "queue"),
    "ads": ("ad_comment",),
    "transformation": ("assessment_round", "value_driver", "raci"),
    "channels": ("account",),
    "": ("membership", "invitation", "audit_export"),
}


def _url(route: Route, world: World) -> str:
    """The route's URL for workspace A's sample; the sample (or seeds for a list) exists after it."""
    if route.url_arguments and route.kind == "page" and route.key not in PAGE_SAMPLES:
        pytest.fail(f"{route.pattern} has no sample in PAGE_SAMPLES")
    if route.kind == "api":
        key = _sample_key(route.key)
        if key not in SAMPLES and key not in NOT_TENANT_DATA:
            pytest.fail(f"{route.pattern} has no sample in SAMPLES (test_tenancy_routes.py)")
        kwargs = {}
        if key in SAMPLES:
            sample = world.api(key)
            if "pk" in route.url_arguments:
                kwargs["pk"] = sample.pk
        return reverse(route.key, kwargs=kwargs)
    if route.key in PAGE_SAMPLES:
        return reverse(route.key, kwargs=PAGE_SAMPLES[route.key](world))
    namespace = route.key.rpartition(":")[0]
    for attribute in PAGE_SEEDS.get(namespace, ()):
        getattr(world, attribute)
    return reverse(route.key)


def _walked(kind):
    return [route for route in ROUTES if route.kind == kind]


@pytest.mark.django_db
@pytest.mark.parametrize("route", _walked("api") + _walked("page"), ids=str)
@override_settings(CXM_WEBHOOK_ALLOW_PRIVATE=True)  # the Graph stub below listens on 127.0.0.1
def test_route_answers_each_caller_as_the_role_table_says(callers, route):
    clients = callers["clients"]
    world = World(callers["workspace_a"], callers["members"][Role.ADMIN])
    url = _url(route, world)
    # ad accounts talk to the local Graph stub, never to the internet
    ChannelAccount.objects.filter(workspace=world.workspace, platform="meta_ads").update(
        base_url=callers["graph"].base_url
    )
    login_url = resolve_url(settings.LOGIN_URL)
    secrets = (MARKER, callers["workspace_a"].name, callers["workspace_a"].slug)
    public = PUBLIC.get(route.key)
    wrong = []

    for method in methods_of(route):
        label = f"{method.upper()} {url}"
        permission = None if public else required_permission(route, method)
        body = BODIES[route.key](world) if route.key in BODIES and method != "get" else None

        response = _call(clients["anonymous"], route, method, url, body)
        if public:
            ok = response.status_code in public.anonymous
        elif route.kind == "api":
            ok = response.status_code in (401, 403)
        else:
            ok = _is_login_redirect(response, login_url)
        if not ok:
            wrong.append(f"{label} anonymous: {response.status_code}")

        response = _call(clients["intruder"], route, method, url, body)
        text = _body(response)
        if public:
            if response.status_code not in (public.member or public.anonymous):
                wrong.append(f"{label} other workspace: {response.status_code}")
        elif response.status_code >= 500:
            wrong.append(f"{label} other workspace: {response.status_code}")
        elif holds_tenant_ids(route) and response.status_code != 404:
            wrong.append(f"{label} other workspace with A's ids: {response.status_code}, not 404")
        if not public and any(secret in text for secret in secrets):
            wrong.append(f"{label} other workspace: the body shows workspace A's data")

        # the role table does not apply to public routes: one member stands for all five
        for role in (Role.ADMIN,) if public else ROLES:
            response = _call(clients[role], route, method, url, body)
            status = response.status_code
            if public:
                allowed = public.member or public.anonymous
                if status not in allowed:
                    wrong.append(f"{label} {role}: {status}, expected one of {sorted(allowed)}")
                continue
            holds = permission is None or role in PERMISSIONS[permission]
            if holds and route.key in ALSO_404_IN_WORKSPACE:
                if status != 404:
                    wrong.append(f"{label} {role}: {status}, not 404 ({ALSO_404_IN_WORKSPACE[route.key]})")
            elif holds:
                if status in REFUSED or status >= 500:
                    wrong.append(f"{label} {role} (holds {permission}): {status}")
            elif status != 403:
                wrong.append(f"{label} {role} (lacks {permission}): {status}, not 403")

    assert not wrong, f"{route.pattern}:\n" + "\n".join(wrong)


@pytest.mark.django_db
@pytest.mark.parametrize("route", _walked("django-admin"), ids=str)
def test_django_admin_is_for_staff_only(callers, route):
    """Workspace roles are not staff: the Django admin sends everyone but staff to its login page."""
    admin_login = reverse("admin:login")
    kwargs = dict.fromkeys(route.url_arguments, "1")
    kwargs.update({k: v for k, v in {"app_label": "auth", "url": "nowhere/"}.items() if k in kwargs})
    if route.key.startswith("admin:"):
        url = reverse(route.key, kwargs=kwargs)
    else:  # unnamed patterns: fill the regex groups by hand
        url = "/" + re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: kwargs[m.group(1)], route.pattern)
        url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: kwargs[m.group(1)], url).replace("^", "").replace("$", "")
    clients = callers["clients"]
    wrong = []
    for caller in ("anonymous", "intruder", *ROLES):
        response = _call(clients[caller], route, "get", url)
        status = response.status_code
        if route.pattern in ("django-admin/login/", "django-admin/logout/", "django-admin/jsi18n/"):
            ok = status < 500 and MARKER not in _body(response)
        elif route.pattern in (
            "django-admin/password_change/",
            "django-admin/password_change/done/",
            "django-admin/",
        ):
            ok = status == 302 and response["Location"].startswith(admin_login)
        else:
            ok = status in (302, 404) and (status == 404 or response["Location"].startswith(admin_login))
        if not ok:
            wrong.append(f"GET {url} {caller}: {status}")
    assert not wrong, "\n".join(wrong)


# --- the permission table in docs/security.md ------------------------------------------------------

SECURITY_DOC = Path(settings.BASE_DIR) / "docs" / "security.md"
TABLE_START = "<!-- permission-table:start (generated from PERMISSIONS and the URLconf) -->"
TABLE_END = "<!-- permission-table:end -->"


def _readable(pattern: str) -> str:
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", pattern).replace("^", "").replace("$", "")
    return "/" + re.sub(r"<\w+:(\w+)>", r"<\1>", path)


def permission_table() -> str:
    """The role table and, per permission, the routes that require it, as Markdown."""
    lines = ["| Permission | " + " | ".join(ROLES) + " |", "|---|" + "---|" * len(ROLES)]
    for permission, roles in PERMISSIONS.items():
        marks = " | ".join("yes" if role in roles else "" for role in ROLES)
        lines.append(f"| `{permission}` | {marks} |")
    routes: dict[str, list[str]] = {permission: [] for permission in PERMISSIONS}
    any_member = []
    for route in ROUTES:
        if route.kind == "django-admin" or route.key in PUBLIC:
            continue
        for method in methods_of(route):
            needed = required_permission(route, method)
            entry = f"`{method.upper()} {_readable(route.pattern)}`"
            (routes[needed] if needed else any_member).append(entry)
    if any_member:
        routes["any member"] = any_member
    lines += ["", "Routes that require each permission:", ""]
    for permission, entries in routes.items():
        lines.append(f"- `{permission}`" + ("" if entries else ": no route yet"))
        lines += [f"  - {entry}" for entry in entries]
    lines.append("")
    lines.append("Routes open without a workspace role, and why:")
    lines.append("")
    for key, public in PUBLIC.items():
        pattern = next((r.pattern for r in ROUTES if r.key == key), key)
        lines.append(f"- `{_readable(pattern)}`: {public.reason}")
    lines.append("- `/django-admin/`: staff only (platform operators); workspace roles are not staff")
    return "\n".join(lines)


def test_security_doc_shows_the_current_permission_table():
    text = SECURITY_DOC.read_text()
    assert TABLE_START in text and TABLE_END in text, f"{SECURITY_DOC} lost its permission table markers"
    current = text.split(TABLE_START, 1)[1].split(TABLE_END, 1)[0].strip()
    expected = permission_table()
    assert current == expected, (
        "docs/security.md's permission table differs from PERMISSIONS and the routes; "
        f"replace the text between the markers with:\n\n{expected}"
    )
