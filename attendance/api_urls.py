from django.urls import path

from attendance import api

urlpatterns = [
    path("attendance/", api.attendance, name="api-attendance"),
]
