"""`make run-standins` points the platform at stand-ins a person can sign in through."""

from __future__ import annotations

import httpx

from tests.standins import META_APP_ID, meta_standin


def test_the_meta_standin_offers_facebooks_dialog_and_the_settings_that_reach_it():
    with meta_standin(base_url="http://127.0.0.1:8000", port=0) as env:
        assert env["CXM_META_APP_ID"] == META_APP_ID
        dialog = httpx.get(
            env["CXM_META_DIALOG_URL"],
            params={
                "client_id": META_APP_ID,
                "redirect_uri": "http://127.0.0.1:8000/admin/accounts/connect/meta/callback/",
                "state": "s1",
            },
        )
        assert dialog.status_code == 200 and "Continue" in dialog.text
        assert "code=the-code" in dialog.text and "state=s1" in dialog.text
        elsewhere = httpx.get(
            env["CXM_META_DIALOG_URL"], params={"client_id": META_APP_ID, "redirect_uri": "http://evil/"}
        )
        assert elsewhere.status_code == 400
