from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from identity.api import views
from identity.api.permissions import HasRole
from identity.roles import VIEWER
from imports import api as import_api

urlpatterns = [
    # The schema is not secret, but it is only for users with a role (the API itself: operators).
    path("schema/", SpectacularAPIView.as_view(permission_classes=[HasRole(VIEWER)]), name="api-schema"),
    path("docs/", views.ApiDocsView.as_view(), name="api-docs"),
    path("people/", views.PeopleView.as_view(), name="api-person-list"),
    path("people/<int:pk>/", views.PersonDetailView.as_view(), name="api-person-detail"),
    path("people/<int:person_id>/photos/", views.person_photos_add, name="api-person-photos"),
    path("people/<int:person_id>/photos/<int:sample_id>/", views.person_photo_delete, name="api-person-photo"),
    path("recognize/", views.recognize, name="api-recognize"),
    path("snapshots/<int:pk>/", views.snapshot_detail, name="api-snapshot-detail"),
    path("logs/", views.LogListView.as_view(), name="api-log-list"),
    path("logs/<int:log_id>/review/", views.log_review, name="api-log-review"),
    path("imports/", import_api.import_start, name="api-import-list"),
    path("imports/<int:import_id>/", import_api.import_detail, name="api-import-detail"),
]
