"""Explorer indexes for the filters people combine with a text search, led by the workspace.

A search for a word in one language (or of one sentiment) otherwise reads every match of the
word, in every language, from the table. With these, PostgreSQL intersects the text index with
the filtered rows before it reads any, or walks the filtered rows newest first. Each costs the
ingest pipeline one more b-tree insertion per mention (docs/performance.md).

The text index itself cannot lead with the workspace: a GIN index takes a bigint column only
with the btree_gin extension, which the embedded PostgreSQL does not ship.
"""

from django.db import migrations

CREATE = """
CREATE INDEX listening_mention_language_recent
    ON listening_mention (workspace_id, language, sentiment, created_at DESC, id DESC);
CREATE INDEX listening_mention_sentiment_recent
    ON listening_mention (workspace_id, sentiment, created_at DESC, id DESC);
"""

DROP = """
DROP INDEX listening_mention_sentiment_recent;
DROP INDEX listening_mention_language_recent;
"""


class Migration(migrations.Migration):
    dependencies = [("listening", "0003_alert_delivery")]

    operations = [migrations.RunSQL(CREATE, DROP)]
