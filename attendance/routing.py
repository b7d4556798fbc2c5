from django.urls import path

from attendance import consumers

websocket_urlpatterns: list = [
    path("ws/groups/<int:group_id>/register/", consumers.RegisterConsumer.as_asgi()),
]
