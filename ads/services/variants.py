"""Creative variants, stored: generation with platform-limit validation and a compliance check
of every variant, bulk edits, waivers, and the ads a launch makes of the ready ones.

The pure work happens in `ads.variants` and `ads.compliance`; here it is stored, audited and
enforced. A variant's `status` follows from what was found in it: errors (platform limits,
missing values) keep it a draft, an unwaived blocking violation blocks it, otherwise it is ready;
once it carries an ad it is launched. Feeds live in `feeds`, templates in `templates`, and the
launch gate (which refuses while any included variant is a draft or blocked) in `approval`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ads import compliance, selectors
from ads import variants as pure
from ads.models import (
    Ad,
    AdCampaign,
    AdSet,
    AdStatus,
    ApprovalState,
    ComplianceWaiver,
    CreativeTemplate,
    Feed,
    PushState,
    Variant,
    VariantStatus,
    new_ref,
)
from ads.services._shared import CHUNK, audit
from ads.services.feeds import feed_rows
from ads.services.templates import pure_template
from cxm.audit.services import audit_record
from cxm.tenancy.models import Membership, Workspace
from cxm.tenancy.permissions import has_permission

# --- compliance context and status ------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    country: str
    categories: tuple[str, ...]
    extra: tuple


def _rules_for(template: CreativeTemplate, campaign: AdCampaign | None) -> Rules:
    """The template's country, else the campaign's (its first ad set's first country, else its ad
    account's)."""
    country = template.country
    if not country and campaign is not None:
        for countries in AdSet.objects.filter(campaign=campaign).values_list("countries", flat=True):
            if countries:
                country = countries[0]
                break
        country = country or selectors.campaign_locale(campaign=campaign).country
    if not country:
        raise ValidationError(
            {"country": "Give the template a country (or the campaign an ad set) to check compliance."}
        )
    if country not in compliance.available_countries():
        raise ValidationError({"country": f"No compliance rule pack for {country}."})
    categories = tuple(template.categories or []) + tuple(
        getattr(campaign, "special_ad_categories", None) or []
    )
    extra = compliance.rules_from_data(template.extra_rules or [], source=f"template:{template.pk}")
    return Rules(country, tuple(c.lower() for c in categories), extra)


def _violation_data(violation) -> dict[str, Any]:
    return {
        "rule_id": violation.rule_id,
        "kind": violation.kind,
        "field": violation.field,
        "start": violation.start,
        "end": violation.end,
        "text": violation.text,
        "message": violation.message,
        "severity": violation.severity,
        "citation": violation.citation,
        "waived": violation.waived,
        "blocks": violation.blocks,
    }


def _issue_data(issue: pure.Issue) -> dict[str, Any]:
    return {
        "field": issue.field,
        "code": issue.code,
        "severity": issue.severity,
        "message": issue.message,
        "length": issue.length,
        "limit": issue.limit,
        "unit": issue.unit,
    }


def _status(has_errors: bool, violations: Sequence[dict]) -> str:
    if has_errors:
        return VariantStatus.DRAFT
    if any(v["blocks"] for v in violations):
        return VariantStatus.BLOCKED
    return VariantStatus.READY


def _to_pure(variant: Variant, platform: str) -> pure.Variant:
    return pure.Variant(
        key=variant.key,
        content_hash=variant.content_hash,
        row_id=variant.row_id,
        segment=variant.segment,
        language=variant.language,
        format=variant.format,
        fields=dict(variant.fields),
        image_width=variant.image_width,
        image_height=variant.image_height,
        issues=tuple(pure.Issue(key=variant.key, **issue) for issue in variant.issues),
        excluded=variant.excluded,
        edited=variant.edited,
        platform=platform,
    )


def _apply(variant: Variant, found: pure.Variant, rules: Rules, waivers: Iterable[tuple[str, str]]) -> None:
    """Store in `variant` the fields, issues and violations of `found`, and its status."""
    violations = [
        _violation_data(v)
        for v in compliance.check(found, rules.country, rules.categories, rules.extra, waivers=tuple(waivers))
    ]
    variant.fields = dict(found.fields)
    variant.content_hash = found.content_hash
    variant.issues = [_issue_data(issue) for issue in found.issues]
    variant.has_errors = found.has_errors
    variant.violations = violations
    variant.edited = found.edited
    if variant.ad_id is None:
        variant.status = _status(found.has_errors, violations)


# --- generation -------------------------------------------------------------------------------------


@dataclass
class GenerateResult:
    variants: int = 0
    ready: int = 0
    blocked: int = 0
    with_errors: int = 0
    duplicates: int = 0
    kept_launched: int = 0


def _default_language(campaign: AdCampaign | None) -> str:
    """Variants are written in the campaign's ad account language unless told otherwise."""
    return selectors.campaign_locale(campaign=campaign).language if campaign is not None else "en"


def variants_generate(
    *,
    template: CreativeTemplate,
    feed: Feed,
    segments: Sequence[dict[str, Any]] = (),
    languages: Sequence[str] = (),
    formats: Sequence[str] = (),
    campaign: AdCampaign | None = None,
    ad_set: AdSet | None = None,
    by=None,
    request=None,
) -> GenerateResult:
    """Expand the template over feed rows x segments x languages x formats, validate each variant
    against its platform, check it against the compliance rules of its country, and store them in
    chunks (memory stays flat: 100k variants are fine). Regenerating replaces the variants that
    carry no ad yet; launched ones stay as they were."""
    for obj, label in ((feed, "feed"), (campaign, "campaign"), (ad_set, "ad_set")):
        if obj is not None and obj.workspace_id != template.workspace_id:
            raise ValidationError({label: f"No such {label} in this workspace."})
    if ad_set is not None and (campaign is None or ad_set.campaign_id != campaign.pk):
        raise ValidationError({"ad_set": "The ad set must belong to the campaign."})
    rules = _rules_for(template, campaign)
    formats = list(formats or template.formats or ["feed_square"])
    seg_objects = [
        pure.Segment(str(s.get("name") or "all"), {k: str(v) for k, v in (s.get("values") or {}).items()})
        for s in segments
    ] or [pure.ALL]
    stats = pure.GenerationStats()
    source = feed_rows(feed)
    try:
        generated = pure.generate_variants(
            template=pure_template(template),
            feed=source,
            segments=seg_objects,
            languages=list(languages) or [_default_language(campaign)],
            formats=formats,
            platform=template.platform,
            stats=stats,
        )
        result = GenerateResult()
        with transaction.atomic():
            scope = Variant.objects.filter(template=template, campaign=campaign)
            launched = set(scope.filter(ad__isnull=False).values_list("key", flat=True))
            scope.filter(ad__isnull=True).delete()
            chunk: list[Variant] = []
            for found in generated:
                if found.key in launched:
                    result.kept_launched += 1
                    continue
                row = Variant(
                    workspace_id=template.workspace_id,
                    template=template,
                    campaign=campaign,
                    ad_set=ad_set,
                    feed=feed,
                    key=found.key,
                    row_id=found.row_id,
                    segment=found.segment,
                    language=found.language,
                    format=found.format,
                    image_width=found.image_width,
                    image_height=found.image_height,
                )
                _apply(row, found, rules, ())
                result.variants += 1
                if row.status == VariantStatus.READY:
                    result.ready += 1
                elif row.status == VariantStatus.BLOCKED:
                    result.blocked += 1
                else:
                    result.with_errors += 1
                chunk.append(row)
                if len(chunk) >= CHUNK:
                    Variant.objects.bulk_create(chunk, batch_size=CHUNK)
                    chunk = []
            Variant.objects.bulk_create(chunk, batch_size=CHUNK)
            result.duplicates = stats.duplicates
            if campaign is not None:
                _reset_approval(campaign)
            audit(
                template.workspace,
                "ads.variants_generate",
                by=by,
                target=template,
                after={
                    "feed": feed.pk,
                    "campaign": campaign.pk if campaign else None,
                    "variants": result.variants,
                    "blocked": result.blocked,
                    "with_errors": result.with_errors,
                },
                request=request,
                label=f"template {template.name}",
            )
    except pure.TemplateError as error:
        raise ValidationError({error.field or "template": str(error)}) from error
    return result


def _reset_approval(campaign: AdCampaign) -> None:
    # What was approved changed: the approval no longer covers it.
    AdCampaign.objects.filter(pk=campaign.pk, approval_state=ApprovalState.APPROVED).update(
        approval_state=ApprovalState.NONE, approved_by=None, approved_at=None
    )


# --- bulk edits over a selection --------------------------------------------------------------------


def _editable(selection: QuerySet[Variant]) -> list[Variant]:
    return list(selection.filter(ad__isnull=True).select_related("template", "campaign").order_by("pk"))


def _recheck(rows: list[Variant], new: dict[int, pure.Variant]) -> list[Variant]:
    """Re-check compliance of the changed variants (their waivers still apply)."""
    waivers: dict[int, list[tuple[str, str]]] = {}
    for variant_id, key, rule_id in ComplianceWaiver.objects.filter(variant_id__in=list(new)).values_list(
        "variant_id", "variant__key", "rule_id"
    ):
        waivers.setdefault(variant_id, []).append((key, rule_id))
    cache: dict[tuple[int, int | None], Rules] = {}
    changed = []
    for row in rows:
        if row.pk not in new:
            continue
        scope = (row.template_id, row.campaign_id)
        if scope not in cache:
            cache[scope] = _rules_for(row.template, row.campaign)
        _apply(row, new[row.pk], cache[scope], waivers.get(row.pk, ()))
        changed.append(row)
    return changed


UPDATED_FIELDS = [
    "fields",
    "content_hash",
    "issues",
    "has_errors",
    "violations",
    "edited",
    "status",
    "updated_at",
]


def _save(rows: list[Variant]) -> None:
    now = timezone.now()
    for row in rows:
        row.updated_at = now
    Variant.objects.bulk_update(rows, UPDATED_FIELDS, batch_size=CHUNK)
    for campaign_id in {row.campaign_id for row in rows if row.campaign_id}:
        AdCampaign.objects.filter(pk=campaign_id, approval_state=ApprovalState.APPROVED).update(
            approval_state=ApprovalState.NONE, approved_by=None, approved_at=None
        )


@transaction.atomic
def variants_find_replace(
    *,
    workspace: Workspace,
    selection: QuerySet[Variant],
    find: str,
    replace_with: str,
    fields: Sequence[str] = pure.TEXT_FIELDS,
    ignore_case: bool = False,
    whole_word: bool = False,
    by=None,
    request=None,
) -> int:
    """Replace text in the selected variants not launched yet; changed ones are re-validated and
    re-checked. Answers how many changed."""
    unknown = [name for name in fields if name not in pure.FIELDS]
    if unknown:
        raise ValidationError({"fields": f"Unknown fields: {', '.join(unknown)}."})
    if not find:
        raise ValidationError({"find": "Say what to find."})
    rows = _editable(selection.filter(workspace=workspace).select_for_update(of=("self",)))
    originals = {row.pk: _to_pure(row, row.template.platform) for row in rows}
    replaced = pure.find_replace(
        list(originals.values()),
        find=find,
        replace_with=replace_with,
        fields=fields,
        ignore_case=ignore_case,
        whole_word=whole_word,
    )
    new = {
        pk: after
        for (pk, before), after in zip(originals.items(), replaced, strict=True)
        if after.fields != before.fields
    }
    changed = _recheck(rows, new)
    _save(changed)
    audit(
        workspace,
        "ads.variants_find_replace",
        by=by,
        after={"find": find, "replace_with": replace_with, "changed": len(changed)},
        request=request,
        label=f"{len(changed)} variants",
    )
    return len(changed)


@transaction.atomic
def variants_validate(*, workspace: Workspace, selection: QuerySet[Variant], by=None, request=None) -> int:
    """Validate and check the selected variants again (after a rule pack or template change)."""
    rows = _editable(selection.filter(workspace=workspace).select_for_update(of=("self",)))
    new = {}
    for row in rows:
        found = _to_pure(row, row.template.platform)
        new[row.pk] = replace(found, issues=pure.validate_variant(found))
    changed = _recheck(rows, new)
    Variant.objects.bulk_update(changed, UPDATED_FIELDS, batch_size=CHUNK)
    return len(changed)


@transaction.atomic
def variants_exclude(
    *, workspace: Workspace, selection: QuerySet[Variant], excluded: bool = True, by=None, request=None
) -> int:
    """Leave the selected variants out of the launch (or take them back in)."""
    rows = selection.filter(workspace=workspace, ad__isnull=True).exclude(excluded=excluded)
    campaign_ids = set(rows.exclude(campaign=None).values_list("campaign_id", flat=True))
    count = rows.update(excluded=excluded, updated_at=timezone.now())
    if excluded is False:
        AdCampaign.objects.filter(pk__in=campaign_ids, approval_state=ApprovalState.APPROVED).update(
            approval_state=ApprovalState.NONE, approved_by=None, approved_at=None
        )
    audit(
        workspace,
        "ads.variants_exclude" if excluded else "ads.variants_include",
        by=by,
        after={"count": count},
        request=request,
        label=f"{count} variants",
    )
    return count


@transaction.atomic
def variant_waive(
    *, variant: Variant, rule_id: str, reason: str, membership: Membership | None, request=None
) -> ComplianceWaiver:
    """An approver lets this variant break this rule: the violation stays shown, marked waived,
    and no longer blocks. Audited."""
    if membership is None or membership.workspace_id != variant.workspace_id:
        raise PermissionError("Not a member of this workspace.")
    if not has_permission(membership, "publishing.approve"):
        raise PermissionError("Only an approver can waive a compliance rule.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the rule is waived."})
    variant = (
        Variant.objects.select_for_update(of=("self",))
        .select_related("template", "campaign")
        .get(workspace_id=variant.workspace_id, pk=variant.pk)
    )
    if not any(v["rule_id"] == rule_id for v in variant.violations):
        raise ValidationError({"rule_id": f"This variant does not break rule {rule_id}."})
    waiver, _ = ComplianceWaiver.objects.get_or_create(
        variant=variant,
        rule_id=rule_id,
        defaults={"workspace_id": variant.workspace_id, "by": membership.user, "reason": reason.strip()},
    )
    before = variant.status
    _recheck([variant], {variant.pk: _to_pure(variant, variant.template.platform)})
    _save([variant])
    audit_record(
        workspace=variant.workspace,
        actor=membership.user,
        action="ads.variant_waive",
        target=variant,
        before={"status": before},
        after={"rule_id": rule_id, "reason": waiver.reason, "status": variant.status},
        request=request,
        object_repr=f"variant {variant.key}",
    )
    return waiver


def variants_to_ads(campaign: AdCampaign) -> int:
    """One draft ad per ready variant of the campaign, under its ad set (or the campaign's first),
    in bulk. Called by the launch inside its transaction."""
    ready = list(
        Variant.objects.select_for_update(of=("self",))
        .filter(campaign=campaign, excluded=False, ad__isnull=True, status=VariantStatus.READY)
        .select_related("template")
        .order_by("pk")
    )
    if not ready:
        return 0
    default_set = AdSet.objects.filter(campaign=campaign).order_by("pk").first()
    if default_set is None:
        return 0  # the launch refuses: no ad set
    ads = []
    for variant in ready:
        fields = variant.fields
        creative = {
            "primary_text": fields.get("primary_text", ""),
            "headline": fields.get("headline", ""),
            "description": fields.get("description", ""),
            "call_to_action": fields.get("call_to_action", ""),
            "link": fields.get("link", ""),
            "image_url": fields.get("image", ""),
        }
        ads.append(
            Ad(
                workspace_id=campaign.workspace_id,
                ad_set_id=variant.ad_set_id or default_set.pk,
                campaign=campaign,
                name=f"{variant.template.name} {variant.segment}/{variant.language}/{variant.format} "
                f"{variant.row_id}"[:340],
                creative={k: v for k, v in creative.items() if v},
                variant_key=variant.key,
                status=AdStatus.ACTIVE,
                external_ref=new_ref("a"),
                push_state=PushState.DRAFT,
            )
        )
    created = Ad.objects.bulk_create(ads, batch_size=CHUNK)
    for variant, ad in zip(ready, created, strict=True):
        variant.ad_id = ad.pk
        variant.status = VariantStatus.LAUNCHED
    Variant.objects.bulk_update(ready, ["ad", "status"], batch_size=CHUNK)
    return len(created)
