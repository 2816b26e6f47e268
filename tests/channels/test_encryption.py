import pytest
from django.db import connection

from cxm import encryption
from cxm.channels.models import ChannelAccount


def _raw(account_id):
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM channels_channelaccount WHERE id = %s", [account_id])
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_rotation_re_encrypts_every_row_under_the_newest_key(keys, workspace_a):
    accounts = [
        ChannelAccount.objects.create(
            workspace=workspace_a,
            platform="mastodon",
            handle=f"@a{n}@x.example",
            credentials={"access_token": f"secret-{n}"},
        )
        for n in range(3)
    ]
    assert all(_raw(a.pk).startswith(encryption.key_id(keys["old"]) + ":") for a in accounts)

    keys["use"](keys["new"], keys["old"])
    rewritten = encryption.rotate_all()
    assert rewritten["channels.ChannelAccount"] == 3
    assert all(_raw(a.pk).startswith(encryption.key_id(keys["new"]) + ":") for a in accounts)

    # the old key can now be dropped: everything still decrypts
    keys["use"](keys["new"])
    assert [ChannelAccount.objects.get(pk=a.pk).credentials["access_token"] for a in accounts] == [
        "secret-0",
        "secret-1",
        "secret-2",
    ]


@pytest.mark.django_db
def test_a_value_under_a_key_no_longer_configured_fails_loudly(keys, workspace_a):
    account = ChannelAccount.objects.create(
        workspace=workspace_a, platform="demo", handle="d", credentials={"token": "x"}
    )
    keys["use"](keys["new"])
    with pytest.raises(encryption.DecryptionError, match="no key with id"):
        ChannelAccount.objects.get(pk=account.pk)


def test_every_encrypted_field_is_known():
    assert (ChannelAccount, "credentials") in encryption.encrypted_fields()
