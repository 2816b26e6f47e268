"""Meta's Page webhooks: the fast path for comments on ads.

Meta sends `feed` changes for the Page an ad account's ads run as: a new comment arrives here
seconds after it is written. Meta is known to drop some of these deliveries for comments on ads
(dark posts), so the scheduled pull (`ads.comments`) stays the source of truth and reconciles;
a comment that came both ways is one mention, de-duplicated on its id.

The subscription handshake (GET `hub.mode=subscribe`, `hub.verify_token`, `hub.challenge`) and the
payload's `X-Hub-Signature-256` (`sha256=` + HMAC-SHA256 of the raw body with the app secret,
compared in constant time) follow Meta's Webhooks reference and are checked by
`cxm.channels.meta_signature`, which the app-level endpoint for Pages, Instagram and WhatsApp
shares. The account holds both as credentials: `webhook_verify_token` and `app_secret`. Meta's
payloads carry no timestamp to sign and no delivery id: a replayed delivery is harmless because
each comment is stored once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ads import selectors
from ads.comment_mentions import AdComment, ad_comment_mention
from cxm.channels import meta_signature
from listening import selectors as listening_selectors
from listening import services as listening_services

# Signature missing or wrong, or the account has no app secret to check it with.
WebhookRefused = meta_signature.SignatureRefused


@dataclass
class WebhookResult:
    comments: int = 0
    accepted: int = 0
    duplicates: int = 0
    skipped: list[str] = field(default_factory=list)


def subscription_challenge(*, account, mode: str, token: str, challenge: str) -> str | None:
    """The challenge to echo when Meta's subscription request carries our verify token."""
    return meta_signature.subscription_challenge(
        expected_token=str((account.credentials or {}).get("webhook_verify_token") or ""),
        mode=mode,
        token=token,
        challenge=challenge,
    )


def signature_check(*, account, body: bytes, header: str) -> None:
    meta_signature.signature_check(
        secret=str((account.credentials or {}).get("app_secret") or ""),
        body=body,
        header=header,
        when_unset="this ad account has no app_secret to check Meta's signature with",
    )


def comments_receive(*, account, payload: Any) -> WebhookResult:
    """Store every new comment under one of the account's ads as a paid mention."""
    result = WebhookResult()
    page_id = str((account.options or {}).get("page_id") or "")
    changes = [
        change.get("value") or {}
        for entry in (payload or {}).get("entry") or []
        if isinstance(entry, dict)
        for change in entry.get("changes") or []
        if isinstance(change, dict) and change.get("field") == "feed"
    ]
    comments = [
        value
        for value in changes
        if isinstance(value, dict) and value.get("item") == "comment" and value.get("verb") == "add"
    ]
    result.comments = len(comments)
    ads_by_post = selectors.ads_by_story(
        account=account, story_ids=sorted({str(v.get("post_id") or "") for v in comments} - {""})
    )
    raws = []
    for value in comments:
        ad = ads_by_post.get(str(value.get("post_id") or ""))
        if ad is None:
            result.skipped.append(f"{value.get('comment_id')}: not under one of this account's ads")
            continue
        if not value.get("comment_id") or not value.get("message"):
            result.skipped.append(f"{value.get('comment_id')}: no id or text")
            continue
        comment = AdComment.from_webhook(value)
        if comment.by_page(page_id):
            continue  # the Page's own answer, sent from care
        # The pull resumes from the newest comment's page: keep the page the pull had reached, so
        # a comment that came this way does not send the next pull back to the first page.
        _, page_after = listening_selectors.ad_comments_resume_cursor(
            workspace_id=ad.workspace_id, ad_id=ad.pk
        )
        raws.append(ad_comment_mention(ad, comment, page_after=page_after, via="webhook"))
    if raws:
        stored = listening_services.mentions_ingest(workspace_id=account.workspace_id, raws=raws)
        result.accepted, result.duplicates = stored.accepted, stored.duplicates
    return result
