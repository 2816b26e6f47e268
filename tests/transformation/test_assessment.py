"""The maturity assessment: rounds, one replaceable answer per member, the statistics per capability
(median, spread, misalignment, perception gap) and the API that opens, answers and reads rounds."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from cxm.audit.models import AuditEntry
from cxm.tenancy.models import Role
from tests.transformation.snapshots import snapshot_today
from transformation import assessment, assessment_selectors
from transformation.capabilities import CAPABILITY_KEYS
from transformation.models import AssessmentResponse, AssessmentRound
from transformation.questionnaire import QUESTIONNAIRE

URL = "/api/v1/transformation/assessments/"

pytestmark = pytest.mark.django_db


def scores(default: int = 3, **levels: int) -> dict[str, int]:
    return {key: levels.get(key, default) for key in CAPABILITY_KEYS}


def answer(assessment_round, membership, role=None, **levels):
    return assessment.response_submit(
        assessment_round=assessment_round,
        user=membership.user,
        scores=scores(**levels),
        role=role,
        workspace_role=membership.role,
    )


@pytest.fixture
def opened(workspace_a, admin):
    return assessment.round_create(workspace=workspace_a, name="Q1 2027", by=admin.user)


def stats_of(assessment_round, **measured):
    return assessment_selectors.round_statistics(assessment_round=assessment_round, measured_levels=measured)


# --- the questionnaire ----------------------------------------------------------------------------


def test_questionnaire_describes_people_process_and_technology_at_five_levels_for_every_capability():
    assert list(QUESTIONNAIRE) == list(CAPABILITY_KEYS)
    for levels in QUESTIONNAIRE.values():
        assert [level.level for level in levels] == [1, 2, 3, 4, 5]
        for level in levels:
            assert all(str(text).strip() for text in (level.people, level.process, level.technology))


# --- services -------------------------------------------------------------------------------------


def test_opening_a_round_is_audited(workspace_a, admin, opened):
    assert opened.status == "open"
    entry = AuditEntry.objects.get(workspace=workspace_a, action="transformation.round_create")
    assert entry.actor == admin.user
    assert entry.object_id == str(opened.pk)


def test_round_names_are_unique_in_the_workspace(workspace_a, admin, opened):
    with pytest.raises(ValidationError) as error:
        assessment.round_create(workspace=workspace_a, name="Q1 2027", by=admin.user)
    assert "name" in error.value.message_dict


def test_one_response_per_member_and_a_later_answer_replaces_the_earlier(opened, admin):
    answer(opened, admin, heard=2)
    answer(opened, admin, heard=5)
    responses = AssessmentResponse.objects.filter(round=opened)
    assert responses.count() == 1
    assert responses.get().scores["heard"] == 5
    assert stats_of(opened)["heard"]["responses"] == 1


def test_a_closed_round_refuses_answers_and_keeps_the_old_ones(workspace_a, member, opened, admin):
    answer(opened, admin, heard=2)
    assessment.round_close(assessment_round=opened, by=admin.user)
    with pytest.raises(ValidationError) as error:
        answer(opened, admin, heard=5)
    assert "round" in error.value.message_dict
    with pytest.raises(ValidationError):
        answer(opened, member(workspace_a, Role.AGENT))
    assert AssessmentResponse.objects.get(round=opened).scores["heard"] == 2
    assert AuditEntry.objects.filter(action="transformation.round_close", object_id=str(opened.pk)).exists()


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"heard": 0}, "scores.heard"),
        ({"heard": 6}, "scores.heard"),
        ({"heard": 2.5}, "scores.heard"),
        ({"heard": "three"}, "scores.heard"),
        ({"heard": True}, "scores.heard"),
        ({"heard": None}, "scores.heard"),
        ({"loyal": 3}, "scores.loyal"),
    ],
)
def test_scores_must_be_whole_levels_for_known_capabilities(opened, admin, bad, field):
    with pytest.raises(ValidationError) as error:
        assessment.response_submit(
            assessment_round=opened, user=admin.user, scores={**scores(), **bad}, workspace_role=admin.role
        )
    assert field in error.value.message_dict
    assert not AssessmentResponse.objects.filter(round=opened).exists()


def test_every_capability_needs_an_answer(opened, admin):
    with pytest.raises(ValidationError) as error:
        assessment.response_submit(
            assessment_round=opened, user=admin.user, scores={"heard": 3}, workspace_role="admin"
        )
    assert set(error.value.message_dict) == {f"scores.{key}" for key in CAPABILITY_KEYS if key != "heard"}


def test_role_defaults_follow_the_workspace_role(workspace_a, member, opened, admin):
    assert answer(opened, admin).role == "executive"
    assert answer(opened, member(workspace_a, Role.AGENT)).role == "frontline"
    assert answer(opened, member(workspace_a, Role.MARKETER)).role == "manager"
    assert answer(opened, member(workspace_a, Role.AGENT), role="manager").role == "manager"
    with pytest.raises(ValidationError) as error:
        answer(opened, member(workspace_a, Role.AGENT), role="ceo")
    assert "role" in error.value.message_dict


# --- statistics -----------------------------------------------------------------------------------


def test_median_min_max_spread_and_count_per_capability(workspace_a, member, opened):
    for level in (1, 2, 4, 4):
        answer(opened, member(workspace_a, Role.ANALYST), heard=level)
    heard = stats_of(opened)["heard"]
    assert (heard["median"], heard["min"], heard["max"], heard["spread"], heard["responses"]) == (
        3,
        1,
        4,
        3,
        4,
    )
    # an even count may put the median between two levels; the level rounds half up
    answer(opened, member(workspace_a, Role.ANALYST), enjoy=2)
    answer(opened, member(workspace_a, Role.ANALYST), enjoy=3)
    enjoy = stats_of(opened)["enjoy"]
    assert enjoy["median"] == 3  # 3, 3, 3, 3, 2, 3
    assert assessment_selectors.level_of(2.5) == 3
    assert assessment_selectors.level_of(3.49) == 3


def test_a_spread_of_three_levels_is_misaligned(workspace_a, member, opened):
    answer(opened, member(workspace_a, Role.ANALYST), heard=1, enjoy=2)
    answer(opened, member(workspace_a, Role.ANALYST), heard=4, enjoy=4)
    stats = stats_of(opened)
    assert stats["heard"]["spread"] == 3 and stats["heard"]["misaligned"]
    assert stats["heard"]["misaligned_reasons"] == ["spread"]  # both are managers
    assert stats["enjoy"]["spread"] == 2 and not stats["enjoy"]["misaligned"]


def test_two_roles_two_levels_apart_are_misaligned_even_with_a_small_spread(
    workspace_a, member, opened, admin
):
    # executives say 4, frontline say 2: spread 2 alone would not flag it, the roles do
    answer(opened, admin, heard=4)
    answer(opened, member(workspace_a, Role.ADMIN), heard=4)
    answer(opened, member(workspace_a, Role.AGENT), heard=2)
    answer(opened, member(workspace_a, Role.AGENT), heard=2)
    heard = stats_of(opened)["heard"]
    assert heard["spread"] == 2
    assert heard["role_medians"] == {"executive": 4, "frontline": 2}
    assert heard["misaligned"] and heard["misaligned_reasons"] == ["roles"]
    # one level apart between roles is not misaligned
    enjoy = stats_of(opened)["enjoy"]
    assert not enjoy["misaligned"]


def test_perception_gap_is_assessed_median_minus_measured_level(workspace_a, member, opened):
    answer(opened, member(workspace_a, Role.ANALYST), heard=4, enjoy=1)
    stats = stats_of(opened, heard=2, enjoy=3)
    assert stats["heard"]["gap"] == 2  # over-confident
    assert stats["enjoy"]["gap"] == -2  # under-rated
    assert stats["proud"]["gap"] is None  # not measured yet


def test_a_round_without_answers_has_no_figures(opened):
    heard = stats_of(opened, heard=3)["heard"]
    assert heard["median"] is None and heard["spread"] is None and heard["gap"] is None
    assert heard["responses"] == 0 and not heard["misaligned"]


def test_history_shows_each_rounds_medians_oldest_first(workspace_a, member, opened, admin):
    answer(opened, admin, heard=2)
    assessment.round_close(assessment_round=opened, by=admin.user)
    later = assessment.round_create(workspace=workspace_a, name="Q2 2027", by=admin.user)
    answer(later, admin, heard=4)
    history = assessment_selectors.rounds_history(workspace=workspace_a)
    assert [(h["round"].name, h["medians"]["heard"]) for h in history] == [("Q1 2027", 2), ("Q2 2027", 4)]
    assert assessment_selectors.assessed_levels(workspace=workspace_a)["heard"] == 4


# --- API ------------------------------------------------------------------------------------------


def test_admin_opens_a_round_through_the_api(api, admin):
    response = api(admin).post(URL, {"name": "Q3 2027"}, format="json")
    assert response.status_code == 201
    assert AssessmentRound.objects.get(pk=response.json()["id"]).name == "Q3 2027"


@pytest.mark.parametrize("role", [Role.ANALYST, Role.AGENT, Role.MARKETER, Role.APPROVER])
def test_only_admins_open_rounds(api, workspace_a, member, role):
    response = api(member(workspace_a, role)).post(URL, {"name": "Mine"}, format="json")
    assert response.status_code == 403
    assert not AssessmentRound.objects.exists()


def test_any_member_answers_and_reads_the_statistics(api, workspace_a, member, opened, admin):
    agent = member(workspace_a, Role.AGENT)
    assert (
        api(admin)
        .post(f"{URL}{opened.pk}/responses/", {"scores": scores(heard=4)}, format="json")
        .status_code
        == 201
    )
    response = api(agent).post(f"{URL}{opened.pk}/responses/", {"scores": scores(heard=1)}, format="json")
    assert response.status_code == 201
    body = api(agent).get(f"{URL}{opened.pk}/").json()
    assert [k for k in body if k != "round"] == list(CAPABILITY_KEYS)
    assert {k: body["heard"][k] for k in ("median", "min", "max", "spread", "responses")} == {
        "median": 2.5,
        "min": 1,
        "max": 4,
        "spread": 3,
        "responses": 2,
    }
    assert body["heard"]["misaligned"] is True
    assert body["heard"]["role_medians"] == {"executive": 4, "frontline": 1}
    assert body["round"]["responses"] == 2


def test_api_answer_errors_name_the_field(api, opened, admin):
    response = api(admin).post(
        f"{URL}{opened.pk}/responses/", {"scores": {**scores(), "heard": 7}, "role": "manager"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["scores.heard"]


def test_api_refuses_answers_to_a_closed_round(api, opened, admin):
    assert api(admin).post(f"{URL}{opened.pk}/close/").status_code == 200
    response = api(admin).post(f"{URL}{opened.pk}/responses/", {"scores": scores()}, format="json")
    assert response.status_code == 400
    assert "round" in response.json()["fields"]


def test_api_gap_uses_the_measured_level(api, workspace_a, opened, admin):
    # today's snapshot: 72 % answered scores 4.27 on the band 20-50-70-85-95-100, level 3
    snapshot_today(workspace_a, {"heard_answered_share": {"value": 72.0, "n": 120, "status": "ok"}})
    answer(opened, admin, heard=4, enjoy=2)
    body = api(admin).get(f"{URL}{opened.pk}/").json()
    assert body["heard"]["measured_level"] == 3
    assert body["heard"]["gap"] == 1
    assert body["enjoy"]["measured_level"] is None and body["enjoy"]["gap"] is None


def test_another_workspaces_round_is_404(api, workspace_a, workspace_b, member, admin):
    foreign = assessment.round_create(workspace=workspace_b, name="Globex round", by=member(workspace_b).user)
    client = api(admin)
    assert client.get(f"{URL}{foreign.pk}/").status_code == 404
    assert (
        client.post(f"{URL}{foreign.pk}/responses/", {"scores": scores()}, format="json").status_code == 404
    )
    assert client.post(f"{URL}{foreign.pk}/close/").status_code == 404
    assert not AssessmentResponse.objects.filter(round=foreign).exists()
    assert "Globex round" not in client.get(URL).content.decode()
