from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "cxm.privacy"
    label = "privacy"
    verbose_name = "Privacy requests and retention"

    def ready(self) -> None:
        from cxm.privacy.kernel_handlers import AuditHandler, CustomersHandler, ExportsHandler
        from cxm.privacy.registry import register_privacy_handler

        # The kernel's own records. They run after every product handler (higher `order`): the
        # products find the person through the identities this handler deletes.
        register_privacy_handler(AuditHandler())
        register_privacy_handler(ExportsHandler())
        register_privacy_handler(CustomersHandler())
