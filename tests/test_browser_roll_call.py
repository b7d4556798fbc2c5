"""Roll call in a real browser, at desktop width and at 390 px (screenshots in tests/artifacts):
a responsible viewer goes from the group's register to the roll call, uploads a class photo, a
real Celery worker (in this process) finds and names its faces on the real models, the page
shows the photo with a numbered box and name on every face and the lists; the viewer gives the
face too small to name to a member and marks the class present, which the register then shows.
Nothing blocked by the Content-Security-Policy, no sideways scrolling."""

import pytest

from attendance.models import AttendanceEvent
from identity.services import enrolment
from identity.services.recognizer import recognizer_forget
from tests import rollcall_data as data
from tests.faces_data import photo
from tests.browser import ARTIFACTS, RECORD_VIOLATIONS, log_in, no_sideways_scroll
from tests.review_data import make_person

WAIT_MS = 90_000  # the worker's first photo loads the ONNX models: a deadline, not a timing assertion


def enrolled_by_worker(name: str, fixture: str):
    person, samples = enrolment.person_enroll(name=name, consent=True,
                                              photos=[(fixture, photo(fixture))])
    assert [s.status for s in enrolment.samples_wait(sample_ids=[s.pk for s in samples], timeout=120)] == ["accepted"]
    return person


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1280, 390])
def test_it_takes_a_roll_call_from_a_class_photo_and_marks_the_class_present(width, viewer_user, celery_worker,
                                                                             browser_site, tmp_path):
    from playwright.sync_api import expect  # the fixture has skipped the test where Chromium is not

    recognizer_forget()
    aaron = enrolled_by_worker("Aaron Peirsol", "lfw_person_a_1.jpg")
    enrolled_by_worker("Ben Outsider", "lfw_person_b_1.jpg")
    cleo = make_person("Cleo Member", with_sample=False)
    group, session = data.class_today(members=[aaron, cleo], responsible=[viewer_user])
    photo = tmp_path / "class.jpg"
    photo.write_bytes(data.fixture_class_photo())
    base_url, browser = browser_site
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    log_in(page, base_url, "viewer", "pw-viewer")

    page.goto(f"{base_url}/groups/{group.pk}/register/")
    with page.expect_navigation():
        page.click("#roll-call-link")
    page.select_option("#roll-call-upload select[name=session]", str(session.pk))
    page.set_input_files("#roll-call-upload input[name=photo]", str(photo))
    with page.expect_navigation():
        page.click("#roll-call-upload form[enctype] button[type=submit]")
    page.wait_for_selector("#roll-photo svg", timeout=WAIT_MS)  # the pending page reloads itself
    expect(page.locator("#roll-photo img")).to_have_js_property("complete", True)  # CSP: no wait_for_function string
    page.screenshot(path=str(ARTIFACTS / f"roll_call_result_{width}.png"), full_page=True)
    no_sideways_scroll(page, width)

    labels = sorted(" ".join(text.split()) for text in page.locator("#roll-photo text").all_text_contents())
    assert labels == ["1 Aaron Peirsol", "2 Ben Outsider", "3"]
    assert "Aaron Peirsol" in page.text_content("#members-found")
    assert "Cleo Member" in page.text_content("#members-missing")
    assert "Ben Outsider" in page.text_content("#outside-group")
    assert "too small to name" in page.text_content("#to-check li.too_small")

    page.select_option("#to-check li.too_small select[name=person]", str(cleo.pk))
    with page.expect_navigation():
        page.click("#to-check li.too_small button[type=submit]")
    assert page.text_content(".messages").strip() == "Face 3: Cleo Member."
    assert "Every member is in the photo." in page.text_content("#members-missing")
    with page.expect_navigation():
        page.click("#mark-present button[type=submit]")
    assert page.text_content(".messages").strip().startswith("2 marked present")
    page.screenshot(path=str(ARTIFACTS / f"roll_call_marked_{width}.png"), full_page=True)
    no_sideways_scroll(page, width)
    assert sorted(AttendanceEvent.objects.filter(kind=AttendanceEvent.ROLL_CALL).values_list("person_id", flat=True)) \
        == sorted([aaron.pk, cleo.pk])

    with page.expect_navigation():
        page.click("text=see the register")
    for person in (aaron, cleo):
        assert page.text_content(f"#register tr[data-person-id='{person.pk}'] [data-field=status_label]").strip() \
            == "Present"
    assert page.evaluate("window.cspViolations") == []
