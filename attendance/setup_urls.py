from django.urls import path

from attendance import calendar_views, group_views

urlpatterns = [
    path("groups/", group_views.group_list, name="group-list"),
    path("groups/<int:group_id>/", group_views.group_detail, name="group-detail"),
    path("groups/<int:group_id>/members/", group_views.group_members, name="group-members"),
    path("groups/<int:group_id>/responsible/", group_views.group_responsible, name="group-responsible"),
    path("groups/<int:group_id>/delete/", group_views.group_delete, name="group-delete"),
    path("groups/<int:group_id>/schedules/new/", group_views.schedule_create, name="schedule-create"),
    path("schedules/<int:schedule_id>/", group_views.schedule_edit, name="schedule-edit"),
    path("schedules/<int:schedule_id>/delete/", group_views.schedule_delete, name="schedule-delete"),
    path("closures/", calendar_views.closure_list, name="closure-list"),
    path("closures/<int:closure_id>/delete/", calendar_views.closure_delete, name="closure-delete"),
    path("codes/", calendar_views.code_list, name="code-list"),
    path("codes/<int:code_id>/", calendar_views.code_edit, name="code-edit"),
    path("codes/<int:code_id>/delete/", calendar_views.code_delete, name="code-delete"),
    path("absences/", calendar_views.absence_list, name="absence-list"),
    path("absences/<int:absence_id>/delete/", calendar_views.absence_delete, name="absence-delete"),
    path("cameras/<int:camera_id>/attendance-role/", calendar_views.camera_role, name="camera-role"),
]
