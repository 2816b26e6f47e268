"""An admin finds a person by any of their identities and sees everything held about them."""

from __future__ import annotations

import pytest

from cxm.privacy.selectors import subject_holdings, subject_resolve
from tests.privacy.conftest import BSKY, EMAIL, HANDLE, NAME, PHONE, PHONE_ID, make_person

# The ad comment needs an answer, so care opened a second case from it (with its message and event).
EXPECTED = {
    "ad_comments": 1,
    "mentions": 3,
    "cases": 2,
    "messages": 3,
    "notes": 1,
    "csat_answers": 1,
    "case_events": 2,
    "audit_entries": 1,
    "customer_profiles": 2,
    "identities": 4,
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "identity",
    [EMAIL, EMAIL.upper(), HANDLE, HANDLE.lstrip("@"), PHONE, PHONE_ID, BSKY, NAME],
    ids=[
        "email",
        "email-upper",
        "handle",
        "handle-bare",
        "phone",
        "phone-e164",
        "merged-profile-handle",
        "name",
    ],
)
def test_every_identity_finds_the_same_person_and_records(workspace_a, identity):
    person = make_person(workspace_a)

    subject = subject_resolve(workspace_id=workspace_a.pk, identity=identity)
    holdings = subject_holdings(workspace_id=workspace_a.pk, subject=subject)

    assert set(subject.profile_ids) == {person.profile.pk, person.merged.pk}
    assert {kind: holdings[kind] for kind in EXPECTED} == EXPECTED


@pytest.mark.django_db
def test_another_workspace_holds_nothing_about_the_person(workspace_a, workspace_b):
    make_person(workspace_a)

    subject = subject_resolve(workspace_id=workspace_b.pk, identity=EMAIL)

    assert subject.profile_ids == []
    assert not any(subject_holdings(workspace_id=workspace_b.pk, subject=subject).values())
