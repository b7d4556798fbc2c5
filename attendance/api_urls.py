from django.urls import path

from attendance import api, converters, register_api, rollcall_api, setup_api  # noqa: F401 - converters: <month:...>

urlpatterns = [
    path("attendance/", api.attendance, name="api-attendance"),
]

urlpatterns += [  # the register's setup (attendance.setup_api)
    path("groups/", setup_api.groups, name="api-group-list"),
    path("groups/<int:group_id>/", setup_api.group, name="api-group-detail"),
    path("groups/<int:group_id>/members/", setup_api.group_members, name="api-group-members"),
    path("groups/<int:group_id>/responsible/", setup_api.group_responsible, name="api-group-responsible"),
    path("groups/<int:group_id>/schedules/", setup_api.group_schedules, name="api-group-schedules"),
    path("closures/", setup_api.closures, name="api-closure-list"),
    path("closures/<int:closure_id>/", setup_api.closure, name="api-closure-detail"),
    path("codes/", setup_api.codes, name="api-code-list"),
    path("codes/<int:code_id>/", setup_api.code, name="api-code-detail"),
    path("absences/", setup_api.absences, name="api-absence-list"),
    path("absences/<int:absence_id>/", setup_api.absence, name="api-absence-detail"),
]

urlpatterns += [  # the register's reads and corrections (attendance.register_api)
    path("groups/<int:group_id>/register/", register_api.group_register, name="api-group-register"),
    path("groups/<int:group_id>/month/<month:month>/", register_api.group_month, name="api-group-month"),
    path("groups/<int:group_id>/marks/", register_api.group_marks, name="api-group-marks"),
    path("groups/<int:group_id>/marks/<int:mark_id>/", register_api.group_mark_remove, name="api-group-mark"),
    path("register/summary/", register_api.register_summary, name="api-register-summary"),
]

urlpatterns += [  # roll call from one class photo (attendance.rollcall_api): a group's, or a list of people's
    path("groups/<int:group_id>/roll-calls/", rollcall_api.roll_calls, name="api-roll-calls"),
    path("roll-calls/", rollcall_api.people_roll_calls, name="api-people-roll-calls"),
    path("roll-calls/<int:roll_call_id>/", rollcall_api.roll_call, name="api-roll-call"),
    path("roll-calls/<int:roll_call_id>/faces/<int:face_id>/", rollcall_api.roll_call_face, name="api-roll-call-face"),
    path("roll-calls/<int:roll_call_id>/mark/", rollcall_api.roll_call_mark_present, name="api-roll-call-mark"),
]
