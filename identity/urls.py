from django.urls import path

from identity.views import pages

urlpatterns = [
    path("", pages.dashboard, name="dashboard"),
]
