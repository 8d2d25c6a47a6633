"""Websocket routes of all apps."""

from devices.routing import websocket_urlpatterns as devices_websockets
from sales.routing import websocket_urlpatterns as sales_websockets

websocket_urlpatterns = [*sales_websockets, *devices_websockets]
