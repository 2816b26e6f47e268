"""A person named in the workspace's posts (a scheduled one and a published one, their variants,
a review comment, a photo's description) and with mentions in a month that was archived to a file:
erasure scrubs all of it, keeps the posts and their counts, says how many published copies are
still on the platforms, and export lists it all."""

from __future__ import annotations

import csv
import gzip
import json
import shutil
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from cxm.channels.models import ChannelAccount
from cxm.privacy.models import PrivacyRequest
from cxm.privacy.selectors import export_path, subject_holdings, subject_resolve
from cxm.tenancy.models import Role
from listening import partitions
from listening.partitions import current_month
from listening.services import mentions_archive, mentions_ingest_payload
from publishing.models import MediaAttachment, Post, PostComment, PostStatus, PostTarget, TargetStatus
from publishing.services.posts import media_attach, post_create
from tests.privacy.conftest import BSKY, EMAIL, HANDLE, NAME, NOW, WORD, make_person
from tests.privacy.test_erase import _found, _media_text, _pg_dump, _run
from tests.privacy.test_export import _export
from tests.privacy.test_views import _login

# The person's recent mentions are written at NOW; the clock stands a few days later, so they are
# in the current month (never archived) and OLD_MONTH is the only month old enough, on any day.
TODAY = NOW + timedelta(days=3)
OLD_MONTH = (TODAY.date().replace(day=1) - timedelta(days=75)).replace(day=1)
OLD_DAY = datetime(OLD_MONTH.year, OLD_MONTH.month, 10, 9, 0, tzinfo=UTC)
OLD_FILE = f"listening_mentions_{OLD_MONTH:%Y-%m}.csv.gz"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _ingest(workspace, external_id: str, text: str, *, handle=HANDLE, author_id="id-zquist", name=NAME):
    result = mentions_ingest_payload(
        workspace_id=workspace.pk,
        items=[
            {
                "platform": "mastodon",
                "external_id": external_id,
                "text": text,
                "created_at": OLD_DAY.isoformat(),
                "author": {"id": author_id, "handle": handle, "name": name},
                "language": "en",
            }
        ],
    )
    assert not result.errors, result.errors


def _account(workspace, handle: str, language: str) -> ChannelAccount:
    return ChannelAccount.objects.create(
        workspace=workspace, platform="mastodon", handle=handle, language=language
    )


def make_posts(workspace) -> tuple[Post, Post]:
    """A scheduled post naming her by handle (and by Bluesky handle in its Bluesky variant) with a
    photo described by her name, and a post published to two accounts whose Indonesian variant
    thanks her by name, with a review comment naming her."""
    english, indonesian = _account(workspace, "brand", "en"), _account(workspace, "brand_id", "id")
    scheduled = post_create(
        workspace=workspace,
        text=f"Congratulations {HANDLE} on winning the tasting contest!",
        variants={"bluesky": f"Congratulations {BSKY}!"},
        accounts=[english],
    )
    Post.objects.filter(pk=scheduled.pk).update(
        status=PostStatus.SCHEDULED, scheduled_at=timezone.now() + timedelta(days=2)
    )
    PostTarget.objects.filter(post=scheduled).update(
        status=TargetStatus.SCHEDULED,
        due_at=timezone.now() + timedelta(days=2),
        error=f"Retrying: the platform timed out on 'Congratulations {HANDLE}'",
    )
    media_attach(
        post=scheduled,
        upload=SimpleUploadedFile(f"{BSKY}-portrait.png", PNG, content_type="image/png"),
        description=f"{NAME} holding the trophy",
    )
    published = post_create(
        workspace=workspace,
        text="Thank you to everyone who came to the tasting!",
        variants={"lang:id": f"Terima kasih {NAME} dan semua yang datang!"},
        accounts=[english, indonesian],
    )
    Post.objects.filter(pk=published.pk).update(status=PostStatus.PUBLISHED)
    for target in PostTarget.objects.filter(post=published).select_related("account"):
        PostTarget.objects.filter(pk=target.pk).update(
            status=TargetStatus.PUBLISHED,
            external_id=f"1100{target.pk}",
            url=f"https://social.example/@{target.account.handle}/1100{target.pk}",
            published_at=timezone.now() - timedelta(days=1),
            likes=40,
        )
    PostComment.objects.create(workspace=workspace, post=published, text=f"Did {NAME} agree to be named?")
    return scheduled, published


def make_archived_month(workspace, other_workspace, folder: Path) -> Path:
    """Two of her mentions and one naming her in an old month, beside other people's, archived."""
    _ingest(workspace, "old-1", f"Back then my {WORD} was the best, write to {EMAIL}")
    _ingest(workspace, "old-2", f"Still thinking about that {WORD}")
    _ingest(
        workspace,
        "old-3",
        f"Agree with {HANDLE} completely",
        handle="@other@social.example",
        author_id="o",
        name="Other",
    )
    _ingest(
        workspace,
        "old-4",
        "Kopi Nusantara was great",
        handle="@fan@social.example",
        author_id="f",
        name="Fan",
    )
    _ingest(
        other_workspace,
        "old-b",
        "Kopi Nusantara in the other workspace",
        handle="@b@x.example",
        author_id="b",
        name="Bee",
    )
    mentions_archive(before=current_month(), export_dir=folder, drop=True)
    assert partitions.partition_name(OLD_MONTH) not in partitions.partitions()
    return folder / OLD_FILE


def _folder_text(folder: Path) -> str:
    return "\n".join(gzip.decompress(path.read_bytes()).decode().lower() for path in folder.glob("*.csv.gz"))


def _file_rows(path: Path) -> list[dict[str, str]]:
    with gzip.open(path, "rt", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(autouse=True)
def _clock_at_today(time_machine):
    time_machine.move_to(TODAY, tick=True)


@pytest.fixture
def person(workspace_a, workspace_b, admin, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    make_person(workspace_a)
    scheduled, published = make_posts(workspace_a)
    archive = make_archived_month(workspace_a, workspace_b, tmp_path / "archive")
    return scheduled, published, archive


@pytest.mark.django_db(transaction=True)
def test_erased_person_is_in_no_post_dump_media_or_archived_month(person, workspace_a, admin):
    _scheduled, _published, archive = person
    assert _found(_folder_text(archive.parent)).keys() >= {EMAIL, WORD}
    assert _found(_pg_dump()).keys() >= {BSKY, NAME, WORD}

    erasure = _run(workspace_a, "erase", EMAIL, admin)

    assert erasure.status == PrivacyRequest.Status.DONE, erasure.error
    dump = _pg_dump()
    assert _found(dump) == {}, [line for line in dump.splitlines() if "quistorp" in line]
    assert _found(_media_text()) == {}
    assert _found(_folder_text(archive.parent)) == {}
    assert [path.name for path in archive.parent.iterdir()] == [OLD_FILE]  # rewritten in place
    assert {
        kind: erasure.counts[kind]
        for kind in (
            "posts",
            "post_comments",
            "post_media",
            "posts_on_platforms",
            "archived_mentions",
            "archived_mentions_naming_them",
            "archive_files_rewritten",
            "archive_files_out_of_reach",
        )
    } == {
        "posts": 2,
        "post_comments": 1,
        "post_media": 1,
        "posts_on_platforms": 1,  # the Indonesian copy; the English one never named her
        "archived_mentions": 2,
        "archived_mentions_naming_them": 1,
        "archive_files_rewritten": 1,
        "archive_files_out_of_reach": 0,
    }


@pytest.mark.django_db
def test_erasure_keeps_the_posts_their_schedule_and_their_counts(person, workspace_a, admin):
    scheduled, published, _archive = person

    _run(workspace_a, "erase", HANDLE, admin)

    scheduled.refresh_from_db()
    assert scheduled.status == PostStatus.SCHEDULED
    assert scheduled.text == "Congratulations [erased] on winning the tasting contest!"
    assert scheduled.variants == {"bluesky": "Congratulations [erased]!"}
    assert scheduled.targets.get().status == TargetStatus.SCHEDULED
    published.refresh_from_db()
    assert published.variants == {"lang:id": "Terima kasih [erased] dan semua yang datang!"}
    assert published.text == "Thank you to everyone who came to the tasting!"
    assert sorted(published.targets.values_list("likes", flat=True)) == [40, 40]
    photo = MediaAttachment.objects.get(post=scheduled)
    assert photo.description == "[erased] holding the trophy"
    assert BSKY not in photo.filename and BSKY not in photo.file.name
    assert photo.file.storage.exists(photo.file.name)


@pytest.mark.django_db
def test_the_scrubbed_archive_file_loads_back_with_every_row(person, workspace_a, workspace_b, admin):
    _scheduled, _published, archive = person
    before = {row["external_id"]: row for row in _file_rows(archive)}

    _run(workspace_a, "erase", EMAIL, admin)

    after = {row["external_id"]: row for row in _file_rows(archive)}
    assert len(after) == len(before) == 5
    assert after["old-4"] == before["old-4"] and after["old-b"] == before["old-b"]
    assert after["old-3"]["text"] == "Agree with [erased] completely"
    theirs = [after["old-1"], after["old-2"]]
    assert {row["text"] for row in theirs} == {"[erased]"}
    assert {row["author_handle"] for row in theirs} != {HANDLE} and not any(
        row["customer_id"] for row in theirs
    )

    with connection.cursor() as wrapper, gzip.open(archive, "rb") as handle:
        columns = handle.readline().decode().strip()
        handle.seek(0)
        partitions.ensure_partitions([OLD_DAY])
        with wrapper.cursor.copy(
            f"COPY listening_mention ({columns}) FROM STDIN WITH (FORMAT csv, HEADER)"
        ) as copy:
            while block := handle.read(65536):
                copy.write(block)
        wrapper.execute("SELECT count(*) FROM listening_mention WHERE created_at = %s", [OLD_DAY])
        assert wrapper.fetchone()[0] == 5


@pytest.mark.django_db
def test_export_lists_the_posts_the_copies_on_platforms_and_the_archived_mentions(person, workspace_a, admin):
    done = _export(workspace_a, EMAIL, admin)

    assert done.status == PrivacyRequest.Status.DONE, done.error
    assert (done.counts["posts"], done.counts["posts_on_platforms"], done.counts["archived_mentions"]) == (
        2,
        1,
        2,
    )
    with zipfile.ZipFile(export_path(done)) as archive:
        posts = json.loads(archive.read("posts.json"))
        copies = json.loads(archive.read("posts_on_platforms.json"))
        archived = json.loads(archive.read("archived_mentions.json"))
        media = json.loads(archive.read("post_media.json"))
    assert any(HANDLE in post["text"] for post in posts)
    assert [(copy["account"], copy["text"]) for copy in copies] == [
        ("brand_id", f"Terima kasih {NAME} dan semua yang datang!")
    ]
    assert copies[0]["url"].startswith("https://social.example/@brand_id/")
    assert {mention["external_id"] for mention in archived} == {"old-1", "old-2"}
    assert {mention["archive_file"] for mention in archived} == {OLD_FILE}
    assert all(WORD in mention["text"] for mention in archived)
    assert media[0]["description"] == f"{NAME} holding the trophy"


@pytest.mark.django_db
def test_the_privacy_page_counts_posts_and_archived_mentions(person, workspace_a):
    subject = subject_resolve(workspace_id=workspace_a.pk, identity=EMAIL)

    holdings = subject_holdings(workspace_id=workspace_a.pk, subject=subject)

    assert holdings["posts"] == 2 and holdings["posts_on_platforms"] == 1
    assert holdings["archived_mentions"] == 2 and holdings["mentions"] == 3


@pytest.mark.django_db
def test_an_archive_file_moved_away_is_reported_out_of_reach(person, workspace_a, admin, tmp_path):
    _scheduled, _published, archive = person
    offline = tmp_path / "offline"
    offline.mkdir()
    shutil.move(archive, offline / archive.name)

    erasure = _run(workspace_a, "erase", EMAIL, admin)

    assert erasure.counts["archive_files_out_of_reach"] == 1
    assert erasure.counts["archived_mentions"] == 0
    assert EMAIL.lower() in _folder_text(offline)


@pytest.mark.django_db
def test_the_privacy_page_warns_that_copies_on_platforms_stay(person, client, member, workspace_a):
    _login(client, member(workspace_a, Role.ADMIN))

    page = client.post("/admin/privacy/", {"identity": EMAIL}).content.decode()

    assert (
        'data-kind="posts_on_platforms"><td>Published posts naming them, still on the platforms</td><td>1</td>'
        in page
    )
    assert 'data-platform-copies="1"' in page and "delete or edit it on the platform" in page
