from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "cxm.channels"
    label = "channels"
    verbose_name = "Channels and connectors"

    def ready(self) -> None:
        from cxm.channels.services.demo import demo_accounts_seed
        from cxm.channels.webchat.privacy import WebchatHandler
        from cxm.channels.webchat.services import demo_widget_seed
        from cxm.demo_seeders import register_demo_seeder
        from cxm.privacy.registry import register_privacy_handler

        # A fresh demo install seeds the demo-network accounts and the demo brand's website chat;
        # tenancy does not import channels.
        register_demo_seeder("channels", demo_accounts_seed)
        register_demo_seeder("channels.webchat", demo_widget_seed)
        # Data-subject requests find, export and erase website chat visitors and conversations.
        register_privacy_handler(WebchatHandler())
