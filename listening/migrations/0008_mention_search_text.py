"""Words inside text written without spaces: the mention's `search_text` (its text with runs of
Chinese, Japanese, Korean and Thai broken into tokens, listening/query/segments.py; NULL for other
texts) joins the generated search vector, so a search for 咖啡 finds 我喜欢咖啡.

The vector's expression changes, which PostgreSQL 16 can do only by dropping the column and adding
it again: every partition is rewritten and the text index rebuilt, once. Stored mentions get
their `search_text` before the vector is added back, so that rewrite indexes them too; the same
back-fill is `cxm manage listening_search_text` (run it too after attaching again a month that
an archive run left waiting: its rows were not attached when this ran).
"""

from importlib import import_module

from django.db import migrations, models

from listening.search_text import mentions_search_text_refresh

CASE = import_module("listening.migrations.0002_mention_tables").CASE
SEARCH_VECTOR = (
    f"to_tsvector({CASE}, text) || to_tsvector('simple'::regconfig, text) "
    "|| to_tsvector('simple'::regconfig, coalesce(search_text, ''))"
)
OLD_SEARCH_VECTOR = f"to_tsvector({CASE}, text) || to_tsvector('simple'::regconfig, text)"


def _columns(vector: str | None, *, search_text: bool) -> str:
    """SQL giving listening_mention (and every month an archive run left waiting to be attached
    again, which must match it) the search_text column or not, then the vector (if any)."""
    column = (
        "ADD COLUMN IF NOT EXISTS search_text text NULL" if search_text else "DROP COLUMN IF EXISTS search_text"
    )
    vector_sql = f"ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({vector}) STORED" if vector else ""
    statements = ["DROP COLUMN IF EXISTS search_vector", column] + ([vector_sql] if vector else [])
    alter = ", ".join(statements)
    return f"""
ALTER TABLE listening_mention {alter};
DO $$
DECLARE holding text;
BEGIN
    FOR holding IN SELECT relname FROM pg_class
        WHERE relkind = 'r' AND starts_with(relname, 'listening_mention_archiving_')
    LOOP
        EXECUTE format('ALTER TABLE %I {alter.replace("'", "''")}', holding);
    END LOOP;
END $$;
"""


INDEX = "CREATE INDEX listening_mention_search ON listening_mention USING gin (search_vector);"


def backfill(apps, schema_editor):
    mentions_search_text_refresh()


class Migration(migrations.Migration):
    dependencies = [("listening", "0007_mention_answer_reason")]

    operations = [
        migrations.RunSQL(
            _columns(None, search_text=True),
            _columns(OLD_SEARCH_VECTOR, search_text=False) + INDEX,
            state_operations=[
                migrations.AddField(model_name="mention", name="search_text", field=models.TextField(null=True))
            ],
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunSQL(_columns(SEARCH_VECTOR, search_text=True) + INDEX, _columns(None, search_text=True)),
    ]
