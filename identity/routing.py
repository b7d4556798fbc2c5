from django.urls import path

from identity import consumers

websocket_urlpatterns: list = [
    path("ws/dashboard/", consumers.DashboardConsumer.as_asgi()),
    path("ws/people/<int:person_id>/enrolment/", consumers.EnrolmentConsumer.as_asgi()),
    path("ws/cameras/<int:camera_id>/", consumers.CameraConsumer.as_asgi()),
    path("ws/imports/<int:import_id>/", consumers.ImportConsumer.as_asgi()),
]
