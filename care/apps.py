from django.apps import AppConfig


def _care_sink(context, items):
    from care.services.intake import care_sink

    care_sink(context, items)


def _care_timeline(workspace_id, profile_ids, before, limit):
    from care.selectors import customer_care_timeline

    return customer_care_timeline(workspace_id, profile_ids, before, limit)


class CareConfig(AppConfig):
    name = "care"
    label = "care"

    def ready(self) -> None:
        from cxm.channels.sinks import register_sink
        from cxm.customers.timeline import register_timeline_source

        # Direct messages and emails (from connectors and webhooks) become cases; the sink picks
        # those kinds out of every batch and leaves the rest to listening.
        register_sink("care", _care_sink)
        register_timeline_source("care", _care_timeline)
        # Data-subject requests and retention find, export, erase and purge cases here.
        from care.privacy import CareHandler
        from cxm.privacy.registry import register_privacy_handler

        register_privacy_handler(CareHandler())
