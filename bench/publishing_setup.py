"""Accounts on the stub platform and posts due at one moment, for the publishing benchmarks."""

from __future__ import annotations

import uuid


def accounts_on(stub, workspace, count: int):
    from cxm.channels.models import ChannelAccount

    return ChannelAccount.objects.bulk_create(
        [
            ChannelAccount(
                workspace=workspace,
                platform="mastodon",
                handle=f"brand{n}@bench.local",
                base_url=stub.base_url,
                credentials={"access_token": "bench-token"},
            )
            for n in range(count)
        ]
    )


def targets_due(workspace, accounts, *, targets: int, due_at) -> int:
    """`targets` scheduled targets, `len(accounts)` per post, all due at `due_at`."""
    from publishing.models import Post, PostStatus, PostTarget, TargetStatus

    per_post = len(accounts)
    posts = Post.objects.bulk_create(
        [
            Post(
                workspace=workspace,
                text=f"Bench post {n} {uuid.uuid4().hex[:6]}",
                status=PostStatus.SCHEDULED,
                scheduled_at=due_at,
            )
            for n in range((targets + per_post - 1) // per_post)
        ]
    )
    rows = []
    for post in posts:
        for account in accounts:
            if len(rows) == targets:
                break
            rows.append(
                PostTarget(
                    workspace=workspace,
                    post=post,
                    account=account,
                    status=TargetStatus.SCHEDULED,
                    due_at=due_at,
                )
            )
    PostTarget.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
