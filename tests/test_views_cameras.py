"""Cameras: the list (tokens for admins only), creating one, and the webcam camera page."""

import pytest
from django.urls import reverse

from identity.models import Camera


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
def test_it_shows_tokens_to_admins_only(client, operator_user, admin_user):
    camera = Camera.objects.create(name="Door")
    client.force_login(operator_user)
    page = client.get(reverse("camera-list")).content.decode()
    assert "Door" in page and camera.token not in page
    client.force_login(admin_user)
    assert camera.token in client.get(reverse("camera-list")).content.decode()


@pytest.mark.django_db
def test_it_creates_a_camera(client, operator_user):
    client.force_login(operator_user)
    response = client.post(reverse("camera-list"), {"name": "Lobby", "kind": "webcam"})
    assert response.status_code == 302
    assert Camera.objects.get(name="Lobby").kind == "webcam"


@pytest.mark.django_db
def test_it_refuses_a_duplicate_name(client, operator_user):
    Camera.objects.create(name="Lobby")
    client.force_login(operator_user)
    response = client.post(reverse("camera-list"), {"name": "Lobby", "kind": "webcam"})
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
