"""Compliance of ad creatives: country rule packs (data in `packs/`), business-unit layers, and
`check()`, which names the rule, the field and the offending text of every violation. Waivers are
data: (variant key, rule id) pairs an approver granted; the service layer audits them."""

from ads.compliance.rules import (
    Rule,
    RuleError,
    RulePack,
    Violation,
    available_countries,
    blocking,
    check,
    effective_rules,
    load_pack,
    merge_rules,
    rules_from_data,
)

__all__ = [
    "Rule",
    "RuleError",
    "RulePack",
    "Violation",
    "available_countries",
    "blocking",
    "check",
    "effective_rules",
    "load_pack",
    "merge_rules",
    "rules_from_data",
]
