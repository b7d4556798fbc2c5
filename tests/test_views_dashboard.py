"""Dashboard: viewers and up; recent recognitions, today's attendance and the latest frame,
rendered once (the page's script then follows ws/dashboard/)."""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from attendance.models import AttendanceRecord
from faceapp.clock import site_date
from identity.models import Camera, MatchLog, Person, ProvisionalIdentity, Snapshot
from tests.faces_data import FIXTURES
from tests.review_data import make_camera, make_log, make_person


def _snapshot(status: str = Snapshot.DONE) -> Snapshot:
    return Snapshot.objects.create(
        image=ContentFile((FIXTURES / "lfw_person_a_2.jpg").read_bytes(), name="a.jpg"),
        status=status, width=250, height=250, processed_at=timezone.now(),
    )


@pytest.mark.django_db
def test_it_sends_anonymous_users_to_the_login_page(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_it_forbids_users_without_a_role(client, django_user_model):
    client.force_login(django_user_model.objects.create_user(username="nobody", password="x"))
    assert client.get(reverse("dashboard")).status_code == 403


@pytest.mark.django_db
def test_it_renders_an_empty_dashboard_for_viewers(client, viewer_user):
    client.force_login(viewer_user)
    response = client.get(reverse("dashboard"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Nobody seen yet" in page and "No photo or camera frame recognised yet" in page
    assert "faceapp/dashboard.js" in page
    # Viewers see the dashboard only.
    assert reverse("person-list") not in page and reverse("upload") not in page


@pytest.mark.django_db
def test_it_links_operators_to_their_pages(client, operator_user):
    client.force_login(operator_user)
    page = client.get(reverse("dashboard")).content.decode()
    for name in ("person-list", "upload", "camera-list", "compare", "review-queue", "attendance-today"):
        assert reverse(name) in page
    assert reverse("admin:index") not in page and reverse("calibration") not in page


@pytest.mark.django_db
def test_it_links_admins_to_calibration_and_the_admin(client, admin_user):
    client.force_login(admin_user)
    page = client.get(reverse("dashboard")).content.decode()
    assert reverse("calibration") in page and reverse("admin:index") in page


@pytest.mark.django_db
def test_it_shows_recent_recognitions_and_the_latest_frame(client, viewer_user, media_root):
    person = Person.objects.create(name="Aaron Peirsol", code="AP-1")
    stranger = ProvisionalIdentity.objects.create(label="U-0007", embeddings=b"")
    snapshot = _snapshot()
    known = MatchLog.objects.create(
        snapshot=snapshot, face_index=0, box=[25, 50, 125, 175], embedding=b"", person=person,
        similarity=0.71, assigned_id="AP-1", decision=MatchLog.KNOWN,
        crop=ContentFile(b"jpeg", name="c.jpg"),
    )
    MatchLog.objects.create(
        snapshot=snapshot, face_index=1, box=[150, 50, 200, 100], embedding=b"", provisional=stranger,
        similarity=0.12, assigned_id="U-0007", decision=MatchLog.UNKNOWN,
    )
    client.force_login(viewer_user)
    initial = client.get(reverse("dashboard")).context["initial"]
    visits = {visit["label"]: visit for visit in initial["visits"]}
    assert visits.keys() == {"Aaron Peirsol", "U-0007"} and visits["Aaron Peirsol"]["similarity"] == 0.71
    assert visits["Aaron Peirsol"]["crop_url"] == reverse("media-log-crop", args=[known.pk])
    assert visits["Aaron Peirsol"]["snapshot_url"] == reverse("snapshot-detail", args=[snapshot.pk])
    latest = initial["latest"]
    assert latest["snapshot"]["image_url"] == reverse("media-snapshot", args=[snapshot.pk])
    assert [face["box"] for face in latest["faces"]] == [[25, 50, 125, 175], [150, 50, 200, 100]]


@pytest.mark.django_db
def test_it_shows_todays_attendance(client, viewer_user):
    here = Person.objects.create(name="Here Person", code="H-1")
    Person.objects.create(name="Away Person")
    now = timezone.now()
    AttendanceRecord.objects.create(person=here, day=site_date(), first_seen=now, last_seen=now)
    client.force_login(viewer_user)
    response = client.get(reverse("dashboard"))
    attendance = response.context["attendance"]  # attendance's card ({% attendance_today_card %})
    assert [row["name"] for row in attendance["present"]] == ["Here Person"]
    assert [row["name"] for row in attendance["absent"]] == ["Away Person"]
    page = response.content.decode()
    assert 'id="present-count">1<' in page and 'id="absent-count">1<' in page


@pytest.mark.django_db
def test_it_escapes_names(client, viewer_user):
    Person.objects.create(name="<script>alert(1)</script>")
    client.force_login(viewer_user)
    page = client.get(reverse("dashboard")).content.decode()
    assert "<script>alert(1)" not in page
    assert "\\u003Cscript\\u003Ealert(1)\\u003C/script\\u003E" in page  # json_script's escaping; the script sets textContent


def test_it_lists_the_cameras_that_send_frames_not_the_photo_sources(client, viewer_user):
    Camera.objects.create(name="Door", kind=Camera.WEBCAM)
    Camera.objects.create(name="Uploads", kind=Camera.UPLOAD)
    client.force_login(viewer_user)

    cameras = client.get(reverse("dashboard")).context["cameras"]

    assert [status["name"] for status in cameras] == ["Door"]


@pytest.mark.django_db
def test_it_leads_a_fresh_install_to_enrolling_people_and_adding_a_camera(client, operator_user):
    client.force_login(operator_user)

    page = client.get(reverse("dashboard")).content.decode()

    assert 'id="first-steps"' in page
    assert reverse("person-create") in page and reverse("camera-list") in page


@pytest.mark.django_db
def test_it_shows_no_first_steps_once_people_and_a_camera_exist(client, operator_user, media_root):
    make_person("Ada Lovelace")
    make_camera("Door")
    client.force_login(operator_user)

    assert 'id="first-steps"' not in client.get(reverse("dashboard")).content.decode()


@pytest.mark.django_db
def test_it_shows_a_viewer_no_visit_or_frame_older_than_the_viewer_window(client, viewer_user, media_root, settings):
    old = timezone.now() - dt.timedelta(hours=settings.FACEAPP_VIEWER_MEDIA_HOURS + 1)
    log = make_log(seen_at=old, person=make_person("Archie Oldvisit", code="OLD1"))
    Snapshot.objects.filter(pk=log.snapshot_id).update(status=Snapshot.DONE, width=250, height=250)
    client.force_login(viewer_user)

    initial = client.get(reverse("dashboard")).context["initial"]

    assert initial["visits"] == [] and initial["latest"] is None


@pytest.mark.django_db
def test_it_shows_an_operator_the_visits_older_than_the_viewer_window(client, operator_user, media_root, settings):
    old = timezone.now() - dt.timedelta(hours=settings.FACEAPP_VIEWER_MEDIA_HOURS + 1)
    log = make_log(seen_at=old, person=make_person("Archie Oldvisit", code="OLD1"))
    Snapshot.objects.filter(pk=log.snapshot_id).update(status=Snapshot.DONE, width=250, height=250)
    client.force_login(operator_user)

    initial = client.get(reverse("dashboard")).context["initial"]

    assert [visit["id"] for visit in initial["visits"]] == [log.pk]
    assert initial["latest"] is not None
