"""Every non-trivial read in listening, scoped to one workspace, by page. Other apps import from
here (`listening.selectors`), never the submodules; listening's own modules import the
submodules:

explorer        the Explorer's search (filters, keyset pages, facets), query errors, saved searches
mention_detail  a mention, its thread, its author's history; language detection; the customer
                timeline's mentions
topic_setup     the topics pages: topics, their names and mention counts
spikes          spike alerts, deliveries due, a topic's daily series for spike detection
dashboard       the dashboard's figures, from the daily roll-ups
paid_comments   comments on ads, read for ads
kpis            set-based aggregates for the transformation KPIs, architecture and usage counts
"""

from listening.selectors.explorer import ExplorerFilters, mentions_search
from listening.selectors.kpis import (
    architecture_counts,
    kpi_active_authors,
    kpi_ad_comment_counts,
    kpi_advocate_counts,
    kpi_alert_acknowledgements,
    kpi_mention_answers,
    kpi_sentiment_counts,
    mentions_exist,
)
from listening.selectors.mention_detail import languages_detect, mention_get, mentions_by_external_ids
from listening.selectors.paid_comments import (
    ad_comment_stats,
    ad_comments,
    ad_comments_resume_cursor,
    ad_negative_comment_count,
)
from listening.selectors.spikes import alerts
from listening.selectors.topic_setup import topic_platform_queries, topics

__all__ = [
    "ExplorerFilters",
    "ad_comment_stats",
    "ad_comments",
    "ad_comments_resume_cursor",
    "ad_negative_comment_count",
    "alerts",
    "architecture_counts",
    "kpi_active_authors",
    "kpi_ad_comment_counts",
    "kpi_advocate_counts",
    "kpi_alert_acknowledgements",
    "kpi_mention_answers",
    "kpi_sentiment_counts",
    "languages_detect",
    "mention_get",
    "mentions_by_external_ids",
    "mentions_exist",
    "mentions_search",
    "topic_platform_queries",
    "topics",
]
