"""What the pipeline knows about a workspace (its topics as predicates, the dictionary tagger,
its own handles, brands and competitors), cached for a few seconds per process."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from cxm.channels.selectors import account_handles
from cxm.tenancy.models import Brand
from listening import enrichment
from listening.answering import Ours
from listening.models import DictionaryEntry, Topic
from listening.query import QuerySyntaxError, matcher, parse

CACHE_SECONDS = 15


@dataclass
class WorkspaceContext:
    loaded_at: float
    topics: list[tuple[int, Any]]  # (topic id, predicate)
    tagger: Any
    own_handles: frozenset[str]
    brand_by_name: dict[str, int]
    brand_units: dict[int, int | None]
    brand_ids: set[int]
    ours: Ours = field(default_factory=Ours)


_contexts: dict[int, WorkspaceContext] = {}


def workspace_context(workspace_id: int) -> WorkspaceContext:
    cached = _contexts.get(workspace_id)
    if cached is not None and time.monotonic() - cached.loaded_at < CACHE_SECONDS:
        return cached
    topics = []
    for topic_id, query in Topic.objects.filter(workspace_id=workspace_id).values_list("pk", "query"):
        try:
            topics.append((topic_id, matcher(parse(query))))
        except QuerySyntaxError:
            continue  # saved queries are validated on save; an old bad one must not stop ingest
    topic_brands = dict(Topic.objects.filter(workspace_id=workspace_id).values_list("pk", "brand_id"))
    brands = list(
        Brand.objects.filter(workspace_id=workspace_id).values_list(
            "pk", "name", "business_unit_id", "is_competitor"
        )
    )
    competitors = {pk for pk, _, _, rival in brands if rival}
    competitor_tags = {("brand", name.casefold()) for _, name, _, rival in brands if rival}
    entries = [("brand", name, [name]) for _, name, _, _ in brands]
    for entry in DictionaryEntry.objects.filter(workspace_id=workspace_id):
        entries.append((entry.tag_type, entry.tag, entry.terms))
        if entry.brand_id in competitors:
            competitor_tags.add((entry.tag_type, entry.tag.casefold()))
    handles = frozenset(handle.lower() for handle in account_handles(workspace_id=workspace_id))
    context = WorkspaceContext(
        loaded_at=time.monotonic(),
        topics=topics,
        tagger=enrichment.DictionaryTagger(entries),
        own_handles=handles,
        brand_by_name={name.lower(): pk for pk, name, _, _ in brands},
        brand_units={pk: unit for pk, _, unit, _ in brands},
        brand_ids={pk for pk, _, _, _ in brands},
        ours=Ours(
            # "@handle" of each own account: a post that names one is addressed to us.
            own_mentions=tuple(f"@{own.lstrip('@')}" for own in handles),
            competitor_tags=frozenset(competitor_tags),
            competitor_topics=frozenset(pk for pk, brand in topic_brands.items() if brand in competitors),
        ),
    )
    _contexts[workspace_id] = context
    return context


def forget_workspace_context(workspace_id: int | None = None) -> None:
    if workspace_id is None:
        _contexts.clear()
    else:
        _contexts.pop(workspace_id, None)
