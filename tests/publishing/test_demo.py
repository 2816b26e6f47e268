import pytest

from cxm.channels.services.demo import demo_accounts_seed
from publishing.models import Post, PostStatus
from publishing.services.demo import demo_seed
from tests.factories import WorkspaceFactory


@pytest.mark.django_db
def test_the_demo_workspace_gets_a_calendar_once():
    workspace = WorkspaceFactory(slug="demo")
    demo_accounts_seed(workspace=workspace)
    assert demo_seed(workspace_slug="demo") == 3
    assert demo_seed(workspace_slug="demo") == 0
    statuses = sorted(Post.objects.filter(workspace=workspace).values_list("status", flat=True))
    assert statuses == [PostStatus.DRAFT, PostStatus.SCHEDULED, PostStatus.SCHEDULED]
