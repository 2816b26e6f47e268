"""`make run-standins` points the platform at stand-ins a person can sign in through: each one's
entry point, as a browser or the platform first reaches it, with the settings that lead there."""

from __future__ import annotations

import httpx

from tests.channels.stubs.telegram_server import TOKEN
from tests.standins import (
    META_APP_ID,
    meta_standin,
    telegram_standin,
    x_standin,
    youtube_standin,
)

BASE_URL = "http://127.0.0.1:8000"


def test_the_meta_standin_offers_facebooks_dialog_and_the_settings_that_reach_it():
    with meta_standin(base_url=BASE_URL, port=0) as meta:
        env = meta.env
        assert env["CXM_META_APP_ID"] == META_APP_ID
        dialog = httpx.get(
            env["CXM_META_DIALOG_URL"],
            params={
                "client_id": META_APP_ID,
                "redirect_uri": f"{BASE_URL}/admin/accounts/connect/meta/callback/",
                "state": "s1",
            },
        )
        assert dialog.status_code == 200 and "Continue" in dialog.text
        assert "code=the-code" in dialog.text and "state=s1" in dialog.text
        elsewhere = httpx.get(
            env["CXM_META_DIALOG_URL"], params={"client_id": META_APP_ID, "redirect_uri": "http://evil/"}
        )
        assert elsewhere.status_code == 400


def test_the_x_standin_shows_xs_consent_page_for_the_client_it_is_given():
    with x_standin(base_url=BASE_URL, port=0) as x:
        env = x.env
        consent = httpx.get(
            env["CXM_X_AUTHORIZE_URL"],
            params={
                "response_type": "code",
                "client_id": env["CXM_X_CLIENT_ID"],
                "redirect_uri": f"{BASE_URL}/admin/accounts/connect/x/callback/",
                "state": "s1",
                "code_challenge": "c" * 43,
                "code_challenge_method": "S256",
            },
        )
        assert consent.status_code == 200 and "Authorize app" in consent.text and "state=s1" in consent.text
        assert env["CXM_X_API_URL"] and env["CXM_X_CLIENT_SECRET"]
        assert "Connect X" in x.steps[0]


def test_the_youtube_standin_shows_googles_consent_page_for_the_client_it_is_given():
    with youtube_standin(base_url=BASE_URL, port=0) as youtube:
        env = youtube.env
        consent = httpx.get(
            env["CXM_YOUTUBE_AUTHORIZE_URL"],
            params={
                "response_type": "code",
                "client_id": env["CXM_YOUTUBE_CLIENT_ID"],
                "redirect_uri": f"{BASE_URL}/admin/accounts/connect/youtube/callback/",
                "scope": "https://www.googleapis.com/auth/youtube.force-ssl",
                "access_type": "offline",
                "state": "s1",
            },
        )
        assert consent.status_code == 200 and "Allow" in consent.text and "state=s1" in consent.text
        refused = httpx.post(env["CXM_YOUTUBE_TOKEN_URL"], data={"grant_type": "authorization_code"})
        assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
        assert env["CXM_YOUTUBE_API_URL"].endswith("/youtube/v3")
        assert "Connect YouTube" in youtube.steps[0]


def test_the_telegram_standin_answers_getme_for_the_token_it_prints():
    with telegram_standin(port=0) as telegram:
        assert f" {TOKEN} " in telegram.steps[0]
        me = httpx.post(f"{telegram.env['CXM_TELEGRAM_API_URL']}/bot{TOKEN}/getMe", json={})
        assert me.json()["ok"] is True and me.json()["result"]["username"] == "kopinusantara_bot"
