"""bench/transformation: every KPI of one large workspace, measured the way the hourly snapshot
task measures it. Bulk-loads (generate_series SQL) M mentions over 180 days with their daily
roll-up and author profiles, C care cases with their messages and CSAT answers (as bench.inbox
loads them, plus a person's reply for each answered case), published posts with metrics, ads
with 90 days of insights, alerts, a pause that stopped campaigns and audited actions, then:

    .venv/bin/python -m bench.transformation --mentions 1000000 --cases 500000

- seconds per KPI source (each source measures its KPIs in a few set-based queries), and the
  figures each KPI came out with;
- seconds for a whole snapshot (every source, scored, rolled up and stored), the unit of work
  of the beat task; and the same for one brand's scope.

Runs on its own embedded servers (var/bench-transformation); each run empties the listening,
care and customer tables there first. Prints the load average: the machine may be shared.
"""

from __future__ import annotations

import argparse
import importlib
import os
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

MENTION_DAYS = 180
AUTHORS = 50_000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=500_000)
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument(
        "--repeat", type=int, default=3, help="timed runs of each source (best and median shown)"
    )
    args = parser.parse_args()

    from bench.common import setup_django

    services = setup_django("bench-transformation")
    try:
        run(args)
    finally:
        services.stop()


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def run(args) -> None:
    from bench.common import fresh_workspace, timer

    empty_tables()
    workspace = fresh_workspace("KPI bench")
    with timer() as loading:
        brands = make_brands(workspace)
        profiles_first = load_profiles(workspace)
        ad_ids = load_ads(workspace, brands)
        load_mentions(workspace, brands, count=args.mentions, profiles_first=profiles_first, ad_ids=ad_ids)
        load_care(workspace, cases=args.cases, agents=args.agents)
        load_posts(workspace, brands, count=args.posts)
        load_alerts_pause_and_audit(workspace)
        analyze()
    print(
        f"loaded {args.mentions:,} mentions, {args.cases:,} cases, {args.posts:,} posts, ads and alerts "
        f"in {loading['seconds']:.0f} s"
    )
    print(f"load average after loading: {load()}")
    print()
    measure_sources(workspace, repeat=args.repeat)
    print()
    measure_snapshots(workspace, brands)
    print()
    print(f"load average: {load()} on {os.cpu_count()} cores")


# --- data ------------------------------------------------------------------------------------------


def empty_tables() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE listening_mention, listening_mention_key, listening_mention_daily, "
            "listening_author_daily, care_notification, care_caseevent, care_csatresponse, care_message, "
            "care_case, care_agentprofile, care_queue, customers_identity, customers_customermerge, "
            "customers_customerprofile, transformation_kpisnapshot CASCADE"
        )


def make_brands(workspace) -> dict:
    from cxm.tenancy.models import Brand, BusinessUnit

    unit = BusinessUnit.objects.create(workspace=workspace, name="Beverages")
    return {
        "unit": unit,
        "ours": Brand.objects.create(workspace=workspace, name="Kopi", business_unit=unit),
        "second": Brand.objects.create(workspace=workspace, name="Teh", business_unit=unit),
        "rival": Brand.objects.create(workspace=workspace, name="Rival", is_competitor=True),
    }


def load_profiles(workspace) -> int:
    """One profile per mention author, each with a Mastodon identity; one in four also has an
    email identity (unified across channels)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO customers_customerprofile (workspace_id, display_name, attributes, created_at, updated_at)
            SELECT %s, 'author' || g, '{}'::jsonb, now(), now() FROM generate_series(0, %s - 1) g
            """,
            [workspace.pk, AUTHORS],
        )
        cursor.execute(
            "SELECT min(id) FROM customers_customerprofile WHERE workspace_id = %s", [workspace.pk]
        )
        first = cursor.fetchone()[0]
        cursor.execute(
            """
            INSERT INTO customers_identity (workspace_id, profile_id, platform, platform_id, handle, name, email,
                verified, created_at)
            SELECT %(ws)s, %(first)s + g, 'mastodon', 'm' || g, 'author' || g, '', '', false, now()
            FROM generate_series(0, %(n)s - 1) g
            UNION ALL
            SELECT %(ws)s, %(first)s + g, 'email', 'author' || g || '@example.com', '', '',
                   'author' || g || '@example.com', false, now()
            FROM generate_series(0, %(n)s - 1) g WHERE g %% 4 = 1
            """,
            {"ws": workspace.pk, "first": first, "n": AUTHORS},
        )
    return first


def load_mentions(workspace, brands: dict, *, count: int, profiles_first: int, ad_ids: list[int]) -> None:
    """Mentions evenly over the last 180 days: 5% comments under our ads (paid), 1 in 7 our own
    posts, the rest earned; a tenth about a competitor; 40% positive, 30% negative; a quarter
    by 1,000 regular authors."""
    from django.db import connection

    from listening.partitions import ensure_partitions

    now = datetime.now(UTC)
    months = {now - timedelta(days=d) for d in range(0, MENTION_DAYS + 2, 10)} | {now}
    ensure_partitions(months)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO listening_mention (workspace_id, created_at, platform, external_id, brand_id,
                business_unit_id, kind, media_type, customer_id, author_handle, author_name, text, language,
                sentiment, sentiment_score, country, needs_answer, answered, answered_at, raw)
            SELECT %(ws)s, created, platform, 'tb-' || g, brand, CASE WHEN brand = %(rival)s THEN NULL ELSE %(unit)s END,
                   CASE WHEN media = 'paid' THEN 'comment' WHEN g %% 9 = 0 THEN 'comment' ELSE 'post' END,
                   media, CASE WHEN media = 'owned' THEN NULL ELSE %(p0)s + author END,
                   CASE WHEN media = 'owned' THEN 'kopi_official' ELSE 'author' || author END, '',
                   'Mention ' || g || ' about kopi', 'en', sentiment,
                   CASE sentiment WHEN 'positive' THEN 0.7 WHEN 'negative' THEN -0.7 ELSE 0 END, 'ID',
                   media <> 'owned' AND (media = 'paid' OR g %% 9 = 0), answered,
                   CASE WHEN answered THEN created + (g %% 48) * interval '1 hour' END,
                   CASE WHEN media = 'paid' THEN jsonb_build_object('ad_id', (%(ads)s::bigint[])[1 + g %% %(nads)s]) END
            FROM (
                SELECT g, now() - %(days)s * interval '1 day' * (1 - g::float / %(n)s) AS created,
                       (ARRAY['mastodon', 'bluesky', 'demo'])[1 + g %% 3] AS platform,
                       CASE WHEN g %% 10 = 0 THEN %(rival)s WHEN g %% 10 < 6 THEN %(ours)s ELSE %(second)s END AS brand,
                       CASE WHEN g %% 20 = 1 THEN 'paid' WHEN g %% 7 = 0 THEN 'owned' ELSE 'earned' END AS media,
                       -- a quarter of the mentions come from 1,000 regulars (the would-be advocates)
                       CASE WHEN g %% 4 = 0 THEN (g / 4) %% 1000 ELSE (g::bigint * 7919) %% %(authors)s END AS author,
                       CASE WHEN (hashtext(g::text)::bigint + 2147483648) %% 10 < 4 THEN 'positive'
                            WHEN (hashtext(g::text)::bigint + 2147483648) %% 10 < 7 THEN 'neutral'
                            ELSE 'negative' END AS sentiment,
                       g %% 3 <> 0 AS answered
                FROM generate_series(1, %(n)s) g
            ) s
            """,
            {
                "ws": workspace.pk,
                "n": count,
                "days": MENTION_DAYS,
                "rival": brands["rival"].pk,
                "ours": brands["ours"].pk,
                "second": brands["second"].pk,
                "unit": brands["unit"].pk,
                "p0": profiles_first,
                "authors": AUTHORS,
                "ads": ad_ids,
                "nads": len(ad_ids),
            },
        )
        # The roll-up ingest keeps: one row per day and dimension values, all topics (0).
        cursor.execute(
            """
            INSERT INTO listening_mention_daily (workspace_id, day, topic_id, brand_id, platform, language,
                sentiment, media_type, country, mentions, needs_answer, answered, sentiment_sum)
            SELECT workspace_id, (created_at AT TIME ZONE 'UTC')::date, 0, coalesce(brand_id, 0), platform,
                language, sentiment, media_type, country, count(*), count(*) FILTER (WHERE needs_answer),
                count(*) FILTER (WHERE needs_answer AND answered), sum(sentiment_score)
            FROM listening_mention WHERE workspace_id = %s
            GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
            """,
            [workspace.pk],
        )


def load_care(workspace, *, cases: int, agents: int) -> None:
    """bench.inbox's cases (one in five with an inbound message, CSAT for a quarter of the
    recently resolved), plus an inbound message for every other case and a person's reply, sent
    when the case was first responded to, for each answered case."""
    from django.db import connection

    from bench.inbox import load_cases, make_agents_and_queues

    users, queues = make_agents_and_queues(workspace, agents=agents, queues=5)
    load_cases(workspace, agents=users, queues=queues, cases=cases)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO care_message (
                workspace_id, case_id, direction, platform, external_id, in_reply_to, url,
                author_name, author_handle, subject, text, language, sentiment, occurred_at, meta,
                mentions, status, idempotency_key, reply_to_external_id, recipient, attempts, error,
                created_at, author_user_id, sent_at)
            SELECT workspace_id, id, 'inbound', platform, 'bench-in-' || id, '', '', 'Customer', '', '',
                   'Where is my order ' || id || '?', language, '', created_at, '{}'::jsonb, '{}'::bigint[], '', '', '',
                   '', 0, '', created_at, NULL, NULL
            FROM care_case WHERE workspace_id = %(ws)s AND id %% 5 <> 0
            UNION ALL
            SELECT workspace_id, id, 'outbound', platform, '', '', '', 'agent', '', '',
                   'We are on it: order ' || id, language, '', first_responded_at, '{}'::jsonb, '{}'::bigint[], 'sent',
                   'reply-' || id, '', '', 1, '', first_responded_at, assignee_id, first_responded_at
            FROM care_case WHERE workspace_id = %(ws)s AND first_responded_at IS NOT NULL
            """,
            {"ws": workspace.pk},
        )


def load_posts(workspace, brands: dict, *, count: int) -> None:
    """Posts published over 90 days on two accounts, 30% with a language variant, metrics on all
    but the newest."""
    from django.db import connection

    from cxm.channels.models import ChannelAccount

    accounts = [
        ChannelAccount.objects.create(
            workspace=workspace,
            platform="mastodon",
            handle=f"kopi{n}",
            business_unit=brands["unit"],
            brand=brands["ours"] if n == 0 else brands["second"],
        )
        for n in range(2)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO publishing_post (workspace_id, text, variants, scheduled_at, status, tags, created_at,
                updated_at)
            SELECT %s, 'Post ' || g,
                   CASE WHEN g %% 10 < 3 THEN jsonb_build_object('lang:id', 'Kiriman ' || g) ELSE '{}'::jsonb END,
                   now() - interval '90 days' * (1 - g::float / %s), 'published', '{}', now(), now()
            FROM generate_series(1, %s) g
            """,
            [workspace.pk, count, count],
        )
        cursor.execute(
            """
            INSERT INTO publishing_posttarget (workspace_id, post_id, account_id, status, due_at, idempotency_key,
                attempts, external_id, url, error, published_at, likes, reposts, replies, reach, metrics_at)
            SELECT workspace_id, id, (%s::bigint[])[1 + id %% 2], 'published', scheduled_at, gen_random_uuid(), 1,
                   'ext-' || id, '', '', scheduled_at,
                   CASE WHEN scheduled_at < now() - interval '6 hours' THEN (id %% 40)::int END,
                   CASE WHEN scheduled_at < now() - interval '6 hours' THEN (id %% 9)::int END,
                   CASE WHEN scheduled_at < now() - interval '6 hours' THEN (id %% 7)::int END,
                   CASE WHEN scheduled_at < now() - interval '6 hours' THEN 1000 + (id %% 3000)::int END,
                   CASE WHEN scheduled_at < now() - interval '6 hours' THEN now() END
            FROM publishing_post WHERE workspace_id = %s
            """,
            [[account.pk for account in accounts], workspace.pk],
        )


def load_ads(workspace, brands: dict) -> list[int]:
    """20 campaigns of 5 ads, each ad with 90 days of insights."""
    from django.db import connection

    from ads.models import Ad, AdCampaign, AdSet

    stamp = int(time.time())
    campaigns = AdCampaign.objects.bulk_create(
        [
            AdCampaign(
                workspace=workspace,
                name=f"Campaign {n}",
                external_ref=f"b{stamp}c{n}",
                external_id=f"bc{stamp}{n}",
                currency="USD",
                business_unit=brands["unit"],
                brand=brands["ours"],
                platform_status="ACTIVE",
                status="ACTIVE",
            )
            for n in range(20)
        ]
    )
    sets = AdSet.objects.bulk_create(
        [
            AdSet(workspace=workspace, campaign=c, name=f"Set {c.pk}", external_ref=f"b{stamp}s{c.pk}")
            for c in campaigns
        ]
    )
    ads = Ad.objects.bulk_create(
        [
            Ad(
                workspace=workspace,
                campaign=s.campaign,
                ad_set=s,
                name=f"Ad {s.pk}.{n}",
                external_ref=f"b{stamp}a{s.pk}.{n}",
            )
            for s in sets
            for n in range(5)
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO ads_adinsight (workspace_id, ad_id, campaign_id, ad_set_id, date, hour, currency,
                impressions, reach, clicks, spend, conversions, conversion_value, source, updated_at)
            SELECT a.workspace_id, a.id, a.campaign_id, a.ad_set_id, current_date - d, NULL, 'USD',
                   10000 + (a.id * d) %% 5000, 8000, 100 + (a.id + d) %% 150, 20000 + (a.id * 13 + d) %% 9000,
                   5 + (a.id + d) %% 20, 60000 + (a.id * 17 * d) %% 40000, 'connector', now()
            FROM ads_ad a CROSS JOIN generate_series(1, 90) d
            WHERE a.workspace_id = %s
            """,
            [workspace.pk],
        )
    return [ad.pk for ad in ads]


def load_alerts_pause_and_audit(workspace) -> None:
    """200 spike alerts and 100 negative-comment alerts, most acknowledged within the hour; a
    pause an hour ago that stopped every campaign within a minute; its audit entry."""
    from django.db import connection

    from ads.models import Ad, AdCampaign, AdCommentAlert, CampaignStop
    from cxm.audit.services import audit_record
    from listening.models import Alert, Topic
    from publishing.models import Pause

    topic = Topic.objects.create(workspace=workspace, name="Kopi", query="kopi")
    today = date.today()
    Alert.objects.bulk_create(
        [
            Alert(
                workspace=workspace,
                topic=topic,
                kind="volume",
                day=today - timedelta(days=n),
                observed=90,
                baseline=20,
            )
            for n in range(200)
        ]
    )
    ads = list(Ad.objects.filter(workspace=workspace).select_related("campaign")[:100])
    AdCommentAlert.objects.bulk_create(
        [
            AdCommentAlert(
                workspace=workspace,
                ad=ad,
                campaign=ad.campaign,
                day=today - timedelta(days=n % 30),
                negative=9,
                baseline=2,
            )
            for n, ad in enumerate(ads)
        ]
    )
    with connection.cursor() as cursor:
        for table in ("listening_alert", "ads_adcommentalert"):
            cursor.execute(
                f"UPDATE {table} SET created_at = day + interval '9 hours', "
                "acknowledged_at = CASE WHEN id %% 5 <> 0 THEN day + interval '9 hours' + (id %% 90) * interval '1 minute' END "
                "WHERE workspace_id = %s",
                [workspace.pk],
            )
        cursor.execute(
            "UPDATE ads_adcommentalert SET acknowledged = acknowledged_at IS NOT NULL WHERE workspace_id = %s",
            [workspace.pk],
        )
    started = datetime.now(UTC) - timedelta(hours=1)
    pause = Pause.objects.create(workspace=workspace, scope="global", reason="bench")
    Pause.objects.filter(pk=pause.pk).update(
        starts_at=started,
        created_at=started + timedelta(seconds=1),
        resumed_at=started + timedelta(minutes=30),
    )
    audit_record(workspace=workspace, actor=None, action="publishing.pause", target=pause)
    campaigns = list(AdCampaign.objects.filter(workspace=workspace).values_list("pk", flat=True))
    CampaignStop.objects.bulk_create(
        [
            CampaignStop(
                workspace=workspace,
                pause=pause,
                campaign_id=pk,
                state="stopped",
                next_attempt_at=started,
                stopped_at=started + timedelta(seconds=5 + 2 * n),
            )
            for n, pk in enumerate(campaigns)
        ]
    )
    CampaignStop.objects.filter(pause=pause).update(created_at=started + timedelta(seconds=1))


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# --- measuring -------------------------------------------------------------------------------------


def _scope(workspace, **fields):
    from transformation.kpis.registry import Scope
    from transformation.services import day_end

    return Scope(workspace_id=workspace.pk, until=day_end(datetime.now(UTC).date()), **fields)


def measure_sources(workspace, *, repeat: int) -> None:
    from transformation.kpis.registry import KPIS

    by_source = defaultdict(list)
    for kpi in KPIS:
        by_source[kpi.source].append(kpi)
    scope = _scope(workspace)
    total = 0.0
    print(f"per source, the whole workspace ({repeat} runs each; best / median):")
    figures = {}
    for source, defs in by_source.items():
        module = importlib.import_module(f"transformation.kpis.{source}")
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            figures.update(module.measure(scope, defs))
            samples.append(time.perf_counter() - started)
        samples.sort()
        total += samples[len(samples) // 2]
        print(
            f"  {source:<11} {len(defs):2d} KPIs   {samples[0]:6.2f} s / {samples[len(samples) // 2]:6.2f} s"
        )
    print(f"  {'all':<11} {len(KPIS):2d} KPIs            {total:6.2f} s (sum of medians)")
    print()
    print("figures:")
    for kpi in KPIS:
        result = figures[kpi.key]
        value = "—" if result.value is None else f"{result.value:,.2f} {kpi.unit}"
        print(
            f"  {kpi.key:<34} {result.status:<12} {value:>18}   n {result.n:>9,}   excluded {result.excluded:,}"
        )


def measure_snapshots(workspace, brands: dict) -> None:
    from transformation.services import snapshot_take

    today = datetime.now(UTC).date()
    for label, fields in (
        ("workspace", {}),
        ("one brand", {"brand_id": brands["ours"].pk}),
        ("one business unit", {"business_unit_id": brands["unit"].pk}),
    ):
        started = time.perf_counter()
        snapshot = snapshot_take(workspace_id=workspace.pk, day=today, **fields)
        print(
            f"snapshot of {label:<18} {time.perf_counter() - started:6.2f} s (stored: {snapshot.seconds:.2f} s)"
        )


if __name__ == "__main__":
    main()
