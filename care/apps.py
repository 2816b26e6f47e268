from django.apps import AppConfig

# The registered callables import care's services on first use, not when Django starts: every
# process (the launcher's commands, gunicorn, workers) starts faster for it.


def _care_sink(context, items):
    from care.services.intake import care_sink

    care_sink(context, items)


def _care_timeline(workspace_id, profile_ids, before, limit):
    from care.selectors import customer_care_timeline

    return customer_care_timeline(workspace_id, profile_ids, before, limit)


def _mentions_need_answer(*, workspace_id, mentions):
    from care.services.intake import cases_open_from_mentions

    return cases_open_from_mentions(workspace_id=workspace_id, mentions=mentions)


def _engagement_panels(request, messages):
    from care.views.engagement import engagement_panels

    return engagement_panels(request, messages)


def _delivery_statuses(context, statuses):
    from care.services.statuses import delivery_statuses_record

    delivery_statuses_record(context, statuses)


def _chat_availability(*, workspace_id, business_unit_id, platform, now):
    from care.selectors import chat_availability

    return chat_availability(
        workspace_id=workspace_id, business_unit_id=business_unit_id, platform=platform, now=now
    )


class CareConfig(AppConfig):
    name = "care"
    label = "care"

    def ready(self) -> None:
        from care.privacy import CareHandler
        from cxm.channels.availability import register_availability_provider
        from cxm.channels.sinks import register_mention_handler, register_sink, register_status_handler
        from cxm.customers.timeline import register_timeline_source
        from cxm.privacy.registry import register_privacy_handler
        from cxm.web.panels import CASE_MESSAGE, register_panel

        # Direct messages and emails (from connectors and webhooks) become cases; the sink picks
        # those kinds out of every batch and leaves the rest to listening.
        register_sink("care", _care_sink)
        # Public mentions listening finds addressed to the brand open a case when care's rule
        # picks them (negative, or a question, naming one of our handles).
        register_mention_handler("care", _mentions_need_answer)
        # WhatsApp's sent / delivered / read / failed of our replies show on each message.
        register_status_handler("care", _delivery_statuses)
        register_timeline_source("care", _care_timeline)
        # The website chat tells a visitor whether an agent is there, or when to expect an answer.
        register_availability_provider("care", _chat_availability)
        # Data-subject requests and retention find, export, erase and purge cases here.
        register_privacy_handler(CareHandler())
        # A comment from Facebook Page, Instagram or YouTube, in its case, can be hidden, liked or
        # moderated there.
        register_panel(CASE_MESSAGE, "care.engagement", _engagement_panels)
