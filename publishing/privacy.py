"""What publishing holds about a person, for data-subject requests.

Posts are the workspace's own words, not the person's: erasure keeps every post, its targets and
their engagement counts, and replaces each identifier of the person (handle on any platform,
email, phone, platform id, name) by `[erased]` wherever publishing stored it: the post's text,
its per-account and per-language variants and tags, each target's stored URL and error, review
comments, and media descriptions (alt text) and file names. A scheduled post goes out with the
scrubbed text.

A published post also lives on the platform, which cannot be erased from here: the erasure
reports, as `posts_on_platforms`, how many published copies (one per account a post went to)
named the person, and the export lists them with their URLs, so an admin can take them down there.
"""

from __future__ import annotations

import re

from django.db import transaction
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast

from cxm.privacy.registry import ExportWriter
from cxm.privacy.subject import Subject, names, scrub_json, scrub_text
from publishing.models import MediaAttachment, Post, PostComment, PostTarget, TargetStatus


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _naming(subject: Subject, *fields: str) -> Q | None:
    """A database-side pre-filter: any of the fields contains any identifier. The exact,
    whole-word test runs in Python afterwards."""
    identifiers = subject.identifiers()
    if not identifiers:
        return None
    condition = Q()
    for value in identifiers:
        for name in fields:
            condition |= Q(**{f"{name}__icontains": value})
    return condition


def _post_names(post: Post, pattern: re.Pattern[str]) -> bool:
    return (
        names(post.text, pattern)
        or names(post.variants, pattern)
        or names(list(post.tags), pattern)
        or any(names(target.error, pattern) or names(target.url, pattern) for target in post.targets.all())
    )


def _posts(workspace_id: int, subject: Subject) -> list[Post]:
    pattern = subject.pattern()
    condition = _naming(subject, "text", "variants_text", "tags_text", "targets__error", "targets__url")
    if pattern is None or condition is None:
        return []
    candidates = (
        Post.objects.filter(workspace_id=workspace_id)
        .annotate(variants_text=Cast("variants", TextField()), tags_text=Cast("tags", TextField()))
        .filter(condition)
        .distinct()
        .order_by("created_at", "id")
        .prefetch_related("targets__account")
    )
    return [post for post in candidates if _post_names(post, pattern)]


def _comments(workspace_id: int, subject: Subject) -> list[PostComment]:
    pattern = subject.pattern()
    condition = _naming(subject, "text")
    if pattern is None or condition is None:
        return []
    candidates = (
        PostComment.objects.filter(workspace_id=workspace_id).filter(condition).order_by("created_at", "id")
    )
    return [comment for comment in candidates if names(comment.text, pattern)]


def _media(workspace_id: int, subject: Subject) -> list[MediaAttachment]:
    pattern = subject.pattern()
    condition = _naming(subject, "description", "filename")
    if pattern is None or condition is None:
        return []
    candidates: QuerySet[MediaAttachment] = (
        MediaAttachment.objects.filter(workspace_id=workspace_id).filter(condition).order_by("id")
    )
    return [
        media for media in candidates if names(media.description, pattern) or names(media.filename, pattern)
    ]


def _published_copies(posts: list[Post], pattern: re.Pattern[str]) -> list[tuple[Post, PostTarget, str]]:
    """(post, target, text as published) for each account a post went out to with words naming
    the person: a variant may name them where the main text does not, or the other way round."""
    copies = []
    for post in posts:
        for target in post.targets.all():
            if target.status != TargetStatus.PUBLISHED:
                continue
            text = post.text_for(platform=target.account.platform, language=target.account.language)
            if names(text, pattern):
                copies.append((post, target, text))
    return copies


def _stored_name_scrubbed(attachment: MediaAttachment, pattern: re.Pattern[str]) -> str:
    """The file's stored name, copied to one without the person's identifiers when the upload's
    name carried them. The old file goes once the erasure commits, so a rollback leaves the row
    pointing at a file that still exists."""
    stored = attachment.file.name
    if not stored or not names(stored, pattern) or not attachment.file.storage.exists(stored):
        return stored
    storage = attachment.file.storage
    with storage.open(stored, "rb") as content:
        renamed = storage.save(scrub_text(stored, pattern), content)
    transaction.on_commit(lambda: storage.delete(stored))
    return renamed


class PublishingHandler:
    name = "publishing"
    order = 40
    kinds = ("posts", "post_comments", "post_media", "posts_on_platforms")

    def find(self, workspace_id: int, subject: Subject) -> dict[str, int]:
        posts = _posts(workspace_id, subject)
        return {
            "posts": len(posts),
            "post_comments": len(_comments(workspace_id, subject)),
            "post_media": len(_media(workspace_id, subject)),
            "posts_on_platforms": len(_published_copies(posts, subject.pattern())),
        }

    def export(self, workspace_id: int, subject: Subject, writer: ExportWriter) -> None:
        posts = _posts(workspace_id, subject)
        for post in posts:
            writer.write(
                "posts",
                {
                    "id": post.pk,
                    "status": post.status,
                    "text": post.text,
                    "variants": post.variants,
                    "tags": list(post.tags),
                    "scheduled_at": _iso(post.scheduled_at),
                    "created_at": _iso(post.created_at),
                    "targets": [
                        {
                            "platform": target.account.platform,
                            "account": target.account.handle,
                            "status": target.status,
                            "published_at": _iso(target.published_at),
                            "url": target.url,
                        }
                        for target in post.targets.all()
                    ],
                },
            )
        for post, target, text in _published_copies(posts, subject.pattern()):
            writer.write(
                "posts_on_platforms",
                {
                    "post": post.pk,
                    "platform": target.account.platform,
                    "account": target.account.handle,
                    "external_id": target.external_id,
                    "url": target.url,
                    "published_at": _iso(target.published_at),
                    "text": text,
                },
            )
        for comment in _comments(workspace_id, subject):
            writer.write(
                "post_comments",
                {
                    "id": comment.pk,
                    "post": comment.post_id,
                    "kind": comment.kind,
                    "text": comment.text,
                    "created_at": _iso(comment.created_at),
                },
            )
        for media in _media(workspace_id, subject):
            writer.write(
                "post_media",
                {
                    "id": media.pk,
                    "post": media.post_id,
                    "filename": media.filename,
                    "description": media.description,
                    "content_type": media.content_type,
                    "created_at": _iso(media.created_at),
                },
            )

    def erase(self, workspace_id: int, subject: Subject) -> dict[str, int]:
        pattern = subject.pattern()
        posts = _posts(workspace_id, subject)
        # Counted before the scrub: afterwards no text names them, the copies on the platforms still do.
        on_platforms = len(_published_copies(posts, pattern))
        for post in posts:
            Post.objects.filter(workspace_id=workspace_id, pk=post.pk).update(
                text=scrub_text(post.text, pattern),
                variants=scrub_json(post.variants, pattern),
                tags=[scrub_text(tag, pattern)[:64] for tag in post.tags],
            )
            for target in post.targets.all():
                if names(target.error, pattern) or names(target.url, pattern):
                    PostTarget.objects.filter(workspace_id=workspace_id, pk=target.pk).update(
                        error=scrub_text(target.error, pattern), url=scrub_text(target.url, pattern)[:1000]
                    )
        comments = _comments(workspace_id, subject)
        for comment in comments:
            PostComment.objects.filter(workspace_id=workspace_id, pk=comment.pk).update(
                text=scrub_text(comment.text, pattern)
            )
        media = _media(workspace_id, subject)
        for attachment in media:
            MediaAttachment.objects.filter(workspace_id=workspace_id, pk=attachment.pk).update(
                description=scrub_text(attachment.description, pattern)[:1500],
                filename=scrub_text(attachment.filename, pattern)[:255],
                file=_stored_name_scrubbed(attachment, pattern),
            )
        return {
            "posts": len(posts),
            "post_comments": len(comments),
            "post_media": len(media),
            "posts_on_platforms": on_platforms,
        }
