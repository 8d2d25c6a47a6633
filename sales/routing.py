from django.urls import path

from sales.consumers import CustomerDisplayConsumer, RegisterConsumer

websocket_urlpatterns = [
    path("ws/registers/<slug:code>/", RegisterConsumer.as_asgi()),
    path("ws/registers/<slug:code>/display/", CustomerDisplayConsumer.as_asgi()),
]
