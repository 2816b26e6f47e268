"""Comments under our ads: pulled from the platform into listening as paid mentions, and hidden.

Webhooks drop ad comments, so a scheduled pull reconciles: for every running ad it reads the
comments of the ad's post (its creative's effective_object_story_id) page by page, from the page
of the newest comment listening already holds for that ad (the cursor lives with that comment,
in its raw JSON). Listening's key table makes re-reading a page harmless: known comments come
back as duplicates. Listening then enriches them (language, sentiment) and care's rule opens
cases, as for every mention.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from statistics import median
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from ads import selectors, services
from ads.alert_delivery import COMMENT_ALERT_SECRET, comment_alert_delivery_plan
from ads.comment_mentions import PLATFORM, AdComment, ad_comment_mention
from ads.models import Ad, AdCampaign, AdCommentAlert, AdStatus, PushState
from ads.services.platform import ConnectorFactory, ads_connector
from cxm.audit.services import audit_record
from cxm.channels import outbound, signing
from cxm.channels.connectors.base import ConnectorError, RateLimited
from cxm.channels.retry import RetryPolicy
from listening import selectors as listening_selectors
from listening import services as listening_services

log = logging.getLogger(__name__)

MAX_PAGES_PER_AD = 20

# A spike: today's negative comments under an ad reach SPIKE_MIN_NEGATIVE and SPIKE_FACTOR times
# the ad's own baseline (median negative count per day over the previous BASELINE_DAYS, at least 1).
SPIKE_MIN_NEGATIVE = 5
SPIKE_FACTOR = 3.0
BASELINE_DAYS = 14

GUARD_DEFAULTS: dict[str, Any] = {
    "enabled": False,
    "threshold": 5,
    "window_minutes": 60,
    "keywords": [],
    "notify": [],  # email addresses the campaign's negative-comment alerts go to
    "webhook_url": "",  # where they are POSTed, signed the Standard Webhooks way
}
MAX_ALERT_RECIPIENTS = 20
# A guard pause Meta refused is queued again this many times (with backoff) before it is shown
# as failed for someone to pause the ad by hand.
GUARD_PAUSE_ATTEMPTS = 5
GUARD_PAUSE_RETRY = RetryPolicy(base=120.0, cap=1800.0, max_attempts=GUARD_PAUSE_ATTEMPTS, minimum=60.0)


@dataclass
class CommentsPull:
    ads: int = 0
    pulled: int = 0
    accepted: int = 0
    failed: dict[int, str] = field(default_factory=dict)


def ads_with_comments(*, workspace_id: int | None = None):
    """Running ads whose post we know: the ones that can gather comments."""
    rows = (
        Ad.objects.filter(
            status=AdStatus.ACTIVE, campaign__status=AdStatus.ACTIVE, ad_set__status=AdStatus.ACTIVE
        )
        .exclude(external_id="")
        .exclude(effective_object_story_id="")
    )
    if workspace_id is not None:
        rows = rows.filter(workspace_id=workspace_id)
    return rows


def ad_comments_pull_all() -> CommentsPull:
    """Pull the comments of every running ad (beat runs this every few minutes)."""
    result = CommentsPull()
    for ad_id in ads_with_comments().values_list("pk", flat=True):
        one = ad_comments_pull(ad_id=ad_id)
        result.ads += 1
        result.pulled += one.pulled
        result.accepted += one.accepted
        result.failed.update(one.failed)
    return result


def ad_comments_pull(*, ad_id: int, connector=None) -> CommentsPull:
    """Pull what is new under one ad's post into listening; safe to run twice."""
    result = CommentsPull(ads=1)
    ad = Ad.objects.select_related("campaign", "campaign__account").filter(pk=ad_id).first()
    if ad is None or not ad.effective_object_story_id:
        return result
    campaign = ad.campaign
    connector = connector or ads_connector(campaign.account)
    _, after = listening_selectors.ad_comments_resume_cursor(workspace_id=ad.workspace_id, ad_id=ad.pk)
    # The Page's own answers (sent from care) come back in the stream; they are not mentions.
    page_id = str((campaign.account.options or {}).get("page_id") or "")
    try:
        for _ in range(MAX_PAGES_PER_AD):
            rows, next_after = connector.post_comments(ad.effective_object_story_id, after=after)
            comments = [AdComment.from_graph(row) for row in rows if row.get("message")]
            raws = [
                ad_comment_mention(ad, comment, page_after=after, via="pull")
                for comment in comments
                if not comment.by_page(page_id)
            ]
            result.pulled += len(rows)
            if raws:
                stored = listening_services.mentions_ingest(workspace_id=ad.workspace_id, raws=raws)
                result.accepted += stored.accepted
            if next_after is None:
                break
            after = next_after
    except RateLimited as exc:
        result.failed[ad.pk] = f"rate limited: {exc}"  # the next run resumes from the cursor
    except ConnectorError as exc:
        log.warning("pulling comments of ad %s failed: %s", ad.pk, exc)
        result.failed[ad.pk] = str(exc)
    return result


def ad_comment_hide(*, workspace, ad: Ad, mention_id: int, by=None, request=None) -> bool:
    """Hide a comment under one of our ads, on the platform first, then record it in listening."""
    mention = listening_selectors.mention_get(workspace=workspace, mention_id=mention_id)
    if mention is None or (mention.raw or {}).get("ad_id") != ad.pk:
        raise ValidationError({"mention": "Not a comment under this ad."})
    if (mention.raw or {}).get("hidden"):
        return False
    ads_connector(ad.campaign.account).comment_hide(mention.external_id)
    return listening_services.mention_mark_hidden(
        workspace=workspace, mention=mention, by=by, request=request
    )


def ad_comments_guard(
    *, ad: Ad, threshold: int, window: timedelta, keywords: list[str] | None = None, by=None
) -> bool:
    """The guard rule: pause the ad (on the platform, through the audited status change) when
    its negative or flagged-keyword comments within `window` reach `threshold`. True if paused.

    Once it paused an ad, only comments after that moment count: an ad someone re-activates is
    not paused again for the comments that tripped the guard before."""
    if ad.status != AdStatus.ACTIVE or threshold < 1:
        return False
    since = timezone.now() - window
    if ad.comment_guard_paused_at is not None:
        since = max(since, ad.comment_guard_paused_at)
    count = listening_selectors.ad_negative_comment_count(
        workspace_id=ad.workspace_id, ad_id=ad.pk, since=since, keywords=keywords or []
    )
    if count < threshold:
        return False
    now = timezone.now()
    with transaction.atomic():
        services.ad_status_set(ad=ad, status=AdStatus.PAUSED, by=by or "comment guard")
        Ad.objects.filter(pk=ad.pk).update(comment_guard_paused_at=now)
        _guard_pause_note(
            ad,
            replace=True,
            state="pending",
            paused_at=now,
            confirmed_at=None,
            error="",
            attempts=0,
            retry_at=None,
        )
    return True


def _guard_pause_note(ad: Ad, *, replace: bool = False, **values: Any) -> None:
    """Write (or merge into) the campaign's record of the guard's pause of one ad, in one
    statement: concurrent notes on other ads of the campaign are kept."""
    key = str(ad.pk)
    payload = json.dumps(values, cls=DjangoJSONEncoder)
    with connection.cursor() as db:
        if replace:
            db.execute(
                "UPDATE ads_adcampaign SET comment_guard_pauses = jsonb_set("
                "coalesce(comment_guard_pauses, '{}'::jsonb), %s::text[], %s::jsonb) WHERE id = %s",
                [[key], payload, ad.campaign_id],
            )
        else:
            db.execute(
                "UPDATE ads_adcampaign SET comment_guard_pauses = jsonb_set("
                "coalesce(comment_guard_pauses, '{}'::jsonb), %s::text[], "
                "coalesce(comment_guard_pauses -> %s, '{}'::jsonb) || %s::jsonb) WHERE id = %s",
                [[key], key, payload, ad.campaign_id],
            )


def guard_pauses_pending() -> list[int]:
    """Ids of the ads whose guard pause Meta has not confirmed yet."""
    pending: list[int] = []
    notes = AdCampaign.objects.exclude(comment_guard_pauses={}).values_list("comment_guard_pauses", flat=True)
    for pauses in notes:
        pending += [int(ad_id) for ad_id, note in (pauses or {}).items() if note.get("state") == "pending"]
    return sorted(pending)


def ad_comment_guard_confirm(*, ad_id: int, connector_factory: ConnectorFactory | None = None) -> str:
    """Make sure the platform took the guard's pause of an ad, and record when it confirmed it.

    The pause goes out through the ad's push (claimed, sent, recorded once); the push records
    the ad as synced only after Meta answered the status update with `{"success": true}`, which
    is the confirmation. A transient failure is retried by the push with backoff; a refusal is
    queued again up to GUARD_PAUSE_ATTEMPTS times, then recorded as failed and shown. Safe to run
    any number of times; answers the note's state: pending, confirmed, failed or superseded."""
    ad = Ad.objects.select_related("campaign", "workspace").filter(pk=ad_id).first()
    note = ((ad.campaign.comment_guard_pauses or {}).get(str(ad_id)) or {}) if ad is not None else {}
    state = note.get("state") or ""
    if ad is None or state != "pending":
        return state
    if ad.status != AdStatus.PAUSED:
        # Someone set the ad's status by hand meanwhile: theirs is the decision that goes out.
        _guard_pause_note(ad, state="superseded", retry_at=None)
        return "superseded"
    if ad.push_state == PushState.QUEUED:
        services.object_push(model=Ad, object_id=ad.pk, connector_factory=connector_factory)
        ad.refresh_from_db()
    if ad.push_state == PushState.SYNCED and ad.platform_status == AdStatus.PAUSED:
        confirmed_at = ad.pushed_at or timezone.now()
        with transaction.atomic():
            _guard_pause_note(ad, state="confirmed", confirmed_at=confirmed_at, error="", retry_at=None)
            audit_record(
                workspace=ad.workspace,
                actor="comment guard",
                action="ads.comment_guard_pause_confirmed",
                target=ad,
                after={"status": AdStatus.PAUSED, "confirmed_at": confirmed_at.isoformat()},
                object_repr=str(ad),
            )
        return "confirmed"
    if ad.push_state == PushState.FAILED:
        attempts = int(note.get("attempts") or 0) + 1
        if GUARD_PAUSE_RETRY.exhausted(attempts):
            with transaction.atomic():
                _guard_pause_note(ad, state="failed", error=ad.error, attempts=attempts, retry_at=None)
                audit_record(
                    workspace=ad.workspace,
                    actor="comment guard",
                    action="ads.comment_guard_pause_failed",
                    target=ad,
                    after={"error": ad.error[:500], "attempts": attempts},
                    object_repr=str(ad),
                )
            return "failed"
        retry_at = timezone.now() + timedelta(seconds=GUARD_PAUSE_RETRY.backoff(attempts))
        with transaction.atomic():
            # Queued again, due later: the tick hands it to a worker then, and the next watch
            # run reads the outcome.
            Ad.objects.filter(pk=ad.pk, push_state=PushState.FAILED).update(
                push_state=PushState.QUEUED, attempts=0, next_attempt_at=retry_at
            )
            _guard_pause_note(ad, error=ad.error, attempts=attempts, retry_at=retry_at)
        return "pending"
    # Waiting for its turn or retrying a transient failure: show why, and when it goes again.
    _guard_pause_note(ad, error=ad.error, retry_at=ad.next_attempt_at)
    return "pending"


def comment_guard_clean(value: Any) -> dict[str, Any]:
    """A campaign's comment guard rule, checked and completed with the defaults."""
    if not isinstance(value, dict):
        raise ValidationError(
            {"comment_guard": "An object with enabled, threshold, window_minutes, keywords."}
        )
    unknown = set(value) - set(GUARD_DEFAULTS)
    if unknown:
        raise ValidationError({"comment_guard": f"Unknown keys: {', '.join(sorted(unknown))}."})
    guard = {**GUARD_DEFAULTS, **value}
    errors = {}
    if not isinstance(guard["enabled"], bool):
        errors["enabled"] = "true or false."
    for name, upper in (("threshold", 10_000), ("window_minutes", 7 * 24 * 60)):
        number = guard[name]
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= upper:
            errors[name] = f"A whole number from 1 to {upper}."
    keywords = guard["keywords"]
    if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords) or len(keywords) > 50:
        errors["keywords"] = "A list of at most 50 words."
    else:
        guard["keywords"] = [k.strip() for k in keywords if k.strip()]
    notify = guard["notify"]
    if not isinstance(notify, list) or not all(isinstance(a, str) for a in notify):
        errors["notify"] = "A list of email addresses."
    else:
        cleaned: list[str] = []
        for address in (a.strip() for a in notify):
            if not address or address.lower() in {known.lower() for known in cleaned}:
                continue
            try:
                validate_email(address)
            except ValidationError:
                errors["notify"] = f"{address} is not an email address."
                break
            cleaned.append(address)
        if len(cleaned) > MAX_ALERT_RECIPIENTS:
            errors["notify"] = f"At most {MAX_ALERT_RECIPIENTS} recipients."
        guard["notify"] = cleaned
    webhook_url = guard["webhook_url"]
    if not isinstance(webhook_url, str):
        errors["webhook_url"] = "An http:// or https:// URL, or empty."
    else:
        guard["webhook_url"] = webhook_url.strip()
        if guard["webhook_url"]:
            try:
                URLValidator(schemes=["http", "https"])(guard["webhook_url"])
            except ValidationError:
                errors["webhook_url"] = "An http:// or https:// URL, or empty."
    if errors:
        raise ValidationError({"comment_guard": [f"{key}: {text}" for key, text in errors.items()]})
    return guard


@transaction.atomic
def campaign_comment_guard_set(
    *, campaign: AdCampaign, guard: dict, webhook_secret: str | None = None, by=None, request=None
) -> AdCampaign:
    """Set (or switch off) the rule that pauses a campaign's ads on a wave of bad comments, and
    where its negative-comment alerts go.

    A webhook URL without a secret gets a fresh `whsec_` one (`webhook_secret` sets one instead);
    clearing the URL clears the secret. A new secret replacing one is a rotation: the previous one
    keeps signing for the grace period. The secret is never written to the audit log."""
    guard = comment_guard_clean(guard)
    # An unchanged address is left to the send-time check, so other edits still save.
    if guard["webhook_url"] and guard["webhook_url"] != (campaign.comment_guard or {}).get("webhook_url"):
        try:
            outbound.target_check_on_save(guard["webhook_url"], workspace=campaign.workspace)
        except outbound.UnsafeTarget as exc:
            raise ValidationError({"comment_guard": [f"webhook_url: {exc}"]}) from None
    if webhook_secret:
        webhook_secret = webhook_secret.strip()
        try:
            signing.sign_standard(secrets=[webhook_secret], msg_id="check", timestamp=0, body=b"")
        except ValueError:
            raise ValidationError(
                {"comment_alert_webhook_secret": "Expected a Standard Webhooks secret: whsec_ and base64."}
            ) from None
    campaign = AdCampaign.objects.select_for_update().get(workspace_id=campaign.workspace_id, pk=campaign.pk)
    before = dict(campaign.comment_guard or {})
    secret = campaign.comment_alert_webhook_secret
    if not guard["webhook_url"]:
        secret = None
    elif webhook_secret:
        secret = webhook_secret
    elif not secret:
        secret = signing.new_standard_secret()
    secret_changed = secret != campaign.comment_alert_webhook_secret
    if before == guard and not secret_changed:
        return campaign
    if secret is None:
        COMMENT_ALERT_SECRET.clear(campaign)
    elif secret_changed:  # a secret set by hand is a rotation too
        COMMENT_ALERT_SECRET.keep_previous(campaign)
    campaign.comment_guard = guard
    campaign.comment_alert_webhook_secret = secret
    campaign.save(update_fields=["comment_guard", *COMMENT_ALERT_SECRET.fields, "updated_at"])
    audit_record(
        workspace=campaign.workspace,
        actor=by,
        action="ads.campaign_comment_guard",
        target=campaign,
        before={"comment_guard": before},
        after={"comment_guard": guard, "webhook_secret_changed": secret_changed},
        request=request,
        object_repr=str(campaign),
    )
    return campaign


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def ad_comment_spike_detect(*, ad: Ad, today: date | None = None) -> AdCommentAlert | None:
    """Raise the day's alert for an ad when its negative comments today are well above its own
    recent baseline. One alert per ad and day; returns the new alert, or None."""
    today = today or timezone.localdate()

    def negative_since(day: date) -> int:
        return listening_selectors.ad_negative_comment_count(
            workspace_id=ad.workspace_id, ad_id=ad.pk, since=_day_start(day), keywords=[]
        )

    negative = negative_since(today)
    # The baseline costs a query a day; most ads never reach the minimum, so it is read only then.
    if negative < SPIKE_MIN_NEGATIVE or AdCommentAlert.objects.filter(ad=ad, day=today).exists():
        return None
    since = [negative_since(today - timedelta(days=d)) for d in range(BASELINE_DAYS + 1)]
    history = [since[d] - since[d - 1] for d in range(1, BASELINE_DAYS + 1)]  # day d before today
    baseline = max(1.0, float(median(history)))
    if negative < SPIKE_FACTOR * baseline:
        return None
    try:
        with transaction.atomic():
            alert = AdCommentAlert.objects.create(
                workspace_id=ad.workspace_id,
                ad=ad,
                campaign_id=ad.campaign_id,
                day=today,
                negative=negative,
                baseline=baseline,
            )
            # The campaign's recipients hear of it once this commits (see ads.alert_delivery).
            return comment_alert_delivery_plan(alert=alert)
    except IntegrityError:  # another run raised it meanwhile
        return None


@dataclass
class CommentsWatch:
    alerts: list[int] = field(default_factory=list)
    paused: list[int] = field(default_factory=list)
    confirmations: dict[int, str] = field(default_factory=dict)  # ad id -> state of its guard pause


def ad_comments_watch(*, ad_ids: list[int] | None = None) -> CommentsWatch:
    """After a pull: look for spikes of negative comments on every running ad, and apply the
    comment guard of the campaigns that have it on."""
    result = CommentsWatch()
    ads = ads_with_comments().select_related("campaign")
    if ad_ids is not None:
        ads = ads.filter(pk__in=ad_ids)
    for ad in ads:
        alert = ad_comment_spike_detect(ad=ad)
        if alert is not None:
            result.alerts.append(alert.pk)
        guard = ad.campaign.comment_guard or {}
        if not guard.get("enabled"):
            continue
        guard = {**GUARD_DEFAULTS, **guard}
        paused = ad_comments_guard(
            ad=ad,
            threshold=int(guard["threshold"]),
            window=timedelta(minutes=int(guard["window_minutes"])),
            keywords=list(guard["keywords"]),
        )
        if paused:
            result.paused.append(ad.pk)
    # Each pause the guard made is confirmed by the platform, or retried and shown until it is.
    for ad_id in guard_pauses_pending():
        if ad_ids is None or ad_id in ad_ids:
            result.confirmations[ad_id] = ad_comment_guard_confirm(ad_id=ad_id)
    return result


@transaction.atomic
def ad_comment_alert_acknowledge(*, alert: AdCommentAlert, by=None, request=None) -> AdCommentAlert:
    """Someone has seen the alert; it leaves the open list."""
    alert = AdCommentAlert.objects.select_for_update().get(workspace_id=alert.workspace_id, pk=alert.pk)
    if alert.acknowledged:
        return alert
    alert.acknowledged = True
    alert.acknowledged_by = by if getattr(by, "is_authenticated", False) else None
    alert.acknowledged_at = timezone.now()
    alert.save(update_fields=["acknowledged", "acknowledged_by", "acknowledged_at"])
    audit_record(
        workspace=alert.workspace,
        actor=by,
        action="ads.comment_alert_acknowledge",
        target=alert,
        request=request,
        object_repr=str(alert),
    )
    return alert


def ad_comment_hide_by_mention(*, workspace, mention_id: int, by=None, request=None) -> bool:
    """Hide a comment under one of the workspace's ads, found from its mention id.
    Raises Ad.DoesNotExist when the mention is not a comment under one of them."""
    mention = listening_selectors.mention_get(workspace=workspace, mention_id=mention_id)
    ad_id = (mention.raw or {}).get("ad_id") if mention is not None else None
    if mention is None or mention.media_type != "paid" or not ad_id:
        raise Ad.DoesNotExist
    ad = Ad.objects.select_related("campaign__account").get(workspace=workspace, pk=ad_id)
    return ad_comment_hide(workspace=workspace, ad=ad, mention_id=mention_id, by=by, request=request)


@dataclass(frozen=True)
class CommentHidden:
    hidden_at: datetime | None
    newly: bool  # False when it was hidden already


def ad_comment_hide_in_case(*, workspace, comment_id: str, by=None, request=None) -> CommentHidden:
    """Hide, from a care case, a comment under one of the workspace's ads: on the platform first
    (Meta confirms with `{"success": true}`, or this raises), then recorded, audited, in listening.
    Raises Ad.DoesNotExist when the comment is not one under the workspace's ads."""
    found = listening_selectors.mentions_by_external_ids(
        workspace=workspace, platform=PLATFORM, external_ids=[str(comment_id)]
    )
    mention = found[0] if found else None
    if mention is None:
        raise Ad.DoesNotExist
    newly = ad_comment_hide_by_mention(workspace=workspace, mention_id=mention.pk, by=by, request=request)
    hidden = selectors.ad_comments_hidden(workspace=workspace, comment_ids=[str(comment_id)])
    return CommentHidden(hidden_at=hidden.get(str(comment_id)), newly=newly)
