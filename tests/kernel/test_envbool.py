"""Yes/no settings read strictly: a value that is neither stops the start-up, naming the variable."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from cxm.conf import envbool


@pytest.mark.parametrize("value", ["1", "true", "True", "YES", "on", " On "])
def test_true_words_read_as_true(monkeypatch, value):
    monkeypatch.setenv("CXM_EXAMPLE", value)
    assert envbool("CXM_EXAMPLE") is True


@pytest.mark.parametrize("value", ["0", "false", "FALSE", "no", "Off"])
def test_false_words_read_as_false_even_with_a_true_default(monkeypatch, value):
    monkeypatch.setenv("CXM_EXAMPLE", value)
    assert envbool("CXM_EXAMPLE", True) is False


@pytest.mark.parametrize("default", [True, False])
def test_unset_or_empty_is_the_default(monkeypatch, default):
    monkeypatch.delenv("CXM_EXAMPLE", raising=False)
    assert envbool("CXM_EXAMPLE", default) is default
    monkeypatch.setenv("CXM_EXAMPLE", "")
    assert envbool("CXM_EXAMPLE", default) is default


@pytest.mark.parametrize("value", ["ture", "2", "enabled", "y", "-1"])
def test_any_other_value_is_refused_with_the_variable_named(monkeypatch, value):
    monkeypatch.setenv("CXM_HTTPS", value)
    with pytest.raises(ImproperlyConfigured, match=rf"CXM_HTTPS='{value}' is not a yes/no value"):
        envbool("CXM_HTTPS")
