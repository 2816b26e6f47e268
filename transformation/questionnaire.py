"""The maturity questionnaire: for each capability, what people, process and technology look like at
each of the five levels. A respondent picks the level that describes the workspace today; the texts
grow from the capability's own description in `capabilities.py` (level 4-5 is that description met).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from transformation.capabilities import CAPABILITIES

LEVELS: tuple[int, ...] = (1, 2, 3, 4, 5)
LEVEL_NAMES = {
    1: _("Initial"),
    2: _("Developing"),
    3: _("Defined"),
    4: _("Managed"),
    5: _("Leading"),
}
# the capability's name where its outcome is too long to fit, as on the radar's spokes
SHORT_NAMES = {
    "heard": _("Heard"),
    "enjoy": _("Enjoy"),
    "remembered": _("Remembered"),
    "recognised": _("Recognised"),
    "proud": _("Proud"),
    "smarter": _("Smarter"),
    "relevant": _("Relevant"),
    "respected": _("Respected"),
}
DIMENSIONS = (("people", _("People")), ("process", _("Process")), ("technology", _("Technology")))


@dataclass(frozen=True)
class Level:
    level: int
    people: str
    process: str
    technology: str


def _levels(*rows: tuple[str, str, str]) -> tuple[Level, ...]:
    return tuple(Level(n, *row) for n, row in zip(LEVELS, rows, strict=True))


QUESTIONNAIRE: dict[str, tuple[Level, ...]] = {
    "heard": _levels(
        (
            _("Nobody is responsible for watching what customers say."),
            _("Comments are answered when someone happens to see them."),
            _("Native apps of each network; no shared view."),
        ),
        (
            _("One person watches the main channels part-time."),
            _("Urgent comments are forwarded by hand or chat."),
            _("Listening on a few channels; replies from each network."),
        ),
        (
            _("Analysts watch topics; a care team answers in working hours."),
            _("Inbound items are routed to the care team; targets exist but are not tracked."),
            _("Topics on most channels and one inbox for replies."),
        ),
        (
            _("Analysts and agents staffed to the inbound volume."),
            _("Every item needing an answer is routed and tracked against its target."),
            _("Listening on every channel, alerts, one inbox with SLAs."),
        ),
        (
            _("Teams plan staffing from forecasts and review misses weekly."),
            _("Nothing waits past target; spikes trigger a rehearsed response."),
            _("Alerts on volume and negativity reach the right person in minutes."),
        ),
    ),
    "enjoy": _levels(
        (
            _("Nobody looks at satisfaction."),
            _("No survey; no sense of how customers feel."),
            _("No measurement of satisfaction or sentiment."),
        ),
        (
            _("Someone reads complaints when they escalate."),
            _("Occasional surveys or anecdotes."),
            _("Spreadsheets of ad-hoc figures."),
        ),
        (
            _("A lead looks at satisfaction monthly."),
            _("Surveys after some resolved cases; sentiment read now and then."),
            _("CSAT on some channels; sentiment on mentions."),
        ),
        (
            _("A care lead reviews satisfaction and resolution every week."),
            _("A survey after every resolution; sentiment compared with the previous period."),
            _("CSAT surveys, sentiment on every mention, care reports and dashboards."),
        ),
        (
            _("Everyone knows the scores and acts on the low ones."),
            _("Low scores are followed up; progress is tracked against targets."),
            _("Dashboards show trends by brand and channel, shared with leadership."),
        ),
    ),
    "remembered": _levels(
        (
            _("Whoever has time writes posts and replies."),
            _("Posts go out without review."),
            _("Each network's own tools, one message for everyone."),
        ),
        (
            _("A marketer owns the main channels."),
            _("Some posts are reviewed; one language."),
            _("A shared calendar kept by hand."),
        ),
        (
            _("Marketers and agents write for the main markets."),
            _("Posts are approved; translations made for big campaigns."),
            _("A publishing calendar; a few reply templates."),
        ),
        (
            _("Marketers and agents write in the customer's language."),
            _("Posts approved before publishing, with variants per language and segment."),
            _("A calendar with per-language variants; macros in several languages."),
        ),
        (
            _("Teams personalise every message from what they know of the customer."),
            _("Variants per segment are the rule, and their results are compared."),
            _("Variants and macros cover every market and are measured."),
        ),
    ),
    "recognised": _levels(
        (
            _("Agents treat every contact as a stranger."),
            _("No record of earlier contacts."),
            _("No customer records across channels."),
        ),
        (
            _("Agents sometimes search old conversations."),
            _("History looked up only on complaint."),
            _("Separate histories per channel."),
        ),
        (
            _("Agents look up the customer on the main channels."),
            _("Known customers are linked to cases by hand."),
            _("Customer profiles on some channels."),
        ),
        (
            _("Agents check the customer's history before answering."),
            _("Identities merged into one profile; repeat contacts reviewed."),
            _("Profiles with identities, merge and timeline across channels."),
        ),
        (
            _("Every touchpoint knows the customer and their last contact."),
            _("Profiles are kept clean; repeat contacts are rare and studied."),
            _("One profile per person, merged automatically where safe."),
        ),
    ),
    "proud": _levels(
        (
            _("Nobody knows who the brand's fans are."),
            _("Positive mentions go unnoticed."),
            _("No view of authors or their history."),
        ),
        (
            _("A marketer remembers a few loyal voices."),
            _("Fans thanked now and then."),
            _("Mentions read without author history."),
        ),
        (
            _("Someone looks after the community part-time."),
            _("Advocates thanked; positive mentions shared sometimes."),
            _("Author history and sentiment in listening."),
        ),
        (
            _("A community manager knows the brand's advocates."),
            _("Advocates thanked and engaged; positive earned mentions amplified."),
            _("Author history, sentiment and the earned-media view in the Explorer."),
        ),
        (
            _("Advocates are a programme with its own goals."),
            _("The advocate base grows and is measured every quarter."),
            _("Advocates are found, tracked and engaged from one place."),
        ),
    ),
    "smarter": _levels(
        (
            _("Agents escalate anything unusual."),
            _("No shared way of handling common requests."),
            _("No templates, rules or alerts."),
        ),
        (
            _("Experienced agents help others informally."),
            _("Some written answers to common questions."),
            _("A few saved replies."),
        ),
        (
            _("Agents resolve common requests; analysts look at alerts."),
            _("Macros for common requests; alerts acknowledged when seen."),
            _("Macros and some automation rules."),
        ),
        (
            _("Agents empowered to resolve on first contact; analysts act on alerts."),
            _("Macros and guided workflows for common requests; alerts acknowledged within target."),
            _("Macros, case types with checklists, automation rules, alert delivery."),
        ),
        (
            _("Teams improve workflows from what customers ask most."),
            _("Most cases resolve first time; workflows are reviewed regularly."),
            _("Automation routes and triages; alerts reach people by email and webhook."),
        ),
    ),
    "relevant": _levels(
        (
            _("Nobody owns paid social."),
            _("Ads run with one message for everyone."),
            _("Ads managed in each platform by hand."),
        ),
        (
            _("A marketer runs campaigns alongside other work."),
            _("Budgets set once per campaign."),
            _("Platform reports read now and then."),
        ),
        (
            _("Marketers own campaigns and watch their spend."),
            _("Some targeting; results read after the campaign."),
            _("Campaigns and insights in one place."),
        ),
        (
            _("Marketers own each campaign's return on spend."),
            _("Personalised variants checked for compliance; budgets moved toward what converts."),
            _("Creative variants from feeds, the budget optimiser, comments on ads in care."),
        ),
        (
            _("Marketing and care act together on what ads make people say."),
            _("Spend follows return continuously; every ad comment is answered."),
            _("Variants, optimisation and ad comments measured end to end."),
        ),
    ),
    "respected": _levels(
        (
            _("Anyone may do anything; nobody owns access."),
            _("No record of who changed what; privacy requests handled ad hoc."),
            _("Shared logins; no way to stop publishing at once."),
        ),
        (
            _("An admin hands out access on request."),
            _("Some changes noted by hand; privacy requests slow."),
            _("Personal logins; publishing stopped network by network."),
        ),
        (
            _("Admins own access and privacy requests."),
            _("Roles reviewed now and then; privacy requests tracked."),
            _("Roles and an audit trail for the main actions."),
        ),
        (
            _("Admins own access, privacy requests and the pause."),
            _(
                "Sensitive actions audited; privacy requests completed in time; one button stops all publishing."
            ),
            _("Roles, the audit trail, the global pause, encrypted secrets."),
        ),
        (
            _("Everyone knows the crisis drill and has practised it."),
            _("The pause is rehearsed; audits are reviewed regularly."),
            _("Every sensitive action audited; publishing stops within seconds."),
        ),
    ),
}

assert tuple(QUESTIONNAIRE) == tuple(c.key for c in CAPABILITIES), (
    "one questionnaire per capability, in order"
)
