"""Cameras: the list (no tokens), creating one, a token shown to an admin who asks, and the webcam camera page."""

import pytest
from django.urls import reverse

from identity.live.source_errors import MESSAGES, REFUSED
from identity.models import Camera
from identity.services import frames
from identity.services.camera_sources import camera_source_set, camera_source_url


@pytest.mark.django_db
def test_it_sends_anonymous_users_to_the_login_page(client):
    camera = Camera.objects.create(name="Door")
    for url in (reverse("camera-list"), reverse("camera-view", args=[camera.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_it_forbids_viewers(client, viewer_user):
    camera = Camera.objects.create(name="Door")
    client.force_login(viewer_user)
    assert client.get(reverse("camera-list")).status_code == 403
    assert client.get(reverse("camera-view", args=[camera.pk])).status_code == 403
    assert client.post(reverse("camera-list"), {"name": "Sneaky", "kind": "webcam"}).status_code == 403
    assert not Camera.objects.filter(name="Sneaky").exists()


@pytest.mark.django_db
def test_it_shows_no_token_in_the_list_even_to_admins(client, operator_user, admin_user):
    camera = Camera.objects.create(name="Door")
    for user in (operator_user, admin_user):
        client.force_login(user)
        page = client.get(reverse("camera-list")).content.decode()
        assert "Door" in page and camera.token not in page


@pytest.mark.django_db
def test_it_shows_the_token_on_the_cameras_settings_page_when_an_admin_asks(client, operator_user, admin_user):
    camera = Camera.objects.create(name="Door")
    client.force_login(admin_user)
    settings_page = client.get(reverse("camera-edit", args=[camera.pk])).content.decode()
    assert "Show the token" in settings_page and camera.token not in settings_page

    shown = client.post(reverse("camera-token-show", args=[camera.pk]))

    assert camera.token in shown.content.decode() and "no-cache" in shown["Cache-Control"]
    assert client.get(reverse("camera-token-show", args=[camera.pk])).status_code == 405
    client.force_login(operator_user)
    assert client.post(reverse("camera-token-show", args=[camera.pk])).status_code == 403
    assert "Show the token" not in client.get(reverse("camera-edit", args=[camera.pk])).content.decode()


@pytest.mark.django_db
def test_it_creates_a_camera(client, operator_user):
    client.force_login(operator_user)
    response = client.post(reverse("camera-list"), {"name": "Lobby", "kind": "webcam", "fps": 5, "poll_seconds": 2})
    assert response.status_code == 302
    assert Camera.objects.get(name="Lobby").kind == "webcam"


@pytest.mark.django_db
def test_it_offers_the_motion_gate_ticked_and_turns_it_off_when_unticked(client, operator_user):
    camera = Camera.objects.create(name="Screen")
    client.force_login(operator_user)
    page = client.get(reverse("camera-edit", args=[camera.pk])).content.decode()
    assert 'name="motion_gate"' in page and "Look for faces only when something moves" in page

    response = client.post(reverse("camera-edit", args=[camera.pk]),
                           {"name": "Screen", "kind": "webcam", "fps": 5, "poll_seconds": 2, "active": "on"})
    assert response.status_code == 302
    camera.refresh_from_db()
    assert camera.motion_gate is False and camera.active is True


@pytest.mark.django_db
def test_it_saves_the_smallest_face_to_look_for_and_refuses_one_out_of_range(client, operator_user):
    camera = Camera.objects.create(name="Door")
    client.force_login(operator_user)
    form = {"name": "Door", "kind": "webcam", "fps": 5, "poll_seconds": 2, "active": "on", "motion_gate": "on"}

    refused = client.post(reverse("camera-edit", args=[camera.pk]), {**form, "min_face_px": 3})
    assert refused.status_code == 200 and "between 8 and 1000 pixels" in refused.content.decode()
    assert client.post(reverse("camera-edit", args=[camera.pk]), {**form, "min_face_px": 60}).status_code == 302
    camera.refresh_from_db()
    assert camera.min_face_px == 60


@pytest.mark.django_db
def test_it_refuses_a_duplicate_name(client, operator_user):
    Camera.objects.create(name="Lobby")
    client.force_login(operator_user)
    response = client.post(reverse("camera-list"), {"name": "Lobby", "kind": "webcam", "fps": 5, "poll_seconds": 2})
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert Camera.objects.filter(name="Lobby").count() == 1


@pytest.mark.django_db
def test_it_renders_the_camera_page_with_the_frame_rate(client, operator_user, settings):
    settings.FACEAPP_CAMERA_FPS = 3.5
    camera = Camera.objects.create(name="Lobby")
    client.force_login(operator_user)
    page = client.get(reverse("camera-view", args=[camera.pk])).content.decode()
    assert f'data-camera-id="{camera.pk}"' in page
    assert 'data-fps="3.5"' in page
    assert "faceapp/camera.js" in page and "<video" in page
    assert camera.token not in page


@pytest.mark.django_db
def test_it_answers_404_for_a_missing_camera(client, operator_user):
    client.force_login(operator_user)
    assert client.get(reverse("camera-view", args=[999])).status_code == 404


def _stream(**fields) -> dict:
    return {"name": "Gate", "kind": "rtsp", "fps": 5, "poll_seconds": 2, **fields}


@pytest.mark.django_db
def test_it_creates_an_rtsp_camera_and_never_shows_its_password(client, operator_user):
    client.force_login(operator_user)
    url = "rtsp://admin:s3cret-pw@127.0.0.1:8554/cam"
    assert client.post(reverse("camera-list"), _stream(source_url=url)).status_code == 302
    camera = Camera.objects.get(name="Gate")
    assert camera.source_address == "rtsp://127.0.0.1:8554/cam" and camera.is_stream
    assert "s3cret-pw" not in camera.source_secret  # sealed
    assert camera_source_url(camera=camera) == url
    for page in (reverse("camera-list"), reverse("camera-view", args=[camera.pk]), reverse("camera-edit", args=[camera.pk])):
        body = client.get(page).content.decode()
        assert "s3cret-pw" not in body, page
    assert "rtsp://127.0.0.1:8554/cam" in client.get(reverse("camera-view", args=[camera.pk])).content.decode()


@pytest.mark.django_db
def test_it_keeps_the_stored_url_when_an_edit_leaves_it_empty(client, operator_user):
    camera = Camera(name="Gate", kind="rtsp")
    camera_source_set(camera=camera, url="rtsp://u:p@127.0.0.1/cam")
    camera.save()
    client.force_login(operator_user)
    response = client.post(reverse("camera-edit", args=[camera.pk]), _stream(fps=2, active="on"))
    assert response.status_code == 302
    camera.refresh_from_db()
    assert (camera_source_url(camera=camera), camera.fps, camera.active) == ("rtsp://u:p@127.0.0.1/cam", 2.0, True)


@pytest.mark.django_db
def test_it_refuses_a_stream_without_a_url_or_with_the_wrong_scheme(client, operator_user):
    client.force_login(operator_user)
    assert "needs its URL" in client.post(reverse("camera-list"), _stream()).content.decode()
    body = client.post(reverse("camera-list"), _stream(kind="mjpeg", source_url="rtsp://127.0.0.1/x")).content.decode()
    assert "starts with http:// or https://" in body
    assert not Camera.objects.filter(name="Gate").exists()


@pytest.mark.django_db
def test_it_takes_video_files_from_the_videos_folder_only(client, operator_user, settings, tmp_path):
    settings.FACEAPP_VIDEO_DIR = tmp_path / "videos"
    settings.FACEAPP_VIDEO_DIR.mkdir()
    (settings.FACEAPP_VIDEO_DIR / "door.mp4").write_bytes(b"x")
    client.force_login(operator_user)
    body = client.post(reverse("camera-list"), _stream(kind="file", source_url="../../etc/passwd")).content.decode()
    assert "must be in the videos folder" in body
    assert client.post(reverse("camera-list"), _stream(kind="file", source_url="door.mp4")).status_code == 302
    assert Camera.objects.get(name="Gate").source_address == str(settings.FACEAPP_VIDEO_DIR / "door.mp4")


@pytest.mark.django_db(transaction=True)  # the worker thread closes the connections it used
def test_it_shows_why_a_connection_test_failed_without_the_password(client, operator_user, celery_worker):
    camera = Camera(name="Gate", kind="rtsp")
    camera_source_set(camera=camera, url="rtsp://u:hidden-pw@127.0.0.1:9/cam")
    camera.save()
    client.force_login(operator_user)
    body = client.post(reverse("camera-test", args=[camera.pk])).content.decode()
    assert "Connection failed: nothing answers at that address and port" in body and "hidden-pw" not in body


@pytest.mark.django_db
def test_it_gives_a_camera_a_new_token_shown_once_to_an_admin(client, admin_user):
    camera = Camera.objects.create(name="Door")
    old = camera.token
    client.force_login(admin_user)
    response = client.post(reverse("camera-token-rotate", args=[camera.pk]), follow=True)
    camera.refresh_from_db()
    assert camera.token != old
    assert f"New token for Door: {camera.token}" in response.content.decode()
    assert "Make a new token" in response.content.decode()  # the admin's button on the settings page


def _kinds_offered(html: str) -> list[str]:
    select = html[html.index('name="kind"'):]
    select = select[:select.index("</select>")]
    return [part.split('"', 1)[0] for part in select.split('<option value="')[1:]]


@pytest.mark.django_db
def test_it_offers_only_the_camera_kinds_a_user_can_choose(client, operator_user):
    client.force_login(operator_user)
    html = client.get(reverse("camera-list")).content.decode()
    assert _kinds_offered(html) == ["webcam", "rtsp", "mjpeg", "snapshot", "file"]


@pytest.mark.django_db
def test_it_refuses_the_uploads_kind_for_a_new_camera(client, operator_user):
    client.force_login(operator_user)
    response = client.post(reverse("camera-list"), {"name": "Fake uploads", "kind": "upload"})
    assert response.status_code == 200 and not Camera.objects.filter(name="Fake uploads").exists()


@pytest.mark.django_db
def test_it_keeps_the_uploads_cameras_own_kind_on_its_settings_page(client, operator_user):
    uploads = Camera.objects.create(name="Uploads", kind=Camera.UPLOAD)
    client.force_login(operator_user)
    html = client.get(reverse("camera-edit", args=[uploads.pk])).content.decode()
    assert _kinds_offered(html) == ["webcam", "rtsp", "mjpeg", "snapshot", "file", "upload"]
    assert '<option value="upload" selected>' in html


def _stream_camera(*, state: str, fps_in: float, error: str = "") -> Camera:
    """A stream camera whose reader says `state`, while the live worker's last figure is 4.98 a second."""
    camera = Camera(name="Gate", kind="mjpeg")
    camera_source_set(camera=camera, url="http://127.0.0.1:9/stream.mjpg")
    camera.save()
    frames.reader_status_put(camera_id=camera.pk, status={"state": state, "error": error, "fps_in": fps_in})
    frames.live_stats_put(camera_id=camera.pk, stats={"fps": 4.98})
    return camera


@pytest.mark.django_db
def test_it_shows_an_offline_camera_in_words_with_what_to_check_and_no_analysis_rate(client, operator_user):
    camera = _stream_camera(state="reconnecting", fps_in=0.0, error=MESSAGES[REFUSED])
    client.force_login(operator_user)
    page = client.get(reverse("camera-view", args=[camera.pk])).content.decode()
    assert 'data-state="reconnecting" data-field="state_text">offline, trying again<' in page
    assert "nothing answers at that address and port" in page
    assert "<span data-rates hidden>" in page and "4.98" not in page


@pytest.mark.django_db
def test_it_shows_an_online_cameras_rates_in_words(client, operator_user):
    camera = _stream_camera(state="online", fps_in=5.0)
    client.force_login(operator_user)
    page = client.get(reverse("camera-view", args=[camera.pk])).content.decode()
    assert 'data-field="state_text">online<' in page and "<span data-rates>" in page
    assert '<span data-field="fps_in">5.0</span> pictures a second received' in page
    assert '<span data-field="fps_processed">4.98</span> checked for faces' in page
