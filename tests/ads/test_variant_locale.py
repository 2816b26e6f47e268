"""A variant's language, its prices' currency format and its compliance country default from the
campaign's ad account: an Indonesian account writes in Indonesian, in rupiah, under the ID pack."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ads.models import Feed, Variant
from ads.services import (
    ad_account_sync,
    campaign_create,
    feed_upload_csv,
    template_save,
    variants_generate,
)

pytestmark = pytest.mark.django_db

FEED_WITHOUT_CURRENCY = "id,product,price\n1,Kopi Susu,25000\n2,Es Teh,8000\n"


@pytest.fixture
def indonesian_campaign(make_ad_account, graph):
    graph.currency = "IDR"
    account = make_ad_account(graph)
    account.country, account.language = "ID", "id"
    account.save(update_fields=["country", "language"])
    assert ad_account_sync(account_id=account.pk, workspace_id=account.workspace_id).outcome == "ok"
    return campaign_create(workspace=account.workspace, account=account, name="Kopi Jakarta", daily_budget=5)


def _template(workspace, **fields):
    return template_save(
        workspace=workspace,
        name="Kopi promo",
        primary_text="Iklan. {{product}} hanya {{price}}.",
        headline="{{product}}",
        formats=["feed_square"],
        **fields,
    )


def test_the_builder_offers_the_accounts_language_country_and_currency(browsing, indonesian_campaign):
    page = browsing.get(f"/ads/campaigns/{indonesian_campaign.pk}/builder/").content.decode()

    assert 'name="languages" value="id"' in page
    assert '<option value="ID" selected>' in page
    assert 'name="default_currency" value="IDR"' in page


def test_a_feed_without_currency_uploaded_in_the_builder_is_in_the_campaigns_currency(
    browsing, indonesian_campaign
):
    browsing.post(
        f"/ads/campaigns/{indonesian_campaign.pk}/builder/feed/",
        {"name": "Menu", "file": SimpleUploadedFile("menu.csv", FEED_WITHOUT_CURRENCY.encode(), "text/csv")},
    )

    assert Feed.objects.get().default_currency == "IDR"


def test_variants_are_written_in_the_accounts_language_with_its_number_format(indonesian_campaign):
    workspace = indonesian_campaign.workspace
    feed_text = "id,product,price,currency\n1,Kopi Susu,25000,IDR\n"
    feed = feed_upload_csv(workspace=workspace, name="Menu", content=feed_text)

    variants_generate(template=_template(workspace), feed=feed, campaign=indonesian_campaign)

    variant = Variant.objects.get()
    assert variant.language == "id"
    assert variant.fields["primary_text"] == "Iklan. Kopi Susu hanya Rp 25.000."


def test_without_a_template_country_the_accounts_countrys_pack_applies(indonesian_campaign):
    workspace = indonesian_campaign.workspace
    feed = feed_upload_csv(
        workspace=workspace,
        name="Menu",
        content="id,product,price,currency\n1,Obat dijamin menyembuhkan,1000,IDR\n",
    )
    variants_generate(
        template=_template(workspace, categories=["health"]), feed=feed, campaign=indonesian_campaign
    )

    variant = Variant.objects.get()
    assert {v["rule_id"] for v in variant.violations} == {"ID-BPOM-HLT-01"}


def test_the_api_generates_in_the_accounts_language_when_none_is_given(api, marketer, indonesian_campaign):
    workspace = indonesian_campaign.workspace
    feed = feed_upload_csv(
        workspace=workspace, name="Menu", content="id,product,price,currency\n1,Kopi,9000,IDR\n"
    )
    answer = api(marketer).post(
        "/api/v1/ads/variants/generate/",
        {"template": _template(workspace).pk, "feed": feed.pk, "campaign": indonesian_campaign.pk},
        format="json",
    )

    assert answer.status_code == 201, answer.json()
    assert list(Variant.objects.values_list("language", flat=True)) == ["id"]
    assert "Rp 9.000" in Variant.objects.get().fields["primary_text"]
