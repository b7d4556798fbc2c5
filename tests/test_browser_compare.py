"""Answers that say how sure they are, in a real browser: the compare page calls Venus against
Serena Williams "too close to call" and says why, and search by photo shows the likely match
first with the less alike faces folded under a disclosure. Headless Chromium, a real Daphne
server and a real Celery worker (in this process) deciding on the real models."""

import pytest

from identity.models import Camera
from identity.services import recognition
from tests.browser import ARTIFACTS, log_in
from tests.faces_data import FIXTURES

WAIT_MS = 90_000  # the worker's first answer loads the ONNX models
E2E = FIXTURES / "e2e"


@pytest.mark.django_db(transaction=True)
def test_it_calls_the_williams_sisters_too_close_to_call(operator_user, celery_worker, browser_site):
    base_url, browser = browser_site
    page = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
    log_in(page, base_url, "operator", "pw-operator")

    page.goto(f"{base_url}/compare/")
    page.set_input_files("input[name=image1]", str(FIXTURES / "williams" / "Venus_Williams_0003.jpg"))
    page.set_input_files("input[name=image2]", str(FIXTURES / "williams" / "Serena_Williams_0003.jpg"))
    with page.expect_navigation(timeout=WAIT_MS):
        page.click("form[enctype='multipart/form-data'] button[type=submit]")
    page.screenshot(path=str(ARTIFACTS / "compare_too_close.png"), full_page=True)

    assert page.text_content("#compare-result h2").strip() == "Too close to call"
    assert page.get_attribute("#compare-result", "data-verdict") == "too close to call"
    assert "within 0.07 of the threshold" in page.text_content("#compare-close")
    assert page.locator("#compare-limits-none").is_visible()


@pytest.mark.django_db(transaction=True)
def test_it_folds_the_less_alike_faces_under_the_likely_match(operator_user, celery_worker, browser_site):
    door = Camera.objects.create(name="Door")
    for name in ("Colin_Powell_0001", "Tony_Blair_0001", "Donald_Rumsfeld_0001"):
        snapshot = recognition.snapshot_submit(image=(f"{name}.jpg", (E2E / f"{name}.jpg").read_bytes()), camera=door)
        recognition.snapshot_recognize(snapshot_id=snapshot.pk)
    base_url, browser = browser_site
    page = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
    log_in(page, base_url, "operator", "pw-operator")

    page.goto(f"{base_url}/search/")
    page.set_input_files("input[name=photo]", str(E2E / "Colin_Powell_0002.jpg"))
    with page.expect_navigation(timeout=WAIT_MS):
        page.click("form[enctype='multipart/form-data'] button[type=submit]")
    page.screenshot(path=str(ARTIFACTS / "face_search_folded.png"), full_page=True)
    likely = page.locator('table[data-matches="likely"] tbody tr')
    others = page.locator('table[data-matches="others"] tbody tr')
    folded = (likely.count(), others.count(), others.first.is_visible())
    page.click("details.search-others summary")
    page.screenshot(path=str(ARTIFACTS / "face_search_unfolded.png"), full_page=True)

    assert folded == (1, 2, False)
    assert others.first.is_visible() and "Colin" not in page.text_content('table[data-matches="others"]')
