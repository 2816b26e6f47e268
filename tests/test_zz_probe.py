import pytest
from django.db import connection

pytestmark = pytest.mark.worker


@pytest.mark.django_db
def test_probe():
    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM listening_mention")
        n = c.fetchone()[0]
        c.execute("SELECT count(*) FROM tenancy_workspace")
        w = c.fetchone()[0]
    print("PROBE", n, w)
    assert (n, w) == (0, 0)
