from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "publishing"
    label = "publishing"

    def ready(self) -> None:
        # Data-subject requests find, export and scrub posts that name a person here.
        from cxm.privacy.registry import register_privacy_handler
        from publishing.privacy import PublishingHandler

        register_privacy_handler(PublishingHandler())
