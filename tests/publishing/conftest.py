from __future__ import annotations

import pytest

from cxm.channels.models import ChannelAccount
from tests.channels.stubs.mastodon_server import TOKEN, MastodonStub


@pytest.fixture
def mastodon(settings):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True  # the stub listens on 127.0.0.1
    with MastodonStub() as stub:
        yield stub


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
