from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "cxm.channels"
    label = "channels"
    verbose_name = "Channels and connectors"
