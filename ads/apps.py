from django.apps import AppConfig

# The registered callables import ads' services and views on first use, not when Django starts:
# every process (the launcher's commands, gunicorn, workers) starts faster for it.


class _RunningAdsStopper:
    """A pause that also stops running ads sets their campaigns to PAUSED; resume restores them."""

    def stop(self, *, pause, by=None, request=None) -> int:
        from ads.services.stops import ads_stop_for_pause

        return ads_stop_for_pause(pause=pause, by=by, request=request)

    def restore(self, *, pauses) -> int:
        from ads.services.stops import ads_restore_after_resume

        return ads_restore_after_resume(pauses=pauses)


def _comment_panels(request, messages):
    from ads.case_views import comment_panels

    return comment_panels(request, messages)


class AdsConfig(AppConfig):
    name = "ads"
    label = "ads"

    def ready(self) -> None:
        from ads.privacy import AdsHandler
        from cxm.privacy.registry import register_privacy_handler
        from cxm.stoppers import register_pause_stopper
        from cxm.web.panels import CASE_MESSAGE, register_panel

        # Data-subject requests report and export comments under ads here.
        register_privacy_handler(AdsHandler())
        register_pause_stopper("ads", _RunningAdsStopper())
        # A comment under an ad, in its care case, says whether it is hidden and offers to hide it.
        register_panel(CASE_MESSAGE, "ads.comment", _comment_panels)
