from django.apps import AppConfig


class AdsConfig(AppConfig):
    name = "ads"
    label = "ads"

    def ready(self) -> None:
        # Data-subject requests report and export comments under ads here.
        from ads.privacy import AdsHandler
        from cxm.privacy.registry import register_privacy_handler

        register_privacy_handler(AdsHandler())
