"""Guesses sent in parallel are counted like guesses sent one after another: no more than the
limit get their password checked."""

from __future__ import annotations

import threading
import time

import pytest
from django.contrib.auth import forms as auth_forms
from django.test import Client
from django.urls import reverse

from cxm.tenancy.models import LoginFailure
from tests.concurrency import at_once
from tests.factories import UserFactory


@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_get_no_more_password_checks_than_the_limit(settings, monkeypatch):
    UserFactory(username="dana")
    checked = []
    original = auth_forms.authenticate

    def slow_check(*args, **kwargs):
        checked.append(threading.get_ident())
        time.sleep(0.5)  # a real hash takes time; every guess is under way before any is counted
        return original(*args, **kwargs)

    monkeypatch.setattr(auth_forms, "authenticate", slow_check)

    def guess():
        response = Client().post(
            reverse("login"), {"username": "dana", "password": "wrong password"}, REMOTE_ADDR="203.0.113.7"
        )
        return response.content.decode()

    pages = at_once(*[guess] * 10)

    assert len(checked) == settings.CXM_LOGIN_FAILURES_PER_ACCOUNT == 5
    assert all("Too many failed sign-ins" in page or "do not match an account" in page for page in pages)
    assert sum("Too many failed sign-ins" in page for page in pages) >= 5  # refused unchecked
    assert LoginFailure.objects.filter(username="dana").count() == 5
