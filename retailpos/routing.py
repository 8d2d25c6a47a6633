"""Websocket routes of all apps."""

from sales.routing import websocket_urlpatterns as sales_websockets

websocket_urlpatterns = [*sales_websockets]
