from django.urls import path

from attendance import views

urlpatterns = [
    path("attendance/", views.attendance_day, name="attendance-today"),
    path("attendance/<str:day>/", views.attendance_day, name="attendance-day"),
    path("attendance-export.csv", views.attendance_export, name="attendance-export"),
]
