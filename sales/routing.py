from django.urls import path

from sales.consumers import RegisterConsumer

websocket_urlpatterns = [
    path("ws/registers/<slug:code>/", RegisterConsumer.as_asgi()),
]
