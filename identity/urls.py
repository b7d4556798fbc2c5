from django.urls import path

from identity.views import (
    attendance,
    calibration,
    cameras,
    compare,
    dashboard,
    media,
    people,
    recognition,
    review,
    snapshots,
)

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("people/", people.person_list, name="person-list"),
    path("people/new/", people.person_create, name="person-create"),
    path("people/search/", people.person_search, name="person-search"),
    path("people/<int:person_id>/", people.person_detail, name="person-detail"),
    path("people/<int:person_id>/edit/", people.person_edit, name="person-edit"),
    path("people/<int:person_id>/photos/", people.person_add_photos, name="person-add-photos"),
    path("people/<int:person_id>/delete/", people.person_delete, name="person-delete"),
    path("recognize/", recognition.upload, name="upload"),
    path("snapshots/<int:snapshot_id>/", snapshots.snapshot_detail, name="snapshot-detail"),
    path("snapshots/<int:snapshot_id>/retry/", snapshots.snapshot_retry, name="snapshot-retry"),
    path("cameras/", cameras.camera_list, name="camera-list"),
    path("cameras/<int:camera_id>/", cameras.camera_view, name="camera-view"),
    path("cameras/<int:camera_id>/edit/", cameras.camera_edit, name="camera-edit"),
    path("cameras/<int:camera_id>/test/", cameras.camera_test, name="camera-test"),
    path("cameras/<int:camera_id>/token/", cameras.camera_token_rotate, name="camera-token-rotate"),
    path("compare/", compare.compare_page, name="compare"),
    path("review/", review.review_queue, name="review-queue"),
    path("review/<int:log_id>/", review.review_decide, name="review-decide"),
    path("review/item", review.review_item, name="review-item"),  # ?log=<id>: the page builds it with URLSearchParams
    path("attendance/", attendance.attendance_day, name="attendance-today"),
    path("attendance/<str:day>/", attendance.attendance_day, name="attendance-day"),
    path("attendance-export.csv", attendance.attendance_export, name="attendance-export"),
    path("calibration/", calibration.calibration_page, name="calibration"),
    # Biometric media: only through these views, which check the viewer's role.
    path("media/samples/<int:sample_id>/photo", media.sample_photo, name="media-sample-photo"),
    path("media/samples/<int:sample_id>/crop", media.sample_crop, name="media-sample-crop"),
    path("media/logs/<int:log_id>/crop", media.log_crop, name="media-log-crop"),
    path("media/snapshots/<int:snapshot_id>", media.snapshot_image, name="media-snapshot"),
]
