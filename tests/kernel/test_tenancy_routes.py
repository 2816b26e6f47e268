"""Walk every API route: a member of workspace A can neither read nor change workspace B's objects.

Each route under /api/v1/ must name how to make a sample object of workspace B (or why it holds
no workspace data); a new route without one fails `test_every_api_route_has_a_sample`.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cxm.audit.services import audit_record
from cxm.channels.models import ChannelAccount
from cxm.tenancy.models import Role
from tests.factories import BrandFactory, BusinessUnitFactory, MembershipFactory

MARKER = "GlobexSecret"


def _business_unit(workspace):
    return BusinessUnitFactory(workspace=workspace, name=f"{MARKER} unit")


def _brand(workspace):
    return BrandFactory(workspace=workspace, name=f"{MARKER} brand")


def _member(workspace):
    return MembershipFactory(workspace=workspace, user__username=f"{MARKER.lower()}-user", role=Role.AGENT)


def _invitation(workspace):
    from datetime import timedelta

    from django.utils import timezone

    from cxm.tenancy.models import Invitation

    return Invitation.objects.create(
        workspace=workspace,
        email=f"{MARKER.lower()}@example.com",
        name=f"{MARKER} invitee",
        role=Role.AGENT,
        key_hash=f"{MARKER}-{workspace.pk}",
        expires_at=timezone.now() + timedelta(days=7),
    )


def _api_token(workspace):
    """A token of one of the workspace's members: nobody else lists or revokes it."""
    from cxm.api.models import ApiToken
    from cxm.api.services import api_token_issue

    api_token_issue(user=MembershipFactory(workspace=workspace, role=Role.AGENT).user)
    return ApiToken.objects.order_by("-id").first()


def _audit(workspace):
    return audit_record(workspace=workspace, actor=None, action="test.sample", object_repr=f"{MARKER} entry")


def _account(workspace):
    return ChannelAccount.objects.create(
        workspace=workspace, platform="demo", handle=f"{MARKER}-stream", display_name=f"{MARKER} stream"
    )


def _mention(workspace):
    from listening.models import Mention
    from listening.services import mentions_ingest_payload

    mentions_ingest_payload(
        workspace_id=workspace.pk,
        items=[
            {
                "platform": "mastodon",
                "external_id": f"{MARKER}-1",
                "text": f"{MARKER} launch leaked",
                "created_at": "2026-11-20T10:00:00Z",
                "author": {"handle": f"@{MARKER}@example.social"},
            }
        ],
    )
    return Mention.objects.get(workspace_id=workspace.pk, external_id=f"{MARKER}-1")


def _topic(workspace):
    from listening.models import Topic

    return Topic.objects.create(workspace=workspace, name=f"{MARKER} topic", query=MARKER.lower())


def _saved_search(workspace):
    from listening.models import SavedSearch

    user = MembershipFactory(workspace=workspace).user
    return SavedSearch.objects.create(
        workspace=workspace, user=user, name=f"{MARKER} search", params={"q": "x"}
    )


def _alert(workspace):
    from listening.models import Alert

    return Alert.objects.create(
        workspace=workspace, topic=_topic(workspace), kind="volume", day="2026-11-20", observed=50, baseline=5
    )


def _post(workspace):
    from publishing.services import post_create

    return post_create(workspace=workspace, text=f"{MARKER} launch post", accounts=[_account(workspace)])


def _pause(workspace):
    from publishing.services import pause_activate

    return pause_activate(workspace=workspace, reason=f"{MARKER} crisis")


def _case(workspace):
    from care.services import case_open_from_mention

    return case_open_from_mention(
        workspace=workspace,
        mention={
            "platform": "mastodon",
            "external_id": f"{MARKER}-case",
            "text": f"{MARKER} where is my order?",
            "author": {"id": f"{MARKER}-author", "handle": f"@{MARKER}@example.social", "name": MARKER},
        },
    )


def _customer(workspace):
    from cxm.customers.models import CustomerProfile, Identity

    profile = CustomerProfile.objects.create(workspace=workspace, display_name=f"{MARKER} customer")
    Identity.objects.create(
        workspace=workspace,
        profile=profile,
        platform="mastodon",
        platform_id=f"{MARKER}-1",
        handle=f"@{MARKER}",
    )
    return profile


def _ad_account(workspace):
    return ChannelAccount.objects.create(
        workspace=workspace,
        platform="meta_ads",
        handle="act_900900",
        display_name=f"{MARKER} ads",
        credentials={"access_token": "x"},
    )


def _ad_campaign(workspace):
    from ads.services import campaign_create

    return campaign_create(
        workspace=workspace,
        account=_ad_account(workspace),
        name=f"{MARKER} campaign",
        currency="USD",
        daily_budget=100,
    )


def _ad_set(workspace):
    from ads.services import ad_set_create

    return ad_set_create(campaign=_ad_campaign(workspace), name=f"{MARKER} ad set", countries=["ID"])


def _ad(workspace):
    from ads.services import ad_create

    creative = {"primary_text": f"{MARKER} offer", "link": "https://example.com/"}
    return ad_create(ad_set=_ad_set(workspace), name=f"{MARKER} ad", creative=creative)


def _ad_insight(workspace):
    from ads.models import AdInsight

    ad = _ad(workspace)
    return AdInsight.objects.create(
        workspace=workspace,
        ad=ad,
        campaign_id=ad.campaign_id,
        ad_set_id=ad.ad_set_id,
        date="2026-11-20",
        currency="USD",
    )


def _ad_stop(workspace):
    from ads.models import CampaignStop

    return CampaignStop.objects.create(
        workspace=workspace,
        pause=_pause(workspace),
        campaign=_ad_campaign(workspace),
        next_attempt_at="2026-11-20T10:00Z",
    )


def _ad_template(workspace):
    from ads.models import CreativeTemplate

    return CreativeTemplate.objects.create(
        workspace=workspace, name=f"{MARKER} template", primary_text=f"{MARKER} {{{{product}}}}"
    )


def _ad_feed(workspace):
    from ads.models import Feed

    return Feed.objects.create(workspace=workspace, name=f"{MARKER} feed", columns=["id"], row_count=0)


def _ad_variant(workspace):
    from ads.models import Variant

    return Variant.objects.create(
        workspace=workspace,
        template=_ad_template(workspace),
        key="v_secret",
        content_hash="x",
        format="feed_square",
        fields={"primary_text": f"{MARKER} text"},
    )


def _ad_proposal(workspace):
    from ads.models import OptimizerProposal

    ad_set = _ad_set(workspace)
    return OptimizerProposal.objects.create(
        workspace=workspace,
        campaign=ad_set.campaign,
        total=1000,
        moves=[{"ad_set": ad_set.pk, "name": f"{MARKER} set", "current": 500, "proposed": 500}],
    )


def _ad_comment(workspace):
    from ads.comment_mentions import AdComment, ad_comment_mention
    from ads.models import Ad
    from listening.models import Mention
    from listening.services import mentions_ingest

    ad = _ad(workspace)
    Ad.objects.filter(pk=ad.pk).update(effective_object_story_id="900_901")
    ad = Ad.objects.select_related("campaign").get(pk=ad.pk)
    row = {"id": "900_902", "message": f"{MARKER} comment", "from": {"id": "9", "name": f"{MARKER} fan"}}
    mention = ad_comment_mention(ad, AdComment.from_graph(row), page_after=None, via="pull")
    mentions_ingest(workspace_id=workspace.pk, raws=[mention])
    return Mention.objects.get(workspace_id=workspace.pk, external_id="900_902")


def _ad_comment_alert(workspace):
    from ads.models import AdCommentAlert

    ad = _ad(workspace)
    return AdCommentAlert.objects.create(
        workspace=workspace, ad=ad, campaign_id=ad.campaign_id, day="2026-11-20", negative=9, baseline=1
    )


def _assessment_round(workspace):
    from transformation.assessment import response_submit, round_create
    from transformation.capabilities import CAPABILITY_KEYS

    user = MembershipFactory(workspace=workspace).user
    assessment_round = round_create(workspace=workspace, name=f"{MARKER} round", by=user)
    response_submit(
        assessment_round=assessment_round,
        user=user,
        scores=dict.fromkeys(CAPABILITY_KEYS, 5),
        workspace_role="admin",
    )
    return assessment_round


def _privacy_request(workspace):
    from cxm.privacy.models import PrivacyRequest
    from cxm.privacy.selectors import exports_root
    from cxm.privacy.services import request_create

    privacy_request = request_create(
        workspace=workspace, kind="export", identity=f"{MARKER}@example.com", enqueue=False
    )
    # a finished export, so its download has a file to answer with
    name = f"route-sample-{privacy_request.pk}.zip"
    exports_root().mkdir(parents=True, exist_ok=True)
    (exports_root() / name).write_text(f"{MARKER} export")
    PrivacyRequest.objects.filter(pk=privacy_request.pk).update(
        status=PrivacyRequest.Status.DONE, export_file=name
    )
    privacy_request.refresh_from_db()
    return privacy_request


def _value_driver(workspace):
    from transformation.models import ValueDriver

    return ValueDriver.objects.create(
        workspace=workspace, category="cost", name=f"{MARKER} driver", kpi="enjoy_resolution_time", target=8
    )


# route name -> factory of a workspace-B object for that route
SAMPLES = {
    "privacy-request": _privacy_request,
    "transformation-value-driver": _value_driver,
    "post": _post,
    "publishing-pause": _pause,
    "publishing-resume": _pause,
    "mention": _mention,
    "topic": _topic,
    "saved-search": _saved_search,
    "alert": _alert,
    "listening-dashboard": _mention,
    "account": _account,
    "case": _case,
    "customer": _customer,
    "business-unit": _business_unit,
    "brand": _brand,
    "member": _member,
    "invitation": _invitation,
    "api-token-detail": _api_token,
    "audit-entry": _audit,
    "ads-account": _ad_account,
    "ads-campaign": _ad_campaign,
    "ads-adset": _ad_set,
    "ads-ad": _ad,
    "ads-insight": _ad_insight,
    "ads-stop": _ad_stop,
    "ads-template": _ad_template,
    "ads-feed": _ad_feed,
    "ads-variant": _ad_variant,
    "ads-proposal": _ad_proposal,
    # before "ads-comment": routes match the first key they start with
    "ads-comment-alert": _ad_comment_alert,
    "ads-comment": _ad_comment,
    "workspace": lambda workspace: workspace,
    "transformation-assessment": _assessment_round,
    # the capabilities hold workspace B's assessed levels (all 5) and its measurements
    "transformation-capabilities": _assessment_round,
}
# routes whose list is not called `<key>-list`
LIST_NAMES = {"publishing-pause": "publishing-pause", "publishing-resume": "publishing-pause"}
LIST_NAMES["transformation-capabilities"] = "transformation-capabilities"
LIST_NAMES["api-token-detail"] = "api-tokens"
# routes that hold no workspace data, with the reason
NOT_TENANT_DATA = {
    "api-token": "exchanges credentials for a token",
    "api-me": "describes the caller only",
    "api-tokens": "lists the caller's own tokens only",
    "transformation-roi": "computes from the request body only, saves and reads nothing",
}


def _api_routes(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _api_routes(entry, route)
        elif isinstance(entry, URLPattern) and route.startswith("api/v1/") and entry.name:
            yield route, entry


def _sample_key(name: str) -> str:
    """DRF names a viewset's routes `<basename>-list`, `<basename>-detail`, `<basename>-<action>`."""
    if name in NOT_TENANT_DATA or name in SAMPLES:
        return name
    for key in SAMPLES:
        if name.startswith(key + "-"):
            return key
    return name


def test_every_api_route_has_a_sample():
    missing = []
    for route, entry in _api_routes():
        key = _sample_key(entry.name)
        if key not in SAMPLES and key not in NOT_TENANT_DATA:
            missing.append(f"{route} ({entry.name})")
    assert not missing, f"API routes without a tenancy sample: {missing}"


def _object_routes():
    """Every API route that names one object, with the methods it answers."""
    for route, entry in _api_routes():
        if "<pk>" in route or "(?P<pk>" in route:
            yield entry.name, sorted(getattr(entry.callback, "actions", {}) or {"get": None})


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "methods"), list(_object_routes()), ids=lambda v: str(v))
def test_other_workspace_objects_answer_404_on_every_method(
    api, workspace_a, workspace_b, member, name, methods
):
    intruder = api(member(workspace_a, Role.ADMIN))
    sample = SAMPLES[_sample_key(name)](workspace_b)
    url = reverse(name, kwargs={"pk": sample.pk})
    before = type(sample).objects.filter(pk=sample.pk).values().first()

    for method in methods:
        # A GET's data would be query parameters, which a list refuses by name (400) for anyone.
        body = None if method == "get" else {"name": "taken over", "role": "admin"}
        response = getattr(intruder, method)(url, body, format="json")
        assert response.status_code == 404, (method, url, response.status_code)
        assert MARKER not in response.content.decode()
        assert str(workspace_b.pk) not in response.json().get("detail", "")

    assert type(sample).objects.filter(pk=sample.pk).values().first() == before


@pytest.mark.django_db
@pytest.mark.parametrize("key", sorted(SAMPLES))
def test_other_workspace_objects_never_appear_in_lists(api, workspace_a, workspace_b, member, key):
    reader = api(member(workspace_a, Role.ADMIN))
    SAMPLES[key](workspace_b)
    response = reader.get(reverse(LIST_NAMES.get(key, f"{key}-list")))
    assert response.status_code == 200
    assert MARKER not in response.content.decode()


@pytest.mark.django_db
def test_asking_for_a_workspace_one_does_not_belong_to_answers_404(api, workspace_a, workspace_b, member):
    client = api(member(workspace_a, Role.ADMIN))
    response = client.get("/api/v1/brands/", HTTP_X_WORKSPACE=str(workspace_b.pk))
    assert response.status_code == 404


@pytest.mark.django_db
def test_cannot_attach_a_brand_to_another_workspaces_business_unit(api, workspace_a, workspace_b, member):
    foreign_unit = BusinessUnitFactory(workspace=workspace_b)
    response = api(member(workspace_a, Role.ADMIN)).post(
        "/api/v1/brands/", {"name": "Sneaky", "business_unit": foreign_unit.pk}, format="json"
    )
    assert response.status_code == 400
    assert "business_unit" in response.json()["fields"]


@pytest.mark.django_db
def test_switching_workspace_scopes_the_data(api, workspace_a, workspace_b, member):
    membership = member(workspace_a, Role.ADMIN)
    member(workspace_b, Role.ANALYST, user=membership.user)
    BrandFactory(workspace=workspace_a, name="Only in A")
    BrandFactory(workspace=workspace_b, name="Only in B")
    client = api(membership)
    in_a = [b["name"] for b in client.get("/api/v1/brands/").json()["results"]]
    in_b = [
        b["name"]
        for b in client.get("/api/v1/brands/", HTTP_X_WORKSPACE=str(workspace_b.pk)).json()["results"]
    ]
    assert in_a == ["Only in A"]
    assert in_b == ["Only in B"]
    # and the role follows the workspace: an analyst in B cannot create there
    created = client.post(
        "/api/v1/brands/", {"name": "x"}, format="json", HTTP_X_WORKSPACE=str(workspace_b.pk)
    )
    assert created.status_code == 403


@pytest.mark.django_db
def test_web_pages_hide_other_workspace_objects(client, workspace_a, workspace_b, member):
    client.force_login(member(workspace_a, Role.ADMIN).user)
    foreign = _member(workspace_b)
    assert client.post(f"/admin/members/{foreign.pk}/", {"role": "admin"}).status_code == 404
    assert client.post(f"/admin/members/{foreign.pk}/remove/").status_code == 404
    foreign.refresh_from_db()
    assert foreign.role == Role.AGENT
    BrandFactory(workspace=workspace_b, name=f"{MARKER} brand")
    assert MARKER not in client.get("/admin/structure/").content.decode()
    assert MARKER not in client.get("/").content.decode()


@pytest.mark.django_db
def test_a_test_with_one_workspace_still_has_a_second_beside_it(workspace_a):
    from cxm.tenancy.models import Workspace

    assert Workspace.objects.exclude(pk=workspace_a.pk).exists()
