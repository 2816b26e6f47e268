"""The demo: `make run` seeds the Demo workspace once (a second run changes nothing), demo
colleagues and customers keep it alive, every capability gets a measured score and the ads and
care report pages show numbers; with CXM_DEMO=0 nothing is seeded and the demo task does nothing."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from django.core.management import call_command

from ads.models import AdCampaign, AdInsight
from care.models import Case, CsatResponse, Macro, Message, Queue, SlaPolicy
from care.services import message_deliver
from care.services.demo import demo_activity, demo_seed
from care.tasks import demo_activity as demo_activity_task
from cxm.channels.models import ChannelAccount
from cxm.channels.services.sync import account_sync
from cxm.tenancy.models import Membership, Workspace
from cxm.tenancy.services import platform_bootstrap
from listening.models import Mention
from publishing.models import ApprovalRule
from tests.care.conftest import dm, make_account, receive
from transformation.selectors import capabilities_live

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_on(settings):
    settings.CXM_DEMO = True


def _start(*, runs_of_activity: int = 0) -> Workspace:
    """What `make run` does on a fresh clone, then the workers' rounds."""
    platform_bootstrap()
    call_command("listening_seed_demo")
    call_command("publishing_seed_demo")
    call_command("demo_seed")
    call_command("ads_seed_demo")
    workspace = Workspace.objects.get(slug="demo")
    for _ in range(runs_of_activity):
        _streams_read(workspace)
        demo_activity_task()
        _replies_sent(workspace)
    return workspace


def _streams_read(workspace: Workspace) -> None:
    for account in ChannelAccount.objects.filter(workspace=workspace, platform="demo"):
        account_sync(account_id=account.pk, workspace_id=workspace.pk)


def _replies_sent(workspace: Workspace) -> None:
    for message_id in Message.objects.filter(workspace=workspace, status="queued").values_list(
        "pk", flat=True
    ):
        message_deliver(message_id=message_id, workspace_id=workspace.pk)


def _counts(workspace: Workspace) -> dict[str, int]:
    return {
        "ad accounts": ChannelAccount.objects.filter(workspace=workspace, platform="meta_ads").count(),
        "campaigns": AdCampaign.objects.filter(workspace=workspace).count(),
        "insights": AdInsight.objects.filter(workspace=workspace).count(),
        "ad comments": Mention.objects.filter(workspace_id=workspace.pk, media_type="paid").count(),
        "queues": Queue.objects.filter(workspace=workspace).count(),
        "sla": SlaPolicy.objects.filter(workspace=workspace).count(),
        "macros": Macro.objects.filter(workspace=workspace).count(),
        "members": Membership.objects.filter(workspace=workspace).count(),
        "approval rules": ApprovalRule.objects.filter(workspace=workspace).count(),
    }


def test_seeding_twice_gives_the_same_demo(demo_on):
    workspace = _start()
    first = _counts(workspace)

    call_command("demo_seed")
    call_command("ads_seed_demo")

    assert _counts(workspace) == first
    assert first["ad accounts"] == 1 and first["campaigns"] == 3
    assert first["insights"] >= 28 * 10 and first["ad comments"] > 0
    assert first["queues"] == 2 and first["sla"] == 4 and first["approval rules"] == 1
    macros = Macro.objects.filter(workspace=workspace)
    assert all({"en", "id"} <= set(macro.bodies) for macro in macros) and macros.count() == 3
    assert all("(demo)" in name for name in macros.values_list("name", flat=True))


def test_with_the_demo_off_nothing_is_seeded_and_the_task_does_nothing(settings):
    settings.CXM_DEMO = False
    platform_bootstrap()
    call_command("listening_seed_demo")
    call_command("publishing_seed_demo")
    call_command("demo_seed")
    call_command("ads_seed_demo")

    workspace = Workspace.objects.get(slug="demo")
    assert demo_seed() is None and demo_activity() is None
    assert set(_counts(workspace).values()) <= {0, 1}  # only the bootstrap admin's membership
    assert _counts(workspace)["members"] == 1
    assert not ChannelAccount.objects.filter(workspace=workspace).exists()


def test_demo_colleagues_answer_a_share_of_cases_and_customers_answer_surveys(demo_on):
    workspace = _start(runs_of_activity=3)

    cases = Case.objects.filter(workspace=workspace)
    answered = cases.filter(messages__direction="outbound", messages__author_user__isnull=False).distinct()
    assert 0 < answered.count() < cases.count(), (answered.count(), cases.count())
    assert CsatResponse.objects.filter(workspace=workspace).exists()


def test_the_demo_colleagues_leave_other_workspaces_alone(demo_on, workspace_a):
    account = make_account(workspace_a)
    receive(account, *(dm(f"other-{n}", author=f"customer{n}") for n in range(20)))
    waiting = Case.objects.filter(workspace=workspace_a)
    assert waiting.count() == 20

    _start(runs_of_activity=2)

    assert not Message.objects.filter(workspace=workspace_a, direction="outbound").exists()
    assert set(waiting.values_list("status", flat=True)) <= {"new", "open"}


def test_every_capability_has_a_measured_score_after_the_demo_ran(demo_on):
    workspace = _start(runs_of_activity=4)

    capabilities = capabilities_live(workspace=workspace, on_demand=True)

    unmeasured = {
        c["key"]: {k["key"]: (k["status"], k["n"]) for k in c["kpis"]}
        for c in capabilities
        if c["measured_score"] is None
    }
    assert unmeasured == {}
    respected = next(c for c in capabilities if any(k["key"] == "respected_pause_seconds" for k in c["kpis"]))
    figures = {k["key"]: k["value"] for k in respected["kpis"]}
    # The demo's pause drill and its customer's data export give the trust KPIs their figures.
    assert figures["respected_pause_seconds"] is not None
    assert figures["respected_privacy_days"] is not None


def test_the_ads_and_care_report_pages_show_numbers(demo_on, client):
    workspace = _start(runs_of_activity=2)
    admin = Membership.objects.get(workspace=workspace, user__username="admin").user
    client.force_login(admin)

    ads = client.get("/ads/").content.decode()
    insights = client.get("/ads/insights/").content.decode()
    reports = client.get("/care/reports/")

    assert "[Demo] Kopi Susu Gula Aren launch" in ads
    assert len(re.findall(r"<td>\d+\.\d{4}</td>", ads)) == 3, "each campaign shows its ROAS"
    assert "No insights yet." not in insights and "Kopi Nusantara (demo ad account)" in insights
    assert reports.status_code == 200
    metrics = reports.context["metrics"]
    assert metrics["answered_share"] and metrics["first_response_seconds"]["median"] is not None
    assert metrics["csat"]["average"] is not None


@pytest.mark.parametrize(("demo", "scheduled"), [("0", False), ("1", True)])
def test_beat_runs_the_demo_activity_only_with_the_demo_on(demo, scheduled):
    code = "import cxm.settings as s; print('care.demo_activity' in {e['task'] for e in s.CELERY_BEAT_SCHEDULE.values()})"
    answer = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "CXM_DEMO": demo},
        capture_output=True,
        text=True,
        check=True,
    )
    assert answer.stdout.strip() == str(scheduled)
