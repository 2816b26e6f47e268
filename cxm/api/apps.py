from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "cxm.api"
    label = "api"
    verbose_name = "API"

    def ready(self) -> None:
        from cxm.api.services import api_tokens_revoke_all
        from cxm.tenancy.signals import user_access_ended

        # API tokens end with the password that stood behind them and with the account itself.
        def tokens_end(sender, *, user, reason: str, **kwargs) -> None:
            api_tokens_revoke_all(user=user, reason=reason)

        user_access_ended.connect(tokens_end, weak=False, dispatch_uid="cxm.api.tokens_end")
