from django.urls import include, path

from attendance import views

urlpatterns = [
    path("attendance/", views.attendance_day, name="attendance-today"),
    path("attendance/<str:day>/", views.attendance_day, name="attendance-day"),
    path("attendance-export.csv", views.attendance_export, name="attendance-export"),
    path("kiosk/", views.kiosk, name="kiosk"),  # public: a tablet's page, no session (README "Kiosk")
    path("", include("attendance.setup_urls")),  # the register's setup: groups, schedules, the calendar
    path("", include("attendance.register_urls")),  # the register's pages: days, months, the summary
    path("people/<int:person_id>/contacts/", views.person_contact_add, name="person-contact-add"),
    path("people/<int:person_id>/contacts/<int:contact_id>/delete/", views.person_contact_delete,
         name="person-contact-delete"),
]
