"""Why a mention needs an answer, or needs none (listening/answering.py), kept with the mention so
its page and the Explorer can say it. Mentions stored before carry an empty reason."""

from django.db import migrations, models

# A month detached by an archive run whose export failed waits in a holding table to be attached
# again; it needs the column too, or attaching it would fail.
ADD = """
ALTER TABLE listening_mention ADD COLUMN answer_reason varchar(24) NOT NULL DEFAULT '';
DO $$
DECLARE holding text;
BEGIN
    FOR holding IN SELECT relname FROM pg_class
        WHERE relkind = 'r' AND starts_with(relname, 'listening_mention_archiving_')
    LOOP
        EXECUTE format(
            'ALTER TABLE %I ADD COLUMN IF NOT EXISTS answer_reason varchar(24) NOT NULL DEFAULT %L',
            holding, ''
        );
    END LOOP;
END $$;
"""
DROP = "ALTER TABLE listening_mention DROP COLUMN answer_reason;"


class Migration(migrations.Migration):
    dependencies = [("listening", "0006_thread_index_replies_only")]

    operations = [
        migrations.RunSQL(
            ADD,
            DROP,
            state_operations=[
                migrations.AddField(
                    model_name="mention",
                    name="answer_reason",
                    field=models.CharField(max_length=24, default=""),
                )
            ],
        )
    ]
