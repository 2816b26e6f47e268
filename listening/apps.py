from django.apps import AppConfig


def _listening_sink(context, items):
    from listening.ingest import listening_sink

    listening_sink(context, items)


class ListeningConfig(AppConfig):
    name = "listening"
    label = "listening"

    def ready(self) -> None:
        from cxm.channels.sinks import register_sink

        # Every inbound item, from connectors and webhooks, becomes a mention. The pipeline (and its
        # language model) is imported on first use, not when Django starts.
        register_sink("listening", _listening_sink)
