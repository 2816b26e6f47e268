from django.apps import AppConfig


class AdsConfig(AppConfig):
    name = "ads"
    label = "ads"

    def ready(self) -> None:
        from ads.case_views import comment_panels
        from ads.privacy import AdsHandler
        from ads.services.stops import RunningAdsStopper
        from cxm.privacy.registry import register_privacy_handler
        from cxm.stoppers import register_pause_stopper
        from cxm.web.panels import CASE_MESSAGE, register_panel

        # Data-subject requests report and export comments under ads here.
        register_privacy_handler(AdsHandler())
        # A pause that also stops running ads sets their campaigns to PAUSED; resume restores them.
        register_pause_stopper("ads", RunningAdsStopper())
        # A comment under an ad, in its care case, says whether it is hidden and offers to hide it.
        register_panel(CASE_MESSAGE, "ads.comment", comment_panels)
