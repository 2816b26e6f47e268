"""One person, one profile: merge two profiles, undo it exactly, link identities by hand, and link
automatically only on exact evidence."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from cxm.audit.models import AuditEntry
from cxm.customers import selectors, services
from cxm.customers.models import CustomerMerge, CustomerProfile, Identity
from cxm.customers.services import AuthorKey, identities_resolve

pytestmark = pytest.mark.django_db


def profile_of(workspace, platform, platform_id, handle="", name=""):
    resolved = identities_resolve(
        workspace_id=workspace.pk, authors=[AuthorKey(platform, platform_id, handle or platform_id, name)]
    )
    return CustomerProfile.objects.get(pk=resolved[(platform, platform_id)].profile_id)


def identities(profile):
    return set(Identity.objects.filter(profile=profile).values_list("platform", "platform_id"))


def test_merging_moves_every_identity_and_marks_the_source(workspace_a, member):
    by = member(workspace_a).user
    social = profile_of(workspace_a, "mastodon", "1", "@ana@social.example", "Ana")
    email = profile_of(workspace_a, "email", "ana@mail.example")
    bsky = profile_of(workspace_a, "bluesky", "did:plc:ana")
    services.customer_merge(workspace=workspace_a, source=bsky, target=email, by=by)
    merge = services.customer_merge(workspace=workspace_a, source=email, target=social, by=by)
    assert identities(social) == {
        ("mastodon", "1"),
        ("email", "ana@mail.example"),
        ("bluesky", "did:plc:ana"),
    }
    email.refresh_from_db()
    assert email.merged_into == social
    moved = Identity.objects.filter(platform__in=["email", "bluesky"]).values_list("pk", flat=True)
    assert sorted(merge.identity_ids) == sorted(moved)
    assert AuditEntry.objects.filter(action="customer.merge", workspace=workspace_a).count() == 2
    # the profile and everything merged into it, through the chain
    assert selectors.customer_profile_ids(workspace_id=workspace_a.pk, profile_id=social.pk) == sorted(
        [social.pk, email.pk, bsky.pk]
    )
    # merged profiles leave the list
    assert set(selectors.customers_search(workspace=workspace_a).values_list("pk", flat=True)) == {social.pk}


def test_undo_restores_exactly_the_identities_that_moved(workspace_a):
    target = profile_of(workspace_a, "mastodon", "1")
    source = profile_of(workspace_a, "email", "ana@mail.example")
    Identity.objects.create(workspace=workspace_a, profile=source, platform="shop", platform_id="42")
    before_target, before_source = identities(target), identities(source)
    merge = services.customer_merge(workspace=workspace_a, source=source, target=target)
    # after the merge, a new identity is found for the merged person: it belongs to the target
    later = profile_of(workspace_a, "bluesky", "did:plc:x")
    Identity.objects.filter(profile=later).update(profile=target)
    services.customer_merge_undo(merge=merge)
    assert identities(source) == before_source
    assert identities(target) == before_target | {("bluesky", "did:plc:x")}
    source.refresh_from_db()
    assert source.merged_into is None
    merge.refresh_from_db()
    assert merge.undone_at is not None
    with pytest.raises(ValidationError):
        services.customer_merge_undo(merge=merge)


def test_new_messages_after_a_merge_resolve_to_the_surviving_profile(workspace_a):
    target = profile_of(workspace_a, "mastodon", "1")
    source = profile_of(workspace_a, "email", "ana@mail.example")
    services.customer_merge(workspace=workspace_a, source=source, target=target)
    assert profile_of(workspace_a, "email", "ana@mail.example") == target


def test_undo_waits_for_a_later_merge_of_the_target_to_be_undone_first(workspace_a):
    a = profile_of(workspace_a, "mastodon", "a")
    b = profile_of(workspace_a, "mastodon", "b")
    c = profile_of(workspace_a, "mastodon", "c")
    first = services.customer_merge(workspace=workspace_a, source=a, target=b)
    second = services.customer_merge(workspace=workspace_a, source=b, target=c)
    with pytest.raises(ValidationError):
        services.customer_merge_undo(merge=first)
    services.customer_merge_undo(merge=second)
    services.customer_merge_undo(merge=first)
    assert identities(a) == {("mastodon", "a")} and identities(b) == {("mastodon", "b")}


@pytest.mark.parametrize("case", ["self", "merged source", "merged target", "other workspace"])
def test_merges_that_make_no_sense_are_refused(workspace_a, workspace_b, case):
    a = profile_of(workspace_a, "mastodon", "a")
    b = profile_of(workspace_a, "mastodon", "b")
    c = profile_of(workspace_a, "mastodon", "c")
    foreign = profile_of(workspace_b, "mastodon", "z")
    services.customer_merge(workspace=workspace_a, source=c, target=b)
    pairs = {
        "self": (a, a),
        "merged source": (c, a),
        "merged target": (a, c),
        "other workspace": (foreign, a),
    }
    source, target = pairs[case]
    with pytest.raises(ValidationError):
        services.customer_merge(workspace=workspace_a, source=source, target=target)


def test_linking_an_identity_by_hand_moves_it(workspace_a, member):
    by = member(workspace_a).user
    ana = profile_of(workspace_a, "mastodon", "1")
    stray = profile_of(workspace_a, "bluesky", "did:plc:ana")
    identity = services.identity_link(
        workspace=workspace_a, profile=ana, platform="bluesky", platform_id="did:plc:ana", by=by
    )
    assert identity.profile == ana
    assert identities(stray) == set()
    assert AuditEntry.objects.get(action="customer.identity_link").before == {
        "profile": stray.pk,
        "email": "",
        "phone": "",
        "verified": False,
    }


def test_the_same_email_address_links_profiles_automatically(workspace_a):
    older = profile_of(workspace_a, "mastodon", "1")
    services.identity_link(
        workspace=workspace_a, profile=older, platform="shop", platform_id="42", email="Ana@Mail.example"
    )
    # Her first email: the new identity joins the profile that holds the address.
    assert profile_of(workspace_a, "email", "ana@mail.example") == older
    merge = CustomerMerge.objects.get()
    assert merge.target_id == older.pk and merge.source_id != older.pk
    assert merge.reason == "same email address"
    assert ("email", "ana@mail.example") in identities(older)


def test_the_same_verified_handle_links_profiles(workspace_a):
    crm = profile_of(workspace_a, "shop", "42")
    social = profile_of(workspace_a, "mastodon", "1", "@ana@social.example")
    Identity.objects.filter(profile=social).update(verified=True)
    services.identity_link(
        workspace=workspace_a,
        profile=crm,
        platform="crm-social",
        platform_id="ana",
        handle="@Ana@social.example",
        verified=True,
    )
    social.refresh_from_db()
    assert social.merged_into_id == crm.pk
    assert CustomerMerge.objects.get().reason == "same verified handle"


def test_an_unverified_handle_is_not_evidence(workspace_a):
    crm = profile_of(workspace_a, "shop", "42")
    profile_of(workspace_a, "mastodon", "1", "@ana@social.example")
    services.identity_link(
        workspace=workspace_a,
        profile=crm,
        platform="crm-social",
        platform_id="ana",
        handle="@ana@social.example",
    )
    assert not CustomerMerge.objects.exists()


def test_a_name_alone_is_never_evidence(workspace_a):
    profile_of(workspace_a, "mastodon", "1", name="Ana")
    two = profile_of(workspace_a, "bluesky", "did:plc:2", name="Ana")
    assert services.customers_autolink(workspace_id=workspace_a.pk, profile_id=two.pk) == []


def test_search_finds_by_name_handle_or_email(workspace_a, workspace_b):
    ana = profile_of(workspace_a, "mastodon", "1", "@ana@social.example", "Ana Suryani")
    mail = profile_of(workspace_a, "email", "budi@mail.example")
    profile_of(workspace_b, "mastodon", "9", "@ana@other.example", "Ana")

    def found(q):
        return set(selectors.customers_search(workspace=workspace_a, q=q).values_list("pk", flat=True))

    assert found("suryani") == {ana.pk}
    assert found("@ana@") == {ana.pk}
    assert found("budi@mail") == {mail.pk}
