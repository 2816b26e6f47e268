"""Transformation: what the workspace measured each day, what its people assessed, the value and ROI
cases it builds and who owns each capability. The measurements themselves are computed from the
other modules' selectors (`transformation.kpis`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cxm.db.fields import WorkspaceForeignKey
from cxm.tenancy.models import WorkspaceOwned


class TransformationSettings(WorkspaceOwned):
    """One row per workspace: the band set it scores against, and the money figures the value and
    ROI models need."""

    band_set = models.CharField(max_length=32, default="cx-2026")
    currency = models.CharField(max_length=3, default="USD")
    operating_margin = models.DecimalField(max_digits=5, decimal_places=4, default=0.15)
    loaded_hourly_cost = models.DecimalField(max_digits=10, decimal_places=2, default=40)
    discount_rate = models.DecimalField(max_digits=5, decimal_places=4, default=0.10)
    # The baseline the benefits are measured against: the first 28 days after onboarding unless an
    # earlier period was imported (then `baseline_imported` holds its figures per KPI key).
    baseline_start = models.DateField(null=True, blank=True)
    baseline_imported = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace"], name="transformation_settings_once")]


class BandOverride(WorkspaceOwned):
    """A workspace's own edges for one KPI, replacing the shipped band set's. Audited on change."""

    kpi = models.CharField(max_length=64)
    edges = models.JSONField()  # six values, worst to best, as in transformation.bands
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "kpi"], name="transformation_band_once")]

    def __str__(self) -> str:
        return f"band of {self.kpi}"


class KpiSnapshot(models.Model):
    """Every KPI of one scope on one day, as computed by the daily task (or on demand). Scope is the
    workspace, optionally narrowed to a business unit or a brand (0 means all)."""

    id = models.BigAutoField(primary_key=True)
    workspace_id = models.BigIntegerField()
    day = models.DateField()
    business_unit_id = models.BigIntegerField(default=0)
    brand_id = models.BigIntegerField(default=0)
    # {kpi key: {"value", "n", "excluded", "mean", "business_value", "business_mean", "status",
    #  "score", "level", "detail"}}
    values = models.JSONField(default=dict)
    # {capability key: {"score", "level", "weakest"}}
    capabilities = models.JSONField(default=dict)
    computed_at = models.DateTimeField()
    seconds = models.FloatField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace_id", "business_unit_id", "brand_id", "day"],
                name="transformation_snapshot_once",
            )
        ]

    def __str__(self) -> str:
        return f"KPIs of workspace {self.workspace_id} on {self.day}"


class RoundStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class RespondentRole(models.TextChoices):
    EXECUTIVE = "executive", _("Executive")
    MANAGER = "manager", _("Manager")
    FRONTLINE = "frontline", _("Frontline")


class AssessmentRound(WorkspaceOwned):
    name = models.CharField(max_length=120)
    status = models.CharField(max_length=8, choices=RoundStatus.choices, default=RoundStatus.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="transformation_round_name")
        ]

    def __str__(self) -> str:
        return self.name


class AssessmentResponse(WorkspaceOwned):
    """One respondent's levels (1-5) per capability key in one round; replaceable while it is open."""

    round = WorkspaceForeignKey(AssessmentRound, on_delete=models.CASCADE, related_name="responses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=12, choices=RespondentRole.choices)
    scores = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "round", "user"], name="transformation_response_once"
            )
        ]


class DriverCategory(models.TextChoices):
    REVENUE = "revenue", _("Revenue")
    COST = "cost", _("Cost")
    RISK = "risk", _("Risk")


class ValueDriver(WorkspaceOwned):
    """A value the company wants, measured by one KPI, from a baseline toward a target."""

    category = models.CharField(max_length=8, choices=DriverCategory.choices)
    name = models.CharField(max_length=200)
    kpi = models.CharField(max_length=64)
    baseline = models.FloatField(null=True, blank=True)
    target = models.FloatField()
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["category", "position", "id"]


class RoiCase(WorkspaceOwned):
    """A saved ROI case: its inputs (benefits and costs with their source: measured or typed) and
    the figures computed from them when saved."""

    name = models.CharField(max_length=200)
    discount_rate = models.DecimalField(max_digits=5, decimal_places=4, default=0.10)
    inputs = models.JSONField(default=dict)  # {"benefits": [...], "costs": [...]} as the API takes them
    results = models.JSONField(default=dict)  # {"pv_benefits", "pv_costs", "npv", "roi", "payback_months"}
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]


class Raci(models.TextChoices):
    RESPONSIBLE = "R", _("Responsible")
    ACCOUNTABLE = "A", _("Accountable")
    CONSULTED = "C", _("Consulted")
    INFORMED = "I", _("Informed")


class RaciAssignment(WorkspaceOwned):
    """Who owns a capability: a member (or everyone holding a role) with a RACI letter."""

    capability = models.CharField(max_length=16)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    role = models.CharField(max_length=16, blank=True)
    letter = models.CharField(max_length=1, choices=Raci.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["capability", "letter", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(user__isnull=False, role="") | models.Q(user__isnull=True) & ~models.Q(role="")
                ),
                name="transformation_raci_user_or_role",
            ),
            # Someone must answer for a capability, and only one can.
            models.UniqueConstraint(
                fields=["workspace", "capability"],
                condition=models.Q(letter="A"),
                name="transformation_raci_one_accountable",
            ),
        ]
