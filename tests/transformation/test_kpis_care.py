"""The care KPIs on hand-made cases, replies, surveys and customers: exact figures, no data, too
little data, items too young to judge, automatic messages that are not answers, another
workspace's data, and the business-unit and brand scopes."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection

from care import selectors as care_selectors
from care.models import Case, CaseType, CsatResponse, Message, SlaPolicy
from care.sla import business_minutes_between, parse_schedule
from cxm.channels.models import ChannelAccount
from cxm.customers.models import CustomerMerge, CustomerProfile, Identity
from cxm.tenancy.models import Role
from tests.factories import BrandFactory, BusinessUnitFactory
from tests.transformation.kpis_data import mentions
from transformation.kpis import care as care_kpis
from transformation.kpis.registry import BY_KEY, Scope

pytestmark = pytest.mark.django_db

UNTIL = datetime(2026, 11, 21, tzinfo=UTC)  # a Saturday, 00:00 UTC
CARE_KEYS = [key for key, kpi in BY_KEY.items() if kpi.source == "care"]
_ids = itertools.count(1)


def measure(workspace, *keys: str, **scope):
    until = scope.pop("until", UNTIL)
    return care_kpis.measure(
        Scope(workspace_id=workspace.pk, until=until, **scope), [BY_KEY[key] for key in keys or CARE_KEYS]
    )


def customer(workspace, *identities: tuple[str, str]) -> CustomerProfile:
    profile = CustomerProfile.objects.create(workspace=workspace, display_name=f"Customer {next(_ids)}")
    for platform, email in identities or (("mastodon", ""),):
        Identity.objects.create(
            workspace=workspace, profile=profile, platform=platform, platform_id=f"p{next(_ids)}", email=email
        )
    return profile


def case(
    workspace,
    *,
    at: datetime,
    kind: str = "dm",
    profile: CustomerProfile | None = None,
    resolved_at: datetime | None = None,
    **fields,
) -> Case:
    made = Case.objects.create(
        workspace=workspace,
        customer=profile or customer(workspace),
        channel_kind=kind,
        platform="mastodon",
        last_message_at=at,
        resolved_at=resolved_at,
        status="resolved" if resolved_at else "open",
        **fields,
    )
    Case.objects.filter(pk=made.pk).update(created_at=at)
    made.created_at = at
    return made


def reply(
    case: Case, *, at: datetime, by=None, status: str = "sent", language: str | None = None, **meta
) -> Message:
    """An outbound message: a person's reply when `by` is a user, automation's otherwise."""
    return Message.objects.create(
        workspace_id=case.workspace_id,
        case=case,
        direction="outbound",
        author_user=by,
        author_name=by.username if by else "automation",
        text="Thanks, we are on it",
        language=case.language if language is None else language,
        occurred_at=at,
        status=status,
        sent_at=at if status == "sent" else None,
        meta=meta,
    )


@pytest.fixture
def agent(workspace_a, member):
    return member(workspace_a, Role.AGENT).user


def days_before(days: float, hours: float = 0) -> datetime:
    return UNTIL - timedelta(days=days, hours=hours)


# --- heard ---------------------------------------------------------------------------------------


def answers_data(workspace, agent) -> None:
    old = days_before(3)
    for _ in range(24):  # answered by a person within the hour
        reply(case(workspace, at=old), at=old + timedelta(hours=1), by=agent)
    for _ in range(2):  # answered by a person, but after 30 hours
        reply(case(workspace, at=old, kind="email"), at=old + timedelta(hours=30), by=agent)
    for _ in range(4):  # only an auto-acknowledgement and a CSAT survey went out
        item = case(workspace, at=old)
        reply(item, at=old + timedelta(minutes=1))
        reply(item, at=old + timedelta(hours=2), csat=True)
    # A person's reply that could not be sent never reached the customer.
    reply(case(workspace, at=old), at=old + timedelta(hours=1), by=agent, status="failed")
    for _ in range(2):  # too young to call unanswered
        case(workspace, at=UNTIL - timedelta(hours=2))
    young_answered = case(workspace, at=UNTIL - timedelta(hours=2))
    reply(young_answered, at=UNTIL - timedelta(hours=1), by=agent)
    # Opened by hand, and opened from a public mention (the mention itself is counted): not items.
    case(workspace, at=old, kind="manual")
    case(workspace, at=old, kind="public")
    mentions(workspace, 8, at=old, needs_answer=True, answered_at=old + timedelta(hours=2))
    mentions(workspace, 2, at=old, needs_answer=True)
    mentions(workspace, 3, at=old)
    mentions(workspace, 1, at=UNTIL - timedelta(hours=2), needs_answer=True)


def test_answered_share_counts_people_replies_over_cases_and_mentions(workspace_a, agent):
    answers_data(workspace_a, agent)

    result = measure(workspace_a, "heard_answered_share")["heard_answered_share"]

    # Items: 34 DM/email cases and 11 mentions needing an answer; 3 of them are younger than
    # 24 h and unanswered, so 42 are judged, of which 27 + 8 = 35 were answered by a person.
    assert result.status == "ok"
    assert result.n == 42
    assert result.excluded == 3
    assert result.value == 83.33


def test_automatic_messages_are_not_answers(workspace_a, agent):
    old = days_before(3)
    for _ in range(30):
        item = case(workspace_a, at=old)
        reply(item, at=old + timedelta(minutes=1))  # a rule's macro, no person
        reply(item, at=old + timedelta(hours=1), csat=True)

    results = measure(workspace_a, "heard_answered_share", "heard_unanswered_24h", "heard_first_response")

    assert results["heard_answered_share"].value == 0.0
    assert results["heard_answered_share"].n == 30
    assert results["heard_unanswered_24h"].value == 30.0
    assert results["heard_first_response"].status == "no_data"


def test_unanswered_after_24_hours_counts_late_and_missing_answers(workspace_a, agent):
    answers_data(workspace_a, agent)

    result = measure(workspace_a, "heard_unanswered_24h")["heard_unanswered_24h"]

    # Old enough: 31 cases and 10 mentions. Unanswered after 24 h: 2 answered late, 4 with only
    # automatic messages, 1 whose reply failed, and 2 mentions never answered.
    assert (result.value, result.n, result.excluded) == (9.0, 41, 4)


def test_first_response_median_mean_and_business_hours(workspace_a, agent):
    SlaPolicy.objects.create(
        workspace=workspace_a,
        name="Normal",
        priority="normal",
        first_response_minutes=60,
        resolution_minutes=480,
        schedule={day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    )
    wednesday_10 = datetime(2026, 11, 18, 10, tzinfo=UTC)
    thursday_16 = datetime(2026, 11, 19, 16, tzinfo=UTC)
    for _ in range(16):  # 30 minutes, all of them open
        item = case(workspace_a, at=wednesday_10)
        reply(item, at=wednesday_10 + timedelta(minutes=1))  # automation does not stop the clock
        reply(item, at=wednesday_10 + timedelta(minutes=30), by=agent)
    for _ in range(14):  # 18 hours overnight, of which 16:00-17:00 and 09:00-10:00 are open
        reply(case(workspace_a, at=thursday_16), at=thursday_16 + timedelta(hours=18), by=agent)

    result = measure(workspace_a, "heard_first_response")["heard_first_response"]

    assert result.n == 30
    assert result.value == 30.0
    assert result.mean == 520.0  # (16 * 30 + 14 * 1080) / 30
    assert result.business_value == 30.0
    assert result.business_mean == 72.0  # (16 * 30 + 14 * 120) / 30


def test_business_hours_follow_the_policy_zone_and_holidays(workspace_a, agent):
    # 09:00-17:00 in Jakarta is 02:00-10:00 UTC; Friday 20 November is a holiday.
    SlaPolicy.objects.create(
        workspace=workspace_a,
        name="High",
        priority="high",
        first_response_minutes=60,
        resolution_minutes=480,
        time_zone="Asia/Jakarta",
        schedule={
            day: [["09:00", "12:00"], ["13:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")
        },
        holidays=[date(2026, 11, 20)],
    )
    thursday = datetime(2026, 11, 19, 9, tzinfo=UTC)  # 16:00 in Jakarta, an hour before closing
    monday = datetime(2026, 11, 23, 3, tzinfo=UTC)  # 10:00 in Jakarta, an hour after opening
    item = case(workspace_a, at=thursday, priority="high", resolved_at=monday)
    reply(item, at=thursday + timedelta(minutes=45), by=agent)
    # Urgent has no policy: its business time is calendar time.
    case(workspace_a, at=thursday, priority="urgent", resolved_at=thursday + timedelta(hours=5))

    times = care_selectors.kpi_case_times(
        workspace_id=workspace_a.pk, since=UNTIL - timedelta(days=28), until=monday + timedelta(hours=1)
    )

    assert times["first_response"]["n"] == 1
    assert times["first_response"]["business_median"] == 45 * 60
    assert times["resolution"]["n"] == 2
    # 1 h on Thursday + 1 h on Monday for the high case; 5 h for the urgent one.
    assert sorted([times["resolution"]["business_median"], times["resolution"]["business_mean"]]) == [
        3.5 * 3600,
        3.5 * 3600,
    ]


def test_business_hours_agree_with_the_sla_clock_across_a_clock_change(workspace_a):
    schedule = {
        **{day: [["08:00", "12:00"], ["13:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
        "sat": [["10:00", "14:00"]],
    }
    SlaPolicy.objects.create(
        workspace=workspace_a,
        name="Normal",
        priority="normal",
        first_response_minutes=60,
        resolution_minutes=480,
        time_zone="Europe/Berlin",
        schedule=schedule,
        holidays=[date(2026, 10, 28)],
    )
    # Summer time ends in Berlin on Sunday 25 October 2026.
    spans = [
        (datetime(2026, 10, 23, 6, 30, tzinfo=UTC), timedelta(hours=3, minutes=10)),
        (datetime(2026, 10, 23, 15, 0, tzinfo=UTC), timedelta(days=3, hours=2)),
        (datetime(2026, 10, 24, 7, 45, tzinfo=UTC), timedelta(days=4, minutes=17)),
        (datetime(2026, 10, 26, 11, 59, tzinfo=UTC), timedelta(minutes=2)),
        (datetime(2026, 10, 27, 20, 0, tzinfo=UTC), timedelta(days=2, hours=13)),
        (datetime(2026, 10, 31, 22, 0, tzinfo=UTC), timedelta(hours=5)),
    ]
    for start, took in spans:
        case(workspace_a, at=start, resolved_at=start + took)
    expected = [
        60
        * business_minutes_between(
            start,
            start + took,
            schedule=parse_schedule(schedule),
            tz="Europe/Berlin",
            holidays=[date(2026, 10, 28)],
        )
        for start, took in spans
    ]

    times = care_selectors.kpi_case_times(
        workspace_id=workspace_a.pk,
        since=datetime(2026, 10, 20, tzinfo=UTC),
        until=datetime(2026, 11, 5, tzinfo=UTC),
    )

    assert times["resolution"]["n"] == 6
    assert times["resolution"]["business_mean"] == pytest.approx(sum(expected) / 6)
    ordered = sorted(expected)
    assert times["resolution"]["business_median"] == pytest.approx((ordered[2] + ordered[3]) / 2)
    assert 0 in expected  # the Saturday night span is closed all along


def test_planner_settings_do_not_outlive_the_measurement(workspace_a, agent):
    reply(case(workspace_a, at=days_before(3)), at=days_before(2), by=agent)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('enable_nestloop'), current_setting('work_mem')")
        before = cursor.fetchone()

    assert measure(workspace_a, "heard_first_response")["heard_first_response"].n == 1

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('enable_nestloop'), current_setting('work_mem')")
        assert cursor.fetchone() == before


# --- enjoy ---------------------------------------------------------------------------------------


def test_csat_average_and_response_rate(workspace_a, agent):
    sent = days_before(3)
    for n in range(40):
        item = case(workspace_a, at=sent - timedelta(hours=1), resolved_at=sent)
        reply(item, at=sent, csat=True)
        if n < 30:
            answer = CsatResponse.objects.create(
                workspace=workspace_a, case=item, customer=item.customer, score=5 if n < 20 else 2
            )
            CsatResponse.objects.filter(pk=answer.pk).update(created_at=days_before(2))
    for _ in range(2):  # sent two hours ago: too early to count as unanswered
        item = case(workspace_a, at=UNTIL - timedelta(hours=3), resolved_at=UNTIL - timedelta(hours=2))
        reply(item, at=UNTIL - timedelta(hours=2), csat=True)
    failed = case(workspace_a, at=sent, resolved_at=sent)
    reply(failed, at=sent, csat=True, status="failed")

    results = measure(workspace_a, "enjoy_csat", "enjoy_csat_response_rate")

    assert (results["enjoy_csat"].value, results["enjoy_csat"].n) == (4.0, 30)
    rate = results["enjoy_csat_response_rate"]
    assert (rate.value, rate.n, rate.excluded) == (75.0, 40, 2)


def resolved_cases(workspace, agent) -> None:
    """30 cases resolved in the window: 20 in 2 hours, 10 in 10 hours."""
    checklist = CaseType.objects.create(
        workspace=workspace, name="Refund", checklist=[{"key": "verify", "label": "Verify the order"}]
    )
    plain_type = CaseType.objects.create(workspace=workspace, name="Question", required_fields=[])
    opened = days_before(5)
    plan = (
        # (cases, person replies, automatic replies, reopened, macro by person, macro by rule, type)
        (4, 1, 0, 0, True, False, None),  # first contact, with a macro
        (6, 1, 0, 0, False, False, None),  # first contact
        (5, 1, 0, 1, False, False, checklist),  # reopened once; guided by the checklist
        (2, 2, 0, 0, True, False, None),  # two replies; with a macro
        (3, 2, 0, 0, False, False, plain_type),  # two replies; a type without a checklist
        (5, 1, 1, 0, False, False, None),  # first contact: the automatic reply is not an agent's
        (3, 0, 1, 0, False, True, None),  # only a rule's macro went out
        (2, 0, 0, 0, False, False, None),  # resolved without a reply
    )
    made = 0
    for count, people, automatic, reopened, macro, rule_macro, case_type in plan:
        for _ in range(count):
            hours = 2 if made < 20 else 10
            made += 1
            item = case(
                workspace,
                at=opened,
                resolved_at=opened + timedelta(hours=hours),
                reopen_count=reopened,
                reopened=bool(reopened),
                case_type=case_type,
            )
            for n in range(people):
                extra = {"macro": 1} if macro and n == 0 else {}
                reply(item, at=opened + timedelta(minutes=10 + n), by=agent, **extra)
            for _ in range(automatic):
                reply(item, at=opened + timedelta(minutes=1), **({"macro": 1} if rule_macro else {}))
    assert made == 30
    case(workspace, at=opened, kind="manual", resolved_at=opened + timedelta(hours=1))  # by hand: left out
    case(workspace, at=opened)  # not resolved


def test_resolution_time_median_and_mean_in_hours(workspace_a, agent):
    resolved_cases(workspace_a, agent)

    result = measure(workspace_a, "enjoy_resolution_time")["enjoy_resolution_time"]

    assert result.n == 30
    assert result.value == 2.0
    assert result.mean == 4.67  # (20 * 2 + 10 * 10) / 30
    # No SLA policy: business hours are calendar hours.
    assert (result.business_value, result.business_mean) == (2.0, 4.67)


def test_first_contact_and_guided_resolution(workspace_a, agent):
    resolved_cases(workspace_a, agent)

    results = measure(workspace_a, "smarter_first_contact_resolution", "smarter_guided_resolution")

    # One person's reply and never reopened: 4 + 6 + 5.
    assert (
        results["smarter_first_contact_resolution"].value,
        results["smarter_first_contact_resolution"].n,
    ) == (
        50.0,
        30,
    )
    # A person's macro (4 + 2) or a checklist (5); a rule's macro and a type without steps do not count.
    assert results["smarter_guided_resolution"].value == 36.67


# --- remembered, recognised ----------------------------------------------------------------------


def test_reply_language_compares_the_primary_language(workspace_a, agent):
    at = days_before(4)
    english = case(workspace_a, at=at, language="en")
    for _ in range(28):
        reply(english, at=at + timedelta(hours=1), by=agent)
    reply(english, at=at + timedelta(hours=1), by=agent, language="id")
    reply(english, at=at + timedelta(hours=1), by=agent, language="fr")
    reply(english, at=at + timedelta(hours=1), language="id")  # automation: not an agent's reply
    brazilian = case(workspace_a, at=at, language="pt-BR")
    reply(brazilian, at=at + timedelta(hours=1), by=agent, language="pt")
    reply(brazilian, at=at + timedelta(hours=1), by=agent, language="PT-br")
    unknown = case(workspace_a, at=at, language="")
    reply(unknown, at=at + timedelta(hours=1), by=agent, language="en")

    result = measure(workspace_a, "remembered_reply_language")["remembered_reply_language"]

    assert (result.value, result.n) == (93.75, 32)
    assert result.detail["unknown_language"] == 1


def test_known_customer_needs_contact_details_two_platforms_or_a_merge(workspace_a, member):
    at = days_before(4)
    admin = member(workspace_a).user
    profiles = []
    profiles += [customer(workspace_a, ("email", "ana@mail.example")) for _ in range(10)]
    profiles += [customer(workspace_a, ("mastodon", ""), ("bluesky", "")) for _ in range(5)]
    for _ in range(5):  # another profile was merged into it
        target = customer(workspace_a)
        CustomerMerge.objects.create(workspace=workspace_a, source=customer(workspace_a), target=target)
        profiles.append(target)
    for _ in range(2):  # the merge was undone
        target = customer(workspace_a)
        CustomerMerge.objects.create(
            workspace=workspace_a, source=customer(workspace_a), target=target, undone_at=at, undone_by=admin
        )
        profiles.append(target)
    # Its case was opened before it was merged into a profile with an email address.
    known = customer(workspace_a, ("email", "budi@mail.example"))
    merged_away = customer(workspace_a)
    CustomerProfile.objects.filter(pk=merged_away.pk).update(merged_into=known)
    profiles.append(merged_away)
    profiles += [customer(workspace_a) for _ in range(17)]
    for profile in profiles:
        case(workspace_a, at=at, profile=profile, kind="manual")

    result = measure(workspace_a, "recognised_known_customer")["recognised_known_customer"]

    assert (result.value, result.n) == (52.5, 40)


def test_repeat_contacts_within_seven_days(workspace_a):
    first = days_before(20)
    for n in range(34):
        profile = customer(workspace_a)
        case(workspace_a, at=first, profile=profile)
        if n < 6:
            case(workspace_a, at=first + timedelta(days=3), profile=profile)  # back within 7 days
        elif n < 8:
            case(workspace_a, at=first + timedelta(days=8, hours=1), profile=profile)  # back too late
    for _ in range(2):  # younger than 7 days: cannot tell yet
        case(workspace_a, at=days_before(3))

    result = measure(workspace_a, "recognised_repeat_contacts")["recognised_repeat_contacts"]

    # Judged: 34 first cases and the 8 later ones; 6 were followed within 7 days.
    assert (result.value, result.n, result.excluded) == (14.29, 42, 2)


# --- honest figures ------------------------------------------------------------------------------


def test_no_data_is_never_zero(workspace_a):
    results = measure(workspace_a)

    assert set(results) == set(CARE_KEYS)
    for key, result in results.items():
        assert (key, result.status, result.value, result.n) == (key, "no_data", None, 0)


def test_too_few_items_are_insufficient(workspace_a, agent):
    old = days_before(3)
    for _ in range(5):
        reply(
            case(workspace_a, at=old, resolved_at=old + timedelta(hours=3)),
            at=old + timedelta(hours=1),
            by=agent,
        )

    results = measure(workspace_a, "heard_answered_share", "heard_first_response", "enjoy_resolution_time")

    for result in results.values():
        assert (result.status, result.value, result.n) == ("insufficient", None, 5)
        assert result.mean is None and result.business_value is None


def test_another_workspace_never_counts(workspace_a, workspace_b, agent, member):
    other_agent = member(workspace_b, Role.AGENT).user
    old = days_before(3)
    for _ in range(30):
        reply(case(workspace_a, at=old), at=old + timedelta(hours=1), by=agent)
        case(workspace_b, at=old)
        reply(case(workspace_b, at=old), at=old + timedelta(hours=1), by=other_agent)
    mentions(workspace_b, 10, at=old, needs_answer=True)

    result = measure(workspace_a, "heard_answered_share")["heard_answered_share"]
    assert (result.value, result.n) == (100.0, 30)
    other = measure(workspace_b, "heard_answered_share")["heard_answered_share"]
    assert (other.value, other.n) == (42.86, 70)


def test_business_unit_and_brand_scopes(workspace_a, agent):
    beverages = BusinessUnitFactory(workspace=workspace_a, name="Beverages")
    snacks = BusinessUnitFactory(workspace=workspace_a, name="Snacks")
    kopi = BrandFactory(workspace=workspace_a, business_unit=beverages, name="Kopi")
    kopi_account = ChannelAccount.objects.create(workspace=workspace_a, platform="mastodon", handle="@kopi")
    ChannelAccount.objects.filter(pk=kopi_account.pk).update(brand=kopi)
    old = days_before(3)
    for n in range(30):
        answered = case(
            workspace_a, at=old, business_unit=beverages, channel_account=kopi_account if n < 10 else None
        )
        reply(answered, at=old + timedelta(hours=1), by=agent)
        case(workspace_a, at=old, business_unit=snacks)
    mentions(workspace_a, 10, at=old, needs_answer=True, business_unit_id=snacks.pk)
    mentions(workspace_a, 20, at=old, needs_answer=True, business_unit_id=beverages.pk, brand_id=kopi.pk)

    unit = measure(workspace_a, "heard_answered_share", business_unit_id=beverages.pk)["heard_answered_share"]
    assert (unit.value, unit.n) == (60.0, 50)
    brand = measure(workspace_a, "heard_answered_share", brand_id=kopi.pk)["heard_answered_share"]
    assert (brand.value, brand.n) == (33.33, 30)
    everything = measure(workspace_a, "heard_answered_share")["heard_answered_share"]
    assert (everything.value, everything.n) == (33.33, 90)
