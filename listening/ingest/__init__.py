"""The ingest pipeline: validate, enrich, match topics, de-duplicate and store a batch in one step.

Every item of a batch is normalised into a `RawMention`, enriched (language, sentiment, tags,
media type, customer profile), matched against the workspace's topics, and written with the
roll-ups in one transaction. The (workspace, platform, external id) key table makes a redelivered
or replayed batch a no-op: its items come back as duplicates and nothing changes.

    raw.py       inputs (a connector's item, an API payload) into RawMentions, validated
    context.py   the workspace's topics, tagger, handles and brands, cached briefly
    pipeline.py  mentions_ingest, mentions_ingest_payload, listening_sink: enrich, claim, store
    rollups.py   the daily roll-ups, one upsert per table
"""
