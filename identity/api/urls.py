from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import IsAuthenticated

from identity.api import views

urlpatterns = [
    # The schema is not secret, but the whole API stays behind authentication.
    path("schema/", SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]), name="api-schema"),
    path("people/", views.PeopleView.as_view(), name="api-person-list"),
    path("people/<int:pk>/", views.PersonDetailView.as_view(), name="api-person-detail"),
    path("recognize/", views.recognize, name="api-recognize"),
    path("snapshots/<int:pk>/", views.snapshot_detail, name="api-snapshot-detail"),
    path("logs/", views.LogListView.as_view(), name="api-log-list"),
    path("attendance/", views.attendance, name="api-attendance"),
]
