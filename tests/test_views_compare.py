"""Compare page: two photos in, a similarity and a verdict out (same person, different people, or too close
to call, with what limits a close answer), decided by a real Celery worker (never inside the web server),
rate-limited per user; clear errors."""

import dataclasses
import io

import cv2
import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from identity.face_engine import get_face_engine
from tests.faces_data import FIXTURES


def _photo(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (FIXTURES / name).read_bytes(), content_type="image/jpeg")


def _blank_photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.fromarray(np.full((240, 240, 3), 128, dtype=np.uint8)).save(buffer, format="JPEG")
    return SimpleUploadedFile("wall.jpg", buffer.getvalue(), content_type="image/jpeg")


@pytest.mark.django_db
def test_it_sends_anonymous_users_to_the_login_page(client):
    response = client.get(reverse("compare"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_it_forbids_viewers(client, viewer_user):
    client.force_login(viewer_user)
    assert client.get(reverse("compare")).status_code == 403


@pytest.mark.django_db(transaction=True)  # the worker thread closes the connections it used
def test_it_says_same_person_with_both_crops_inline(client, operator_user, celery_worker):
    client.force_login(operator_user)
    data = {"image1": _photo("lfw_person_a_1.jpg"), "image2": _photo("lfw_person_a_2.jpg")}
    response = client.post(reverse("compare"), data)
    result = response.context["result"]
    page = response.content.decode()
    assert response.status_code == 200
    assert result["same"] and result["similarity"] >= result["threshold"]
    assert "Same person" in page
    assert page.count('src="data:image/jpeg;base64,') == 2


@pytest.mark.django_db(transaction=True)  # the worker thread closes the connections it used
def test_it_says_different_people(client, operator_user, celery_worker):
    client.force_login(operator_user)
    data = {"image1": _photo("lfw_person_a_1.jpg"), "image2": _photo("lfw_person_b_1.jpg")}
    response = client.post(reverse("compare"), data)
    assert not response.context["result"]["same"]
    assert "Different people" in response.content.decode()


@pytest.mark.django_db(transaction=True)  # the worker thread closes the connections it used
def test_it_names_the_unreadable_photo(client, operator_user, celery_worker):
    client.force_login(operator_user)
    data = {"image1": _photo("lfw_person_a_1.jpg"), "image2": SimpleUploadedFile("x.jpg", b"\xff\xd8 broken")}
    response = client.post(reverse("compare"), data)
    form = response.context["form"]
    assert response.context["result"] is None
    assert "image1" not in form.errors
    assert form.errors["image2"][0].startswith("Unreadable photo")


@pytest.mark.django_db(transaction=True)  # the worker thread closes the connections it used
def test_it_says_when_a_photo_has_no_face(client, operator_user, celery_worker):
    client.force_login(operator_user)
    data = {"image1": _photo("lfw_person_a_1.jpg"), "image2": _blank_photo()}
    response = client.post(reverse("compare"), data)
    assert response.context["result"] is None
    assert "Cannot compare: no face found in image 2" in response.content.decode()


@pytest.mark.django_db
def test_it_requires_both_photos(client, operator_user):
    client.force_login(operator_user)
    response = client.post(reverse("compare"), {"image1": _photo("lfw_person_a_1.jpg")})
    assert response.context["result"] is None
    assert "image2" in response.context["form"].errors


@pytest.mark.django_db(transaction=True)  # the worker thread closes the connections it used
def test_it_names_a_photo_the_worker_could_not_decode(client, operator_user, celery_worker):
    client.force_login(operator_user)
    truncated = (FIXTURES / "lfw_person_a_2.jpg").read_bytes()[:2000]  # a sound header, no body
    data = {"image1": _photo("lfw_person_a_1.jpg"), "image2": SimpleUploadedFile("cut.jpg", truncated)}
    response = client.post(reverse("compare"), data)
    assert response.context["result"] is None
    assert response.context["form"].errors["image2"][0].startswith("Unreadable photo (cut.jpg): image is truncated")


@pytest.mark.django_db
def test_it_limits_comparisons_per_user(client, operator_user, settings):
    settings.FACEAPP_RATE_COMPARE_PER_MINUTE = 2
    settings.FACEAPP_COMPARE_WAIT_SECONDS = 0.2  # no worker runs: only the refusal matters here
    client.force_login(operator_user)
    pages = [client.post(reverse("compare"), {"image1": _photo("lfw_person_a_1.jpg"), "image2": _photo("lfw_person_b_1.jpg")})
             for _ in range(3)]
    messages = [str(page.context["form"].non_field_errors()) for page in pages]
    assert "No worker answered in time" in messages[0] and "No worker answered in time" in messages[1]
    assert "Too many comparisons: try again in" in messages[2]


def _williams(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (FIXTURES / "williams" / name).read_bytes(), content_type="image/jpeg")


@pytest.mark.django_db(transaction=True)  # the worker thread closes the connections it used
def test_it_says_too_close_to_call_for_venus_and_serena_williams(client, operator_user, celery_worker):
    client.force_login(operator_user)
    data = {"image1": _williams("Venus_Williams_0003.jpg"), "image2": _williams("Serena_Williams_0003.jpg")}
    response = client.post(reverse("compare"), data)
    result = response.context["result"]
    page = response.content.decode()
    assert result["verdict"] == "too close to call" and result["close"]
    assert abs(result["similarity"] - result["threshold"]) <= result["band"]
    assert "Too close to call" in page and "Same person" not in page
    assert 'id="compare-limits-none"' in page  # both photos are good: the faces are this alike


@pytest.mark.django_db(transaction=True)  # the worker thread closes the connections it used
def test_it_says_same_person_for_two_photos_of_venus_williams(client, operator_user, celery_worker):
    client.force_login(operator_user)
    data = {"image1": _williams("Venus_Williams_0001.jpg"), "image2": _williams("Venus_Williams_0002.jpg")}
    response = client.post(reverse("compare"), data)
    assert response.context["result"]["verdict"] == "same person"
    assert "Too close to call" not in response.content.decode()


@pytest.mark.django_db(transaction=True)  # the worker thread closes the connections it used
def test_it_names_the_small_face_that_limits_a_close_answer(client, operator_user, celery_worker, settings):
    from identity.vision.types import CLOSE
    from tests.faces_data import bgr, jpeg

    canvas = np.full((250, 250, 3), 128, np.uint8)
    canvas[:60, :60] = cv2.resize(bgr("lfw_person_a_2.jpg"), (60, 60), interpolation=cv2.INTER_AREA)  # a ~25 px face
    small = jpeg(canvas)
    probe = get_face_engine().verify(FIXTURES / "lfw_person_a_1.jpg", small)
    settings.FACEAPP_ENGINE = dataclasses.replace(settings.FACEAPP_ENGINE, threshold=probe.similarity)
    client.force_login(operator_user)
    data = {"image1": _photo("lfw_person_a_1.jpg"), "image2": SimpleUploadedFile("small.jpg", small)}
    response = client.post(reverse("compare"), data)
    result = response.context["result"]
    assert result["verdict"] == CLOSE and [limit for limit in result["limits"] if limit.startswith("photo 2: the face is small")]
    assert 'id="compare-limits"' in response.content.decode() and "photo 2: the face is small" in response.content.decode()
