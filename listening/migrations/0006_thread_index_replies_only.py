"""The thread index holds replies only.

A mention that starts its thread (a post, and any item whose platform names no thread) carries
its own external id as thread id; it is found as its thread's root through the key table. Most
mentions are such roots, and leaving them out of the index saves the ingest pipeline one b-tree
insertion with a random key per mention (docs/performance.md).
"""

from django.db import migrations

CREATE = """
DROP INDEX listening_mention_thread;
CREATE INDEX listening_mention_thread ON listening_mention (workspace_id, thread_id)
    WHERE thread_id <> external_id;
"""

DROP = """
DROP INDEX listening_mention_thread;
CREATE INDEX listening_mention_thread ON listening_mention (workspace_id, thread_id);
"""


class Migration(migrations.Migration):
    dependencies = [("listening", "0005_alert_webhook_secret_rotation")]

    operations = [migrations.RunSQL(CREATE, DROP)]
