"""Recognise photos: the upload page (one bad file never stops the others) and a snapshot's page."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from identity.models import Camera, MatchLog, Person, Snapshot
from tests.faces_data import FIXTURES


def _photo(name: str = "lfw_person_a_2.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (FIXTURES / name).read_bytes(), content_type="image/jpeg")


@pytest.mark.django_db
def test_it_sends_anonymous_users_to_the_login_page(client):
    for url in (reverse("upload"), reverse("snapshot-detail", args=[1])):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_it_forbids_viewers_to_upload(client, viewer_user, media_root):
    client.force_login(viewer_user)
    assert client.get(reverse("upload")).status_code == 403
    assert client.post(reverse("upload"), {"photos": [_photo()]}).status_code == 403
    assert not Snapshot.objects.exists()


@pytest.mark.django_db
def test_it_renders_the_upload_form(client, operator_user):
    Camera.objects.create(name="Front door")
    client.force_login(operator_user)
    page = client.get(reverse("upload")).content.decode()
    assert "Recognise photos" in page
    assert 'type="file"' in page and "multiple" in page
    assert "Front door" in page


@pytest.mark.django_db
def test_it_requires_a_photo(client, operator_user):
    client.force_login(operator_user)
    response = client.post(reverse("upload"), {})
    assert response.status_code == 200
    assert "Choose at least one photo" in response.content.decode()


@pytest.mark.django_db
def test_it_queues_each_photo_under_the_uploads_camera(client, operator_user, media_root):
    client.force_login(operator_user)
    response = client.post(reverse("upload"), {"photos": [_photo("lfw_person_a_2.jpg"), _photo("bbt_group.jpg")]})
    assert response.status_code == 302
    assert response.url == reverse("dashboard")
    snapshots = list(Snapshot.objects.select_related("camera"))
    assert len(snapshots) == 2
    assert {(s.camera.name, s.camera.kind, s.status) for s in snapshots} == {("Uploads", "upload", "pending")}
    assert {s.submitted_by_id for s in snapshots} == {operator_user.pk}


@pytest.mark.django_db
def test_it_uses_the_chosen_camera(client, operator_user, media_root):
    camera = Camera.objects.create(name="Front door")
    client.force_login(operator_user)
    response = client.post(reverse("upload"), {"photos": [_photo()], "camera": str(camera.pk)})
    assert response.status_code == 302
    assert Snapshot.objects.get().camera == camera


@pytest.mark.django_db
def test_it_reports_a_bad_file_and_still_queues_the_others(client, operator_user, media_root):
    client.force_login(operator_user)
    bad = SimpleUploadedFile("holiday.txt", b"this is not an image", content_type="text/plain")
    response = client.post(reverse("upload"), {"photos": [bad, _photo()]})
    assert response.status_code == 200
    errors = response.context["form"].errors["photos"]
    assert len(errors) == 1 and errors[0].startswith("holiday.txt: ")
    assert "holiday.txt" in response.content.decode()
    assert Snapshot.objects.count() == 1


@pytest.mark.django_db
def test_it_shows_a_snapshot_with_its_faces(client, viewer_user, media_root):
    person = Person.objects.create(name="Aaron <b>Peirsol</b>", code="AP-1")
    snapshot = Snapshot.objects.create(
        image=ContentFile((FIXTURES / "lfw_person_a_2.jpg").read_bytes(), name="a.jpg"),
        status=Snapshot.DONE, width=250, height=250, face_count=1,
    )
    MatchLog.objects.create(
        snapshot=snapshot, face_index=0, box=[60, 70, 180, 210], embedding=b"", person=person,
        similarity=0.61, margin=0.4, assigned_id="AP-1", decision=MatchLog.KNOWN,
    )
    client.force_login(viewer_user)
    response = client.get(reverse("snapshot-detail", args=[snapshot.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert reverse("media-snapshot", args=[snapshot.pk]) in page
    assert "Aaron &lt;b&gt;Peirsol&lt;/b&gt;" in page and "<b>Peirsol" not in page
    assert 'data-faces="snapshot-faces" data-width="250" data-height="250"' in page  # live.js places the boxes
    assert [face["box"] for face in response.context["result"]["faces"]] == [[60, 70, 180, 210]]
    assert "0.610" in page


@pytest.mark.django_db
def test_it_answers_404_for_a_missing_snapshot(client, viewer_user):
    client.force_login(viewer_user)
    assert client.get(reverse("snapshot-detail", args=[999])).status_code == 404
