"""Inbound messages become cases: direct messages and emails from the channel sink, public mentions
handed over by listening (as plain values: care does not read listening's tables).

Threading: a message joins the customer's latest case on the same channel account and kind that
is not closed. A resolved case reopens; a case waiting for the customer opens again; a closed
case stays closed and a new one starts.

Never lost, never twice: the sink runs inside the transaction that advances the account's
cursor, so a failure here stores nothing and the page is fetched again. Each message is stored
once per (workspace, platform, external id): a unique constraint backs a check made under a
per-conversation advisory lock, and the case a message would open is created in the same
savepoint as the message, so a duplicate never leaves an empty case behind.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from care import tasks
from care.models import Case, CaseStatus, ChannelKind, Direction, Message, Queue, RuleEvent
from care.services import rules
from care.services.cases import status_change
from care.services.clocks import policy_for, sla_apply
from care.services.common import case_event
from care.services.routing import queue_for_case
from cxm.channels.connectors.base import Item, ItemKind
from cxm.channels.models import ChannelAccount
from cxm.channels.sinks import InboundContext
from cxm.customers.services import AuthorKey, identities_resolve
from listening.selectors import languages_detect

CARE_KINDS = {ItemKind.DM: ChannelKind.DM, ItemKind.EMAIL: ChannelKind.EMAIL}
KEPT_META = ("headers", "attachments")


@dataclass(frozen=True)
class Inbound:
    """One message from a customer, whatever brought it."""

    platform: str
    external_id: str
    author: AuthorKey
    text: str
    occurred_at: datetime
    channel_kind: str
    account_id: int | None = None
    business_unit_id: int | None = None
    url: str = ""
    in_reply_to: str = ""
    thread_id: str = ""
    subject: str = ""
    # The customer's language as listening detects it; "" until intake detects it from the text.
    language: str = ""
    # What the platform says the language is: kept on the message when the text is too short
    # to tell, never on the case (a client's default language is often not the customer's).
    language_hint: str = ""
    sentiment: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    # Set by the channel sink: account_id is the workspace's account the message arrived on and
    # business_unit_id is that account's, so opening a case need not read the account again.
    account_known: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.platform, self.external_id)


@dataclass
class IntakeResult:
    cases: dict[tuple[str, str], int] = field(default_factory=dict)  # (platform, external id) -> case id
    created: list[int] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)
    stored: int = 0
    duplicates: int = 0


class _Duplicate(Exception):
    """Raised inside a savepoint to undo a case opened for a message stored meanwhile."""


def care_sink(context: InboundContext, items: Sequence[Item]) -> None:
    """The channel sink: direct messages and emails, from connectors and webhooks."""
    wanted = [item for item in items if item.kind in CARE_KINDS]
    if wanted:
        messages_receive(
            workspace_id=context.workspace_id, inbound=[inbound_from_item(context, i) for i in wanted]
        )


def inbound_from_item(context: InboundContext, item: Item) -> Inbound:
    platform_id = item.author.platform_id or item.author.handle or f"unknown:{item.external_id}"
    return Inbound(
        platform=item.platform,
        external_id=item.external_id[:500],
        author=AuthorKey(item.platform, platform_id[:255], item.author.handle, item.author.name),
        text=item.text,
        occurred_at=item.created_at,
        channel_kind=CARE_KINDS[item.kind],
        account_id=context.account_id,
        business_unit_id=context.business_unit_id,
        url=item.url,
        in_reply_to=item.in_reply_to or "",
        thread_id=item.thread_id or "",
        subject=item.subject,
        language_hint=item.language_hint or "",
        meta={key: item.raw[key] for key in KEPT_META if isinstance(item.raw, dict) and key in item.raw},
        account_known=True,
    )


def _lock_conversations(workspace_id: int, keys: list[tuple[int, int, str]]) -> None:
    # One statement for the whole batch; the keys are sorted (and unnest keeps array order), so
    # two batches that share conversations take the locks in the same order.
    names = [f"care:conversation:{workspace_id}:{p}:{a}:{k}" for p, a, k in sorted(keys)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_advisory_xact_lock(hashtextextended(name, 0)))"
            " FROM unnest(%s::text[]) AS t(name)",
            [names],
        )


@dataclass
class _Batch:
    """What one intake batch reads once rather than per message: active rules by event, the
    channel accounts, queues and SLA policies that new cases are opened with."""

    workspace_id: int
    rules: dict[str, list] = field(default_factory=dict)
    accounts: dict[int, ChannelAccount | None] = field(default_factory=dict)
    queues: list | None = None
    policies: dict[str, Any] = field(default_factory=dict)

    def account(self, account_id: int | None) -> ChannelAccount | None:
        if not account_id:
            return None
        if account_id not in self.accounts:
            self.accounts[account_id] = ChannelAccount.objects.filter(
                pk=account_id, workspace_id=self.workspace_id
            ).first()
        return self.accounts[account_id]

    def queue_list(self) -> list:
        if self.queues is None:
            self.queues = list(
                Queue.objects.filter(workspace_id=self.workspace_id).order_by("position", "id")
            )
        return self.queues

    def policy(self, priority: str):
        if priority not in self.policies:
            self.policies[priority] = policy_for(workspace_id=self.workspace_id, priority=priority)
        return self.policies[priority]


def messages_receive(
    *, workspace_id: int, inbound: Sequence[Inbound], by=None, now: datetime | None = None
) -> IntakeResult:
    """Store each message once and file it into its case (see the module docstring)."""
    now = now or timezone.now()
    result = IntakeResult()
    if not inbound:
        return result
    inbound = _with_languages(inbound)
    batch = _Batch(workspace_id=workspace_id)
    with transaction.atomic():
        resolved = identities_resolve(workspace_id=workspace_id, authors=[item.author for item in inbound])
        # A new sender whose address or number a known customer holds is resolved to that
        # customer's profile (identities_resolve links them), so the message joins their cases.
        profile_of = {
            item.key: resolved[(item.author.platform, item.author.platform_id)].profile_id for item in inbound
        }
        conversations: dict[tuple[int, int, str], list[Inbound]] = {}
        for item in inbound:
            key = (profile_of[item.key], item.account_id or 0, item.channel_kind)
            conversations.setdefault(key, []).append(item)
        _lock_conversations(workspace_id, list(conversations))
        stored = Message.objects.filter(
            workspace_id=workspace_id,
            direction=Direction.INBOUND,
            platform__in={item.platform for item in inbound},
            external_id__in={item.external_id for item in inbound},
        ).values_list("platform", "external_id", "case_id")
        known = {(platform, external_id): case_id for platform, external_id, case_id in stored}
        fired: list[tuple[Case, str, Message | None, dict]] = []
        for key in sorted(conversations):
            for item in sorted(conversations[key], key=lambda i: i.occurred_at):
                if item.key in known:
                    result.duplicates += 1
                    result.cases[item.key] = known[item.key]
                    continue
                try:
                    with transaction.atomic():
                        case, message, events = _file(batch, key, item, resolved, by=by, now=now)
                except _Duplicate:
                    result.duplicates += 1
                    existing = Message.objects.filter(
                        workspace_id=workspace_id,
                        direction=Direction.INBOUND,
                        platform=item.platform,
                        external_id=item.external_id,
                    ).first()
                    if existing is not None:
                        result.cases[item.key] = known[item.key] = existing.case_id
                    continue
                known[item.key] = case.pk
                result.cases[item.key] = case.pk
                result.stored += 1
                if "created" in events:
                    result.created.append(case.pk)
                    fired.append((case, RuleEvent.CASE_CREATED, message, {}))
                if "reopened" in events:
                    result.reopened.append(case.pk)
                if "status" in events:
                    fired.append(
                        (case, RuleEvent.STATUS_CHANGED, message, {"previous_status": events["status"]})
                    )
                fired.append((case, RuleEvent.MESSAGE_RECEIVED, message, {}))
        if fired:
            # One read of the active rules for every event of the batch (most batches: none).
            for rule in rules.rules_active(
                workspace_id=workspace_id, events={event for _, event, _, _ in fired}
            ):
                batch.rules.setdefault(rule.event, []).append(rule)
        for case, event, message, extra in fired:
            if batch.rules.get(event):
                rules.rules_fire(
                    case=case, event=event, message=message, extra=extra, rules=batch.rules[event]
                )
        if result.created:
            created = list(result.created)
            transaction.on_commit(
                lambda: tasks.cases_route.delay(case_ids=created, workspace_id=workspace_id)
            )
    return result


def _with_languages(inbound: Sequence[Inbound]) -> list[Inbound]:
    """Each message with its language detected from its text, as the Explorer detects a
    mention's, unless it came with one (a mention carries listening's own detection)."""
    todo = [index for index, item in enumerate(inbound) if not item.language]
    if not todo:
        return list(inbound)
    detected = languages_detect(texts=[inbound[index].text for index in todo])
    result = list(inbound)
    for index, code in zip(todo, detected, strict=True):
        result[index] = replace(result[index], language=code)
    return result


def _case_language(case: Case, item: Inbound) -> str:
    """The language of a case that has none yet: the customer's messages so far, read together,
    since a first "hi" or "ok" is too short to tell."""
    earlier = Message.objects.filter(case=case, direction=Direction.INBOUND).order_by("occurred_at", "id")
    text = "\n".join([*earlier.values_list("text", flat=True)[:20], item.text])
    return languages_detect(texts=[text])[0]


def _file(
    batch: _Batch, key: tuple[int, int, str], item: Inbound, resolved: dict, *, by, now: datetime
) -> tuple[Case, Message, dict[str, Any]]:
    workspace_id = batch.workspace_id
    profile_id, account_id, kind = key
    events: dict[str, Any] = {}
    case = (
        Case.objects.select_for_update()
        .filter(
            workspace_id=workspace_id,
            customer_id__in=_profile_family(workspace_id, profile_id),
            channel_account_id=account_id or None,
            channel_kind=kind,
        )
        .exclude(status=CaseStatus.CLOSED)
        .order_by("-created_at", "-id")
        .first()
    )
    if case is None:
        case = _open(batch, profile_id, account_id or None, item, by=by, now=now)
        events["created"] = True
    elif case.status in (CaseStatus.RESOLVED, CaseStatus.PENDING_CUSTOMER):
        previous = status_change(case, CaseStatus.OPEN, now=now)
        events["status"] = previous
        if previous == CaseStatus.RESOLVED:
            events["reopened"] = True
    identity = resolved[(item.author.platform, item.author.platform_id)]
    try:
        message = Message.objects.create(
            workspace_id=workspace_id,
            case=case,
            direction=Direction.INBOUND,
            platform=item.platform,
            external_id=item.external_id,
            in_reply_to=(item.in_reply_to or "")[:500],
            url=item.url[:1000],
            author_identity_id=identity.identity_id,
            author_name=item.author.name[:255],
            author_handle=item.author.handle[:255],
            subject=item.subject[:500],
            text=item.text,
            language=(item.language or item.language_hint)[:16],
            sentiment=item.sentiment[:8],
            occurred_at=item.occurred_at,
            meta=item.meta,
        )
    except IntegrityError:
        raise _Duplicate from None
    if "created" in events:
        return case, message, events  # opened with this message's times and sentiment
    fields = ["last_message_at", "last_inbound_at", "updated_at"]
    case.last_message_at = max(case.last_message_at, item.occurred_at)
    case.last_inbound_at = max(case.last_inbound_at or item.occurred_at, item.occurred_at)
    if item.sentiment:
        case.sentiment = item.sentiment[:8]
        fields.append("sentiment")
    if not case.language:
        language = _case_language(case, item)
        if language:
            case.language = language
            fields.append("language")
    case.save(update_fields=fields)
    return case, message, events


def _profile_family(workspace_id: int, profile_id: int) -> RawSQL:
    # cxm.customers.selectors.customer_profile_ids as a subquery, so the case lookup stays one
    # round trip: the profile and every profile merged into it, through a chain of merges.
    return RawSQL(
        """
        WITH RECURSIVE family(id) AS (
            SELECT id FROM customers_customerprofile WHERE id = %s AND workspace_id = %s
            UNION
            SELECT p.id FROM customers_customerprofile p JOIN family f ON p.merged_into_id = f.id
            WHERE p.workspace_id = %s
        )
        SELECT id FROM family
        """,
        [profile_id, workspace_id, workspace_id],
    )


def _open(
    batch: _Batch, profile_id: int, account_id: int | None, item: Inbound, *, by, now: datetime
) -> Case:
    workspace_id = batch.workspace_id
    if item.account_known:
        business_unit_id = item.business_unit_id
    else:
        account = batch.account(account_id)
        account_id = account.pk if account else None
        business_unit_id = item.business_unit_id or (account.business_unit_id if account else None)
    case = Case(
        workspace_id=workspace_id,
        customer_id=profile_id,
        channel_account_id=account_id,
        platform=item.platform,
        channel_kind=item.channel_kind,
        business_unit_id=business_unit_id,
        language=item.language[:16],
        subject=item.subject[:500],
        thread_id=(item.thread_id or (item.external_id if item.channel_kind == ChannelKind.EMAIL else ""))[
            :500
        ],
        sentiment=item.sentiment[:8],
        opened_by=by if getattr(by, "is_authenticated", False) else None,
        last_message_at=item.occurred_at,
        last_inbound_at=item.occurred_at,
    )
    case.queue = queue_for_case(case, queues=batch.queue_list())
    sla_apply(case, start=now, policy=batch.policy(case.priority))
    case.save()
    case_event(case=case, kind="created", by=by, source=item.channel_kind, message=item.external_id)
    return case


# --- public mentions ----------------------------------------------------------------------------

QUESTION_WORDS = {
    # en
    "how", "why", "when", "where", "what", "who", "which", "can", "could", "is", "are", "do", "does", "will", "would",
    # id / ms
    "kenapa", "mengapa", "bagaimana", "gimana", "apa", "apakah", "kapan", "dimana", "berapa", "bisakah", "boleh",
    # es
    "cómo", "cuándo", "dónde", "qué",
}  # fmt: skip


def is_question(text: str) -> bool:
    lowered = text.strip().lower()
    if "?" in lowered or "¿" in lowered:
        return True
    # "@brand why is my order late": the question starts after the handles it is addressed to.
    words = re.findall(r"[\w']+", re.sub(r"^(?:@[\w.@-]+[\s,:]*)+", "", lowered))
    return bool(words) and words[0] in QUESTION_WORDS


def _handle_forms(handle: str) -> set[str]:
    handle = handle.strip().lower()
    if not handle or ("@" in handle and not handle.startswith("@")):  # email addresses are not named in posts
        return set()
    full = handle if handle.startswith("@") else f"@{handle}"
    forms = {full}
    if full.count("@") == 2:  # @brand@server also appears as plain @brand
        forms.add(full.rsplit("@", 1)[0])
    return forms


def our_handles(*, workspace_id: int) -> set[str]:
    forms: set[str] = set()
    for handle in ChannelAccount.objects.filter(workspace_id=workspace_id).values_list("handle", flat=True):
        forms |= _handle_forms(handle)
    return forms


def names_us(text: str, handles: set[str]) -> bool:
    lowered = text.lower()
    return any(re.search(re.escape(handle) + r"(?![\w@.-]*\w)", lowered) for handle in handles)


def mention_needs_care(mention: dict[str, Any], *, handles: set[str]) -> bool:
    """The care rule for public mentions: it names one of our handles, and it is negative or it asks
    a question."""
    text = str(mention.get("text") or "")
    if not (mention.get("names_us") or names_us(text, handles)):
        return False
    return mention.get("sentiment") == "negative" or is_question(text)


def inbound_from_mention(*, workspace_id: int, mention: dict[str, Any]) -> Inbound:
    """Validate a mention handed over as values (see `cases_open_from_mentions`)."""
    errors = {}
    platform = str(mention.get("platform") or "").strip()
    external_id = str(mention.get("external_id") or "").strip()
    text = mention.get("text")
    if not platform:
        errors["platform"] = "Required."
    if not external_id:
        errors["external_id"] = "Required."
    if not isinstance(text, str) or not text.strip():
        errors["text"] = "Required."
    created = mention.get("created_at")
    if isinstance(created, str):
        created = parse_datetime(created)
    if created is not None and (not isinstance(created, datetime) or timezone.is_naive(created)):
        errors["created_at"] = "A time-zone-aware date-time."
    author = mention.get("author") or {}
    if not isinstance(author, dict):
        errors["author"] = "An object with id, handle and name."
    if errors:
        raise ValidationError(errors)
    handle = str(author.get("handle") or author.get("id") or "unknown")
    account_id = mention.get("account_id")
    if account_id and not ChannelAccount.objects.filter(pk=account_id, workspace_id=workspace_id).exists():
        account_id = None
    return Inbound(
        platform=platform,
        external_id=external_id[:500],
        author=AuthorKey(
            platform, str(author.get("id") or handle)[:255], handle, str(author.get("name") or "")
        ),
        text=text,
        occurred_at=created or datetime.now(UTC),
        channel_kind=ChannelKind.PUBLIC,
        account_id=account_id or None,
        url=str(mention.get("url") or ""),
        in_reply_to=str(mention.get("in_reply_to") or ""),
        subject=str(mention.get("subject") or ""),
        language=str(mention.get("language") or ""),
        sentiment=str(mention.get("sentiment") or ""),
    )


def cases_open_from_mentions(*, workspace_id: int, mentions: list[dict[str, Any]]) -> list[int]:
    """For the listening pipeline: open (or join) a case for each public mention that needs care.

    Each mention is a dict of values: platform, external_id, text, created_at (aware datetime or
    ISO string), url, author {id, handle, name}, and optionally account_id (the account that saw
    it, which replies go out on), language, sentiment ("negative"...), names_us (True when the
    caller already knows it names us). Returns the ids of the cases the chosen mentions are in.
    Mentions already in a case are not stored again.
    """
    handles = our_handles(workspace_id=workspace_id)
    chosen = [m for m in mentions if mention_needs_care(m, handles=handles)]
    if not chosen:
        return []
    result = messages_receive(
        workspace_id=workspace_id,
        inbound=[inbound_from_mention(workspace_id=workspace_id, mention=m) for m in chosen],
    )
    return list(dict.fromkeys(result.cases.values()))


def case_open_from_mention(*, workspace, mention: dict[str, Any], by=None) -> Case:
    """Open a case by hand from a mention an agent picked (no care rule applied). A mention already
    in a case returns that case."""
    item = inbound_from_mention(workspace_id=workspace.pk, mention=mention)
    result = messages_receive(workspace_id=workspace.pk, inbound=[item], by=by)
    return Case.objects.get(pk=result.cases[item.key])
