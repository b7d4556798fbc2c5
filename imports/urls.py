from django.urls import path

from imports import views

urlpatterns = [
    path("", views.import_list, name="import-list"),
    path("<int:import_id>/", views.import_detail, name="import-detail"),
    path("<int:import_id>/status/", views.import_status, name="import-status"),
    path("<int:import_id>/report.csv", views.import_report, name="import-report"),
    path("<int:import_id>/cancel/", views.import_stop, name="import-cancel"),
]
