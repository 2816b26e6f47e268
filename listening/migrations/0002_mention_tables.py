from django.db import migrations

# Languages with a PostgreSQL text-search configuration; others are indexed with `simple` only.
TS_CONFIGS = {
    "ar": "arabic", "ca": "catalan", "da": "danish", "de": "german", "el": "greek", "en": "english",
    "es": "spanish", "eu": "basque", "fi": "finnish", "fr": "french", "ga": "irish", "hi": "hindi",
    "hu": "hungarian", "hy": "armenian", "id": "indonesian", "it": "italian", "lt": "lithuanian",
    "ms": "indonesian", "ne": "nepali", "nl": "dutch", "no": "norwegian", "pt": "portuguese",
    "ro": "romanian", "ru": "russian", "sr": "serbian", "sv": "swedish", "ta": "tamil", "tr": "turkish",
    "yi": "yiddish",
}
CASE = "CASE language " + " ".join(
    f"WHEN '{code}' THEN '{config}'::regconfig" for code, config in sorted(TS_CONFIGS.items())
) + " ELSE 'simple'::regconfig END"

CREATE = f"""
CREATE SEQUENCE listening_mention_id_seq;
CREATE TABLE listening_mention (
    id bigint NOT NULL DEFAULT nextval('listening_mention_id_seq'),
    workspace_id bigint NOT NULL,
    created_at timestamptz NOT NULL,
    platform varchar(32) NOT NULL,
    external_id varchar(255) NOT NULL,
    account_id bigint NULL,
    brand_id bigint NULL,
    business_unit_id bigint NULL,
    kind varchar(16) NOT NULL,
    media_type varchar(8) NOT NULL,
    author_identity_id bigint NULL,
    customer_id bigint NULL,
    author_handle varchar(255) NOT NULL DEFAULT '',
    author_name varchar(255) NOT NULL DEFAULT '',
    text text NOT NULL,
    url varchar(1000) NOT NULL DEFAULT '',
    in_reply_to varchar(255) NULL,
    thread_id varchar(255) NULL,
    language varchar(8) NOT NULL DEFAULT '',
    language_confidence real NOT NULL DEFAULT 0,
    sentiment varchar(8) NOT NULL,
    sentiment_score real NOT NULL DEFAULT 0,
    country varchar(2) NOT NULL DEFAULT '',
    topic_ids integer[] NOT NULL DEFAULT '{{}}',
    tags text[] NOT NULL DEFAULT '{{}}',
    engagement integer NOT NULL DEFAULT 0,
    needs_answer boolean NOT NULL DEFAULT false,
    answered boolean NOT NULL DEFAULT false,
    answered_at timestamptz NULL,
    ingested_at timestamptz NOT NULL DEFAULT now(),
    source varchar(16) NOT NULL DEFAULT 'api',
    raw jsonb NULL,
    search_vector tsvector GENERATED ALWAYS AS (
        to_tsvector({CASE}, text) || to_tsvector('simple'::regconfig, text)
    ) STORED,
    PRIMARY KEY (workspace_id, id, created_at)
) PARTITION BY RANGE (created_at);
ALTER SEQUENCE listening_mention_id_seq OWNED BY listening_mention.id;
CREATE INDEX listening_mention_recent ON listening_mention (workspace_id, created_at DESC, id DESC);
CREATE INDEX listening_mention_search ON listening_mention USING gin (search_vector);
CREATE INDEX listening_mention_topics ON listening_mention USING gin (topic_ids);
CREATE INDEX listening_mention_customer ON listening_mention (workspace_id, customer_id, created_at DESC);
CREATE INDEX listening_mention_thread ON listening_mention (workspace_id, thread_id);

-- One row per (workspace, platform, external id): what makes ingest idempotent across months.
CREATE TABLE listening_mention_key (
    workspace_id bigint NOT NULL,
    platform varchar(32) NOT NULL,
    external_id varchar(255) NOT NULL,
    mention_id bigint NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, platform, external_id)
);

CREATE TABLE listening_mention_daily (
    id bigserial,
    workspace_id bigint NOT NULL,
    day date NOT NULL,
    brand_id bigint NOT NULL DEFAULT 0,
    topic_id integer NOT NULL DEFAULT 0,
    platform varchar(32) NOT NULL,
    language varchar(8) NOT NULL,
    sentiment varchar(8) NOT NULL,
    media_type varchar(8) NOT NULL,
    country varchar(2) NOT NULL,
    mentions bigint NOT NULL DEFAULT 0,
    needs_answer bigint NOT NULL DEFAULT 0,
    answered bigint NOT NULL DEFAULT 0,
    sentiment_sum double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, day, topic_id, brand_id, platform, language, sentiment, media_type, country)
);

CREATE TABLE listening_author_daily (
    workspace_id bigint NOT NULL,
    day date NOT NULL,
    author_handle varchar(255) NOT NULL,
    platform varchar(32) NOT NULL,
    customer_id bigint NULL,
    mentions bigint NOT NULL DEFAULT 0,
    positive bigint NOT NULL DEFAULT 0,
    negative bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id, day, platform, author_handle)
);

CREATE TABLE listening_term_daily (
    workspace_id bigint NOT NULL,
    day date NOT NULL,
    term varchar(100) NOT NULL,
    mentions bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id, day, term)
);

CREATE TABLE listening_tag_daily (
    workspace_id bigint NOT NULL,
    day date NOT NULL,
    tag text NOT NULL,
    mentions bigint NOT NULL DEFAULT 0,
    negative bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id, day, tag)
);
"""

DROP = """
DROP TABLE listening_tag_daily; DROP TABLE listening_term_daily; DROP TABLE listening_author_daily;
DROP TABLE listening_mention_daily; DROP TABLE listening_mention_key; DROP TABLE listening_mention;
"""


class Migration(migrations.Migration):
    dependencies = [("listening", "0001_initial")]

    operations = [migrations.RunSQL(CREATE, DROP)]
