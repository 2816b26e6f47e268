"""Comments people wrote under the workspace's ads, for data-subject requests.

The comments are paid mentions that listening stores; this handler reports and exports them as
their own kind. Listening's handler, which owns the rows, erases them together with the rest of
the person's mentions (it runs after this one), so erasing here only reports what was found.
"""

from __future__ import annotations

from cxm.privacy.registry import ExportWriter
from cxm.privacy.subject import Subject
from listening import selectors as listening_selectors

PAGE = 500


def _comments(workspace_id: int, subject: Subject):
    for profile_id in subject.profile_ids:
        filters = listening_selectors.ExplorerFilters(customer=profile_id, media_type="paid")
        cursor = None
        while True:
            page = listening_selectors.mentions_search(
                workspace=workspace_id, filters=filters, cursor=cursor, limit=PAGE, facets=False
            )
            yield from page.results
            if not page.next_cursor:
                break
            cursor = page.next_cursor


class AdsHandler:
    name = "ads"
    order = 10
    kinds = ("ad_comments",)

    def find(self, workspace_id: int, subject: Subject) -> dict[str, int]:
        return {"ad_comments": sum(1 for _comment in _comments(workspace_id, subject))}

    def export(self, workspace_id: int, subject: Subject, writer: ExportWriter) -> None:
        for comment in _comments(workspace_id, subject):
            writer.write(
                "ad_comments",
                {
                    "id": comment["id"],
                    "ad": comment.get("ad_id"),
                    "platform": comment["platform"],
                    "external_id": comment["external_id"],
                    "created_at": comment["created_at"].isoformat(),
                    "author_handle": comment["author_handle"],
                    "author_name": comment["author_name"],
                    "text": comment["text"],
                    "sentiment": comment["sentiment"],
                    "url": comment["url"],
                },
            )

    def erase(self, workspace_id: int, subject: Subject) -> dict[str, int]:
        return self.find(workspace_id, subject)
