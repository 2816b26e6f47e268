from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "care"
    label = "care"

    def ready(self) -> None:
        from care.privacy import CareHandler
        from care.selectors import customer_care_timeline
        from care.services.intake import care_sink, cases_open_from_mentions
        from cxm.channels.sinks import register_mention_handler, register_sink
        from cxm.customers.timeline import register_timeline_source
        from cxm.privacy.registry import register_privacy_handler

        # Direct messages and emails (from connectors and webhooks) become cases; the sink picks
        # those kinds out of every batch and leaves the rest to listening.
        register_sink("care", care_sink)
        # Public mentions listening finds addressed to the brand open a case when care's rule
        # picks them (negative, or a question, naming one of our handles).
        register_mention_handler("care", cases_open_from_mentions)
        # The unified customer's timeline shows their cases, messages and CSAT answers.
        register_timeline_source("care", customer_care_timeline)
        # Data-subject requests and retention find, export, erase and purge cases here.
        register_privacy_handler(CareHandler())
