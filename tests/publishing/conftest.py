from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cxm.channels.models import ChannelAccount
from cxm.channels.services.accounts import account_create
from publishing.models import MediaAttachment
from tests.channels.stubs import facebook_page_server, instagram_server
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
            # The unit is workspace A's: an account of another workspace may not belong to it.
            business_unit=business_unit or (unit if workspace in (None, workspace_a) else None),
            language=language,
        )

    return make


@pytest.fixture
def facebook(settings):
    """The Facebook Page stand-in."""
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True  # the stand-in listens on 127.0.0.1
    with facebook_page_server.FacebookPageStub() as stub:
        yield stub


@pytest.fixture
def page_account(facebook, workspace_a, unit):
    page = facebook_page_server
    return _stand_in_account(workspace_a, unit, "facebook_page", facebook, page.PAGE_ID, page.TOKEN)


@pytest.fixture
def instagram(settings, tmp_path):
    """The Instagram stand-in; a post's media are stored for this test alone, at a public address
    (Instagram fetches them from there)."""
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True  # the stand-in listens on 127.0.0.1
    settings.MEDIA_ROOT = tmp_path
    settings.CXM_BASE_URL = "https://cxm.example.com"
    with instagram_server.InstagramStub() as stub:
        yield stub


@pytest.fixture
def instagram_account(instagram, workspace_a, unit):
    ig = instagram_server
    # A publish attempt waits briefly for Instagram to process the media, looking often.
    wait = {"publish_wait_seconds": 0.3, "poll_seconds": 0.1}
    return _stand_in_account(workspace_a, unit, "instagram", instagram, ig.USER_ID, ig.TOKEN, **wait)


@pytest.fixture
def connect_stand_in():
    """connect_stand_in(workspace, unit, platform, stub, handle, token, name="", **options) -> the
    account of a stand-in, connected through the service as the form and the API connect one."""
    return _stand_in_account


def _stand_in_account(workspace, unit, platform: str, stub, handle: str, token: str, name="", **options):
    return account_create(
        workspace=workspace,
        platform=platform,
        handle=handle,
        display_name=name,
        base_url=stub.base_url,
        credentials={"access_token": token},
        business_unit=unit,
        options=options,
    )


@pytest.fixture
def attach_photo():
    """attach_photo(post, filename) -> the post's photo (Instagram publishes only media)."""

    def attach(post, filename: str = "photo.jpg") -> MediaAttachment:
        return MediaAttachment.objects.create(
            workspace=post.workspace,
            post=post,
            file=SimpleUploadedFile(filename, b"\xff\xd8\xff", content_type="image/jpeg"),
            filename=filename,
            content_type="image/jpeg",
        )

    return attach
