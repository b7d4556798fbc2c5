from django.urls import path

from attendance import converters, register_views, rollcall_views  # noqa: F401 - converters: <month:...>

urlpatterns = [
    path("groups/<int:group_id>/register/", register_views.register_day, name="register-today"),
    path("groups/<int:group_id>/register/<str:day>/", register_views.register_day, name="register-day"),
    path("groups/<int:group_id>/register/<str:day>/mark/", register_views.register_mark, name="register-mark"),
    path("groups/<int:group_id>/marks/<int:mark_id>/remove/", register_views.register_mark_remove,
         name="register-mark-remove"),
    path("groups/<int:group_id>/month/<month:month>/", register_views.register_month, name="register-month"),
    path("groups/<int:group_id>/month/<month:month>.csv", register_views.register_month_csv,
         name="register-month-csv"),
    path("groups/<int:group_id>/month/<month:month>.xlsx", register_views.register_month_xlsx,
         name="register-month-xlsx"),
    path("people/<int:person_id>/register/<month:month>/", register_views.register_person_month,
         name="register-person-month"),
    path("register/summary/", register_views.register_summary, name="register-summary"),
    path("register/in-now/", register_views.register_in_now, name="register-in-now"),
    path("register/summary.csv", register_views.register_summary_csv, name="register-summary-csv"),
    path("register/summary.xlsx", register_views.register_summary_xlsx, name="register-summary-xlsx"),
    # roll call from one class photo (attendance.rollcall): for a group, or for a chosen list of people
    path("groups/<int:group_id>/roll-calls/new/", rollcall_views.roll_call_new, name="roll-call-new"),
    path("roll-calls/new/", rollcall_views.roll_call_new_people, name="roll-call-new-people"),
    path("roll-calls/<int:roll_call_id>/", rollcall_views.roll_call_detail, name="roll-call-detail"),
    path("roll-calls/<int:roll_call_id>/photo/", rollcall_views.roll_call_photo, name="roll-call-photo"),
    path("roll-calls/<int:roll_call_id>/faces/<int:face_id>/", rollcall_views.roll_call_face, name="roll-call-face"),
    path("roll-calls/<int:roll_call_id>/mark/", rollcall_views.roll_call_mark_present, name="roll-call-mark"),
]
