"""`{% youtube_quota account as quota %}`: what the account tile says of a YouTube channel's
daily quota, the numbers written the way the reader's language writes them."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format

from cxm.channels.selectors import youtube_quota_state

register = template.Library()


@register.simple_tag
def youtube_quota(account) -> dict | None:
    state = youtube_quota_state(account=account)
    if state is None:
        return None
    return {
        "left": state.left,
        "left_text": number_format(state.left, force_grouping=True),
        "budget_text": number_format(state.budget, force_grouping=True),
    }
