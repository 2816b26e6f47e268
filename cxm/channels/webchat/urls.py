"""The widget's endpoints (see `endpoints`), mounted at /webchat/ by the project's urls."""

from django.urls import re_path

from cxm.channels.webchat import endpoints

app_name = "webchat"

KEY = r"(?P<key>[A-Za-z0-9_-]{1,40})"

urlpatterns = [
    re_path(rf"^v1/{KEY}/config$", endpoints.config, name="config"),
    re_path(rf"^v1/{KEY}/visitors$", endpoints.visitors, name="visitors"),
    re_path(rf"^v1/{KEY}/messages$", endpoints.messages, name="messages"),
    re_path(r"^.*$", endpoints.unknown, name="unknown"),
]
