"""bench/privacy_export: one person with 10,000 records (mentions, ad comments, cases with
messages and notes, CSAT answers) in a workspace of other people's mentions; times the export
request from `request_run` to the ZIP on disk (aim: 60 s), then the erasure.

    .venv/bin/python -m bench.privacy_export --items 10000
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=10_000, help="records held about the person")
    parser.add_argument("--others", type=int, default=20_000, help="mentions by other people")
    parser.add_argument("--erase", action="store_true", help="also time the erasure")
    args = parser.parse_args()

    from bench.common import setup_django

    services = setup_django("bench-privacy")
    try:
        run(args)
    finally:
        services.stop()


def _ingest(workspace_id: int, items: list[dict]) -> None:
    from listening.services import mentions_ingest_payload

    for start in range(0, len(items), 1000):
        mentions_ingest_payload(workspace_id=workspace_id, items=items[start : start + 1000])


def run(args) -> None:
    from django.utils import timezone

    from bench.common import fresh_workspace, timer
    from care.models import Case, CaseStatus, CsatResponse, Direction, Message
    from cxm.customers.models import CustomerProfile, Identity
    from cxm.privacy import services
    from cxm.privacy.selectors import export_path

    workspace = fresh_workspace("Privacy bench")
    start = datetime(2026, 6, 1, tzinfo=UTC)
    handle, email = "@subject@social.example", "subject@mail.example"
    mentions = int(args.items * 0.7)
    cases = max(1, args.items // 20)
    _ingest(
        workspace.pk,
        [
            {
                "platform": "mastodon",
                "external_id": f"s-{index}",
                "text": f"Subject post {index} about the product",
                "created_at": (start + timedelta(minutes=index)).isoformat(),
                "author": {"id": "subject", "handle": handle, "name": "Subject Person"},
                "media_type": "paid" if index % 10 == 0 else None,
                "kind": "comment" if index % 10 == 0 else "post",
            }
            for index in range(mentions)
        ],
    )
    _ingest(
        workspace.pk,
        [
            {
                "platform": "mastodon",
                "external_id": f"o-{index}",
                "text": f"Someone else's post {index}",
                "created_at": (start + timedelta(seconds=17 * index)).isoformat(),
                "author": {"id": f"other-{index % 500}", "handle": f"@other{index % 500}@social.example"},
            }
            for index in range(args.others)
        ],
    )
    profile = CustomerProfile.objects.filter(workspace=workspace, identities__platform_id="subject").first()
    Identity.objects.create(
        workspace=workspace, profile=profile, platform="email", platform_id=email, handle=email, email=email
    )
    now = timezone.now()
    held = Case.objects.filter(workspace=workspace, customer=profile).count()
    per_case = max(1, (args.items - mentions - held) // cases - 1)
    case_rows = Case.objects.bulk_create(
        [
            Case(
                workspace=workspace,
                customer=profile,
                status=CaseStatus.CLOSED,
                closed_at=now,
                last_message_at=now,
            )
            for _ in range(cases)
        ]
    )
    Message.objects.bulk_create(
        [
            Message(
                workspace=workspace,
                case=case,
                direction=Direction.NOTE if index % 4 == 3 else Direction.OUTBOUND,
                text=f"Message {index} of case {case.pk}",
                occurred_at=now,
            )
            for case in case_rows
            for index in range(per_case)
        ]
    )
    CsatResponse.objects.bulk_create(
        [CsatResponse(workspace=workspace, case=case, customer=profile, score=4) for case in case_rows]
    )

    privacy_request = services.request_create(
        workspace=workspace, kind="export", identity=email, enqueue=False
    )
    with timer() as took:
        done = services.request_run(workspace_id=workspace.pk, request_id=privacy_request.pk)
    total = sum(done.counts.values())
    size = export_path(done).stat().st_size
    print(
        f"export: {total:,} records in {took['seconds']:.1f} s ({size / 1e6:.1f} MB ZIP), status {done.status}"
    )
    for kind, count in sorted(done.counts.items()):
        print(f"  {kind}: {count:,}")
    if args.erase:
        erase = services.request_create(workspace=workspace, kind="erase", identity=email, enqueue=False)
        with timer() as took:
            done = services.request_run(workspace_id=workspace.pk, request_id=erase.pk)
        print(
            f"erase: {sum(v for v in done.counts.values()):,} records in {took['seconds']:.1f} s, status {done.status}"
        )


if __name__ == "__main__":
    main()
