"""ASGI entry point: HTTP through Django, websockets through Channels, one process or many."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retailpos.settings")
# Set Django up first: routing imports consumers, which import models.
django.setup(set_prefix=False)

from retailpos.asgi_handler import SyncMiddlewareASGIHandler  # noqa: E402

django_asgi_app = SyncMiddlewareASGIHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from retailpos.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
