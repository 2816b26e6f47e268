from django.apps import AppConfig


def _listening_sink(context, items):
    from listening.ingest.pipeline import listening_sink

    listening_sink(context, items)


def _reply_listener(event):
    from listening.services import mentions_mark_answered_by_reply

    mentions_mark_answered_by_reply(
        workspace_id=event.workspace_id,
        platform=event.platform,
        external_id=event.answered_external_id,
        at=event.at,
    )


def _topic_platform_queries(workspace_id, platform):
    from listening.selectors import topic_platform_queries

    return topic_platform_queries(workspace_id=workspace_id, platform=platform)


def _timeline(workspace_id, profile_ids, before, limit):
    from listening.selectors.mention_detail import customer_mentions_timeline

    return customer_mentions_timeline(workspace_id, profile_ids, before, limit)


def _topic_searches(workspace_id):
    from listening.selectors.topic_setup import topic_keyword_searches

    return topic_keyword_searches(workspace_id)


class ListeningConfig(AppConfig):
    name = "listening"
    label = "listening"

    def ready(self) -> None:
        from cxm.channels.sinks import register_reply_listener, register_sink
        from cxm.channels.topics import register_topic_search
        from cxm.customers.timeline import register_timeline_source

        # Every inbound item, from connectors and webhooks, becomes a mention. The pipeline (and its
        # language model) is imported on first use, not when Django starts.
        register_sink("listening", _listening_sink)
        # A reply sent from care answers the mention it replies to: response coverage counts it.
        register_reply_listener("listening", _reply_listener)
        # Connectors that search per topic (X) search for the topics in the platform's syntax.
        register_topic_search("listening", _topic_platform_queries)
        # The unified customer's timeline shows their public mentions beside their cases.
        register_timeline_source("listening", _timeline)
        # Connectors that search per topic (YouTube) search for the topics' words.
        from cxm.channels.topics import register_topic_source

        register_topic_source("listening", _topic_searches)
        # Data-subject requests and retention find, export, erase and purge mentions here.
        from cxm.privacy.registry import register_privacy_handler
        from listening.privacy import ListeningHandler

        register_privacy_handler(ListeningHandler())
