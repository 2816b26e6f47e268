"""The capability model: eight pairs of a desired enterprise outcome and the customer experience it
produces, in the order every page and the API show them. Keys are fixed; texts are translatable."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class UseCase:
    key: str
    name: str
    url_name: str  # the page of the platform that delivers it
    # how "in use" is decided, by transformation.usage: a configuration or activity check
    check: str


@dataclass(frozen=True)
class Capability:
    key: str
    outcome: str
    experience: str
    people: str
    process: str
    technology: str
    use_cases: tuple[UseCase, ...] = field(default_factory=tuple)


CAPABILITIES: tuple[Capability, ...] = (
    Capability(
        key="heard",
        outcome=_("We know who is talking and what they say, and can respond appropriately"),
        experience=_("“I am heard.”"),
        people=_("Analysts who watch the brand's topics; care agents staffed to the inbound volume."),
        process=_(
            "Every public comment that needs an answer is routed to someone who answers it within target."
        ),
        technology=_("Listening on every channel, topics and alerts, a unified care inbox with SLAs."),
        use_cases=(
            UseCase(
                "listening_topics", _("Listen to every channel through topics"), "listening:topics", "topics"
            ),
            UseCase("care_inbox", _("Answer every channel from one inbox"), "care:index", "cases"),
            UseCase(
                "spike_alerts",
                _("Be alerted to spikes in volume or negativity"),
                "listening:alerts",
                "alerts",
            ),
        ),
    ),
    Capability(
        key="enjoy",
        outcome=_("We know how well we perform today and can measure progress over time"),
        experience=_("“I enjoy my interactions with this brand more, and they mean more to me.”"),
        people=_("A care lead who reviews satisfaction and resolution every week."),
        process=_("Satisfaction surveys after resolution; sentiment tracked against the previous period."),
        technology=_("CSAT surveys, sentiment on every mention, care reports and dashboards."),
        use_cases=(
            UseCase("csat", _("Ask for satisfaction after each resolved case"), "care:reports", "csat"),
            UseCase(
                "dashboard", _("Track sentiment and volume on a dashboard"), "listening:dashboard", "mentions"
            ),
        ),
    ),
    Capability(
        key="remembered",
        outcome=_("We tell a consistent story that is personal and relevant"),
        experience=_("“I am remembered, liked and loved.”"),
        people=_("Marketers and agents who write in the customer's language."),
        process=_("Posts approved before publishing, with variants per language and segment."),
        technology=_("Publishing calendar with per-language variants, macros in several languages."),
        use_cases=(
            UseCase("calendar", _("Plan and approve posts on one calendar"), "publishing:index", "posts"),
            UseCase(
                "variants",
                _("Publish per-language and per-segment variants"),
                "publishing:compose",
                "post_variants",
            ),
            UseCase("macros", _("Answer with macros in the customer's language"), "care:settings", "macros"),
        ),
    ),
    Capability(
        key="recognised",
        outcome=_("We immediately recognise every consumer wherever they touch our brand"),
        experience=_("“I am recognised and valued.”"),
        people=_("Agents who check the customer's history before answering."),
        process=_("Identities on several channels merged into one profile; repeat contacts reviewed."),
        technology=_("Customer profiles with identities, merge and timeline across channels."),
        use_cases=(
            UseCase("profiles", _("One profile per customer across channels"), "care:customers", "profiles"),
            UseCase("merges", _("Merge identities of the same person"), "care:customers", "merges"),
        ),
    ),
    Capability(
        key="proud",
        outcome=_("We have an army of people who show support and respond to us"),
        experience=_("“I am proud to be a loyalist of this brand.”"),
        people=_("A community manager who knows the brand's advocates."),
        process=_("Advocates thanked and engaged; positive earned mentions amplified."),
        technology=_("Author history and sentiment in listening, the Explorer's earned-media facet."),
        use_cases=(UseCase("explorer", _("Find advocates in the Explorer"), "listening:index", "mentions"),),
    ),
    Capability(
        key="smarter",
        outcome=_("We use social engagement intelligence to deliver a better experience"),
        experience=_("“Interacting with the brand helps me and makes me smarter.”"),
        people=_("Agents empowered to resolve on first contact; analysts who act on alerts."),
        process=_("Macros and guided workflows for common requests; alerts acknowledged within target."),
        technology=_("Macros, case types with checklists, automation rules, alert delivery."),
        use_cases=(
            UseCase("automation", _("Route and triage with automation rules"), "care:settings", "rules"),
            UseCase(
                "case_types", _("Guide agents with case types and checklists"), "care:settings", "case_types"
            ),
            UseCase("alert_delivery", _("Deliver alerts by email and webhook"), "listening:alerts", "alerts"),
        ),
    ),
    Capability(
        key="relevant",
        outcome=_("We directly reach and engage more of the right people"),
        experience=_("“The ads and messages this brand sends me are for me and help me along my journey.”"),
        people=_("Marketers who own each campaign's return on spend."),
        process=_("Personalised variants checked for compliance; budgets moved toward what converts."),
        technology=_("Creative variants from feeds, the budget optimiser, comments on ads in care."),
        use_cases=(
            UseCase("ads", _("Run ads with personalised variants"), "ads:index", "ad_campaigns"),
            UseCase("ad_insights", _("Measure return on ad spend"), "ads:insights", "ad_insights"),
            UseCase("ad_comments", _("Answer comments on ads"), "ads:comments", "ad_comments"),
        ),
    ),
    Capability(
        key="respected",
        outcome=_("Our reputation and brand equity are protected and customer data is secure"),
        experience=_("“I control how my data is used, my identity is protected, and I am respected.”"),
        people=_("Admins who own access, privacy requests and the pause."),
        process=_(
            "Sensitive actions audited; privacy requests completed in time; one button stops all publishing."
        ),
        technology=_("Roles, the audit trail, the global pause, encrypted secrets."),
        use_cases=(
            UseCase("pause", _("Stop all publishing with one button"), "publishing:pauses", "pauses"),
            UseCase("audit", _("Keep an audit trail of sensitive actions"), "admin-audit", "audit"),
        ),
    ),
)

CAPABILITY_KEYS: tuple[str, ...] = tuple(c.key for c in CAPABILITIES)
BY_KEY: dict[str, Capability] = {c.key: c for c in CAPABILITIES}
