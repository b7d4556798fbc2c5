"""Cameras in a real browser: an admin asks for a camera's token on its settings page, then deletes
the camera after the page that says what stays (its visits) and what goes with it."""

import datetime as dt

import pytest
from django.utils import timezone

from identity.models import Camera, MatchLog
from integrations.models import AlertRule, Destination
from tests import review_data
from tests.browser import ARTIFACTS, log_in


@pytest.mark.django_db(transaction=True)
def test_it_shows_the_token_when_asked_and_deletes_a_camera_after_asking(admin_user, browser_site):
    door = review_data.make_camera("Front door")
    review_data.make_log(seen_at=timezone.now(), person=review_data.make_person("Ada", with_sample=False), camera=door)
    AlertRule.objects.create(name="Night door", kind=AlertRule.STRANGER_AT, camera=door, start_time=dt.time(18),
                             end_time=dt.time(7))
    Destination.objects.create(name="Door only", url="https://example.org/hook").cameras.add(door)
    base_url, browser = browser_site
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(page, base_url, "admin", "password")

    page.goto(f"{base_url}/cameras/")
    assert door.token not in page.content()
    page.goto(f"{base_url}/cameras/{door.pk}/edit/")
    with page.expect_navigation():
        page.click("text=Show the token")
    assert page.text_content("[data-token]").strip() == door.token

    with page.expect_navigation():
        page.click("text=Delete…")
    page.screenshot(path=str(ARTIFACTS / "camera_delete_confirm.png"), full_page=True)
    question = page.text_content("#camera-delete")
    assert "Delete camera Front door?" in question and "Its visits (1) stay" in question
    assert "Night door" in question and "Door only" in question
    with page.expect_navigation():
        page.click("#camera-delete button[type=submit]")
    page.screenshot(path=str(ARTIFACTS / "camera_deleted.png"), full_page=True)

    assert "Camera Front door deleted; its visits (1) stay" in page.content()
    assert not Camera.objects.exists()
    assert MatchLog.objects.get().snapshot.source_name == "Front door (deleted camera)"
