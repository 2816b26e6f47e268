"""The demo: `make run` seeds the Demo workspace once (a second run changes nothing); with
CXM_DEMO=0 nothing is seeded and the demo task does nothing. What the demo's rounds of activity
make is in test_demo_activity.py."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.management import call_command

from ads.models import AdCampaign, AdInsight
from care.models import Macro, Queue, SlaPolicy
from care.services.demo import demo_activity, demo_seed
from cxm.channels.models import ChannelAccount
from cxm.tenancy.models import Membership, Workspace
from listening.models import Mention
from publishing.models import ApprovalRule
from tests.demo.running import demo_start

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_on(settings):
    settings.CXM_DEMO = True


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
    workspace = demo_start()
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
    workspace = demo_start()

    assert demo_seed() is None and demo_activity() is None
    assert set(_counts(workspace).values()) <= {0, 1}  # only the bootstrap admin's membership
    assert _counts(workspace)["members"] == 1
    assert not ChannelAccount.objects.filter(workspace=workspace).exists()


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
