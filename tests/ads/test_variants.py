"""Creative variants stored: a feed with bad rows, generation blocking a compliance breach, a
waiver by an approver, bulk edits, and the launch gate (blocked variants, approval)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from ads.models import Ad, AdSet, ApprovalState, ComplianceWaiver, Variant, VariantStatus
from ads.services import (
    campaign_approve,
    campaign_launch,
    campaign_push,
    campaign_submit,
    feed_upload_csv,
    template_save,
    variant_waive,
    variants_exclude,
    variants_find_replace,
    variants_generate,
)
from cxm.audit.models import AuditEntry
from cxm.tenancy.models import Role

pytestmark = pytest.mark.django_db

FEED = (
    "id,product,price,currency\n"
    "1,Lager,4.99,USD\n"
    "2,Healthy Lager,5.99,USD\n"
    "3,Stout,not-a-price,USD\n"
    ",Nameless,3.00,USD\n"
    "4,Pilsner,4.50,USD\n"
)


@pytest.fixture
def feed(workspace_a):
    return feed_upload_csv(workspace=workspace_a, name="Beers", content=FEED)


@pytest.fixture
def template(workspace_a):
    return template_save(
        workspace=workspace_a,
        name="Beer promo",
        primary_text="Sponsored. {{product}} for {{price}}. Please drink responsibly.",
        headline="{{product}} in {{city}}",
        link="https://shop.example.com/{{id}}",
        image="https://img.example.com/{{id}}.jpg",
        call_to_action="SHOP_NOW",
        image_width=1080,
        image_height=1080,
        country="US",
        categories=["alcohol"],
        formats=["feed_square"],
    )


def _generate(template, feed, campaign=None):
    return variants_generate(
        template=template,
        feed=feed,
        segments=[{"name": "nyc", "values": {"city": "New York"}}],
        languages=["en"],
        campaign=campaign,
    )


def test_feed_upload_keeps_good_rows_and_names_each_bad_one(feed):
    assert feed.row_count == 3
    assert [row["id"] for row in feed.rows] == ["1", "2", "4"]
    assert feed.rows[0]["values"]["price"] == "$4.99"
    assert {(e["index"], e["field"]) for e in feed.errors} == {(3, "price"), (4, "id")}


def test_feed_upload_refuses_a_file_without_the_id_column(workspace_a):
    with pytest.raises(ValidationError) as error:
        feed_upload_csv(workspace=workspace_a, name="Bad", content="product,price\nLager,4.99\n")
    assert "id" in str(error.value)


def test_template_with_an_unknown_country_is_refused(workspace_a):
    with pytest.raises(ValidationError) as error:
        template_save(workspace=workspace_a, name="x", primary_text="hi", country="ZZ")
    assert "country" in error.value.message_dict


def test_generation_stores_variants_and_blocks_a_compliance_breach_naming_the_rule(template, feed):
    result = _generate(template, feed)
    assert result.variants == 3 and result.blocked == 1 and result.ready == 2
    blocked = Variant.objects.get(status=VariantStatus.BLOCKED)
    assert blocked.row_id == "2"
    breach = [v for v in blocked.violations if v["blocks"]]
    assert {v["rule_id"] for v in breach} == {"US-TTB-ALC-02"}
    assert {v["text"] for v in breach} == {"Healthy"}
    assert {v["field"] for v in breach} >= {"primary_text"}


def test_regenerating_replaces_unlaunched_variants(template, feed):
    _generate(template, feed)
    _generate(template, feed)
    assert Variant.objects.count() == 3


def test_find_replace_over_a_selection_rechecks_and_unblocks(workspace_a, template, feed):
    _generate(template, feed)
    changed = variants_find_replace(
        workspace=workspace_a, selection=Variant.objects.all(), find="Healthy ", replace_with=""
    )
    assert changed == 1
    fixed = Variant.objects.get(row_id="2")
    assert fixed.status == VariantStatus.READY and fixed.edited
    assert "Healthy" not in fixed.fields["primary_text"]


def test_waiver_by_an_approver_unblocks_and_is_audited(workspace_a, member, template, feed):
    _generate(template, feed)
    blocked = Variant.objects.get(status=VariantStatus.BLOCKED)
    approver = member(workspace_a, Role.APPROVER)
    variant_waive(
        variant=blocked, rule_id="US-TTB-ALC-02", reason="Brand name, legal ok'd", membership=approver
    )
    blocked.refresh_from_db()
    assert blocked.status == VariantStatus.READY
    assert all(v["waived"] for v in blocked.violations if v["rule_id"] == "US-TTB-ALC-02")
    entry = AuditEntry.objects.get(action="ads.variant_waive")
    assert entry.actor == approver.user and entry.after["rule_id"] == "US-TTB-ALC-02"


def test_a_marketer_cannot_waive(workspace_a, member, template, feed):
    _generate(template, feed)
    blocked = Variant.objects.get(status=VariantStatus.BLOCKED)
    with pytest.raises(PermissionError):
        variant_waive(
            variant=blocked,
            rule_id="US-TTB-ALC-02",
            reason="please",
            membership=member(workspace_a, Role.MARKETER),
        )
    assert not ComplianceWaiver.objects.exists()
    blocked.refresh_from_db()
    assert blocked.status == VariantStatus.BLOCKED


def test_launch_is_refused_while_a_variant_is_blocked(template, feed, campaign, graph):
    _generate(template, feed, campaign)
    with pytest.raises(ValidationError) as error:
        campaign_launch(campaign=campaign)
    assert "US-TTB-ALC-02" in error.value.message_dict["variants"][0]
    assert not Ad.objects.exists() and not graph.created("campaign")


def test_launch_makes_one_ad_per_ready_variant_once_the_blocked_one_is_excluded(
    workspace_a, template, feed, campaign, graph
):
    _generate(template, feed, campaign)
    variants_exclude(workspace=workspace_a, selection=Variant.objects.filter(status=VariantStatus.BLOCKED))
    campaign_launch(campaign=campaign)
    assert Ad.objects.count() == 2
    assert set(Variant.objects.filter(excluded=False).values_list("status", flat=True)) == {
        VariantStatus.LAUNCHED
    }
    campaign_push(campaign_id=campaign.pk, workspace_id=campaign.workspace_id)
    assert len(graph.created("ad")) == 2
    ad = Ad.objects.first()
    assert ad.creative["link"].startswith("https://shop.example.com/")
    assert ad.ad_set == AdSet.objects.get(campaign=campaign)


def test_launch_requires_the_business_units_approval(workspace_a, member, unit, template, feed, campaign):
    from publishing.models import ApprovalRule

    ApprovalRule.objects.create(workspace=workspace_a, business_unit=unit, roles=[Role.APPROVER])
    assert campaign.business_unit == unit
    _generate(template, feed, campaign)
    variants_exclude(workspace=workspace_a, selection=Variant.objects.filter(status=VariantStatus.BLOCKED))
    with pytest.raises(ValidationError) as error:
        campaign_launch(campaign=campaign)
    assert "approval" in error.value.message_dict
    campaign_submit(campaign=campaign)
    with pytest.raises(PermissionError):
        campaign_approve(campaign=campaign, membership=member(workspace_a, Role.MARKETER))
    campaign = campaign_approve(campaign=campaign, membership=member(workspace_a, Role.APPROVER))
    assert campaign.approval_state == ApprovalState.APPROVED
    campaign_launch(campaign=campaign)
    assert Ad.objects.filter(campaign=campaign).count() == 2


def test_an_edit_after_approval_needs_approval_again(workspace_a, member, unit, template, feed, campaign):
    from publishing.models import ApprovalRule

    ApprovalRule.objects.create(workspace=workspace_a, business_unit=unit)
    _generate(template, feed, campaign)
    variants_exclude(workspace=workspace_a, selection=Variant.objects.filter(status=VariantStatus.BLOCKED))
    campaign_submit(campaign=campaign)
    campaign_approve(campaign=campaign, membership=member(workspace_a, Role.APPROVER))
    variants_find_replace(
        workspace=workspace_a, selection=Variant.objects.all(), find="Lager", replace_with="Ale"
    )
    campaign.refresh_from_db()
    assert campaign.approval_state == ApprovalState.NONE
    with pytest.raises(ValidationError):
        campaign_launch(campaign=campaign)
