from __future__ import annotations

import pytest

from cxm.channels.models import ChannelAccount
from cxm.tenancy.models import Role
from tests.channels.stubs.mastodon_server import TOKEN, MastodonStub
from tests.factories import BusinessUnitFactory


@pytest.fixture
def mastodon(settings):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True  # the stub listens on 127.0.0.1
    with MastodonStub() as stub:
        yield stub


@pytest.fixture
def unit(workspace_a):
    return BusinessUnitFactory(workspace=workspace_a, name="Beverages")


@pytest.fixture
def make_account(workspace_a, unit, mastodon):
    def make(handle="brand", *, platform="mastodon", business_unit=None, workspace=None, language=""):
        return ChannelAccount.objects.create(
            workspace=workspace or workspace_a,
            platform=platform,
            handle=handle,
            base_url=mastodon.base_url if platform == "mastodon" else "",
            credentials={"access_token": TOKEN} if platform == "mastodon" else {},
            business_unit=business_unit or unit,
            language=language,
        )

    return make


@pytest.fixture
def marketer(workspace_a, member):
    return member(workspace_a, Role.MARKETER)


@pytest.fixture
def approver(workspace_a, member):
    return member(workspace_a, Role.APPROVER)


@pytest.fixture
def admin(workspace_a, member):
    return member(workspace_a, Role.ADMIN)
