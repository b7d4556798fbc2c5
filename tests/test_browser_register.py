"""The register in a real browser, at desktop width and at 390 px (screenshots in tests/artifacts):
a responsible viewer's daily register updates live when a visit of a member is named, a
correction made through the page shows at once, and the month sheet shows the day with its
code's colour, on screen and printed; nothing blocked by the Content-Security-Policy, no
sideways scrolling of the page."""

import datetime as dt
import threading

import pytest
from django.db import connection, transaction

from attendance.models import AttendanceCode, Group, Schedule, ScheduleSession
from faceapp.clock import site_date
from identity import events
from identity.events import Sighting
from tests.browser import ARTIFACTS, RECORD_VIOLATIONS, log_in, no_sideways_scroll
from tests.attendance_data import earlier_today
from tests.review_data import make_camera, make_log, make_person

TIMEOUT_MS = 30_000  # a deadline for a slow machine, not a timing assertion


@pytest.fixture
def all_day(viewer_user, media_root):
    group = Group.objects.create(name="Night and day")
    schedule = Schedule.objects.create(group=group, starts_on=dt.date(2026, 1, 1))
    for weekday in range(7):
        ScheduleSession.objects.create(schedule=schedule, weekday=weekday, start=dt.time(0), end=dt.time(23, 59))
    group.responsible.add(viewer_user)
    ada, bea = make_person("Ada Lovelace", "A1"), make_person("Bea Brown", "B2")
    group.members.add(ada, bea)
    AttendanceCode.objects.create(label="SN: sick note", category=AttendanceCode.EXCUSED_ABSENCE, colour="#cc0000")
    return group, ada, bea


def _visit_named(person) -> None:
    """A named visit of `person`, committed in a thread of its own (Playwright's loop runs in this
    one, and the push after the commit must not): the page hears it over its socket."""
    def commit() -> None:
        try:
            _commit_visit(person)
        finally:
            connection.close()

    thread = threading.Thread(target=commit)
    thread.start()
    thread.join(TIMEOUT_MS / 1000)


def _commit_visit(person) -> None:
    seen_at = earlier_today(dt.timedelta(minutes=1))
    hall = make_camera(f"Hall {person.pk}")
    log = make_log(seen_at=seen_at, person=person, camera=hall)
    with transaction.atomic():
        events.send_on_commit(events.visit_opened, sighting=Sighting(person.pk, seen_at, hall.pk, log.pk))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1280, 390])
def test_it_updates_the_register_live_takes_a_correction_and_shows_the_month(width, viewer_user, all_day,
                                                                              browser_site):
    group, ada, bea = all_day
    base_url, browser = browser_site
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    log_in(page, base_url, "viewer", "pw-viewer")

    page.goto(f"{base_url}/groups/")
    with page.expect_navigation():
        page.click(f"a[href='/groups/{group.pk}/register/']")
    page.wait_for_selector("[data-live-status][data-state=live]", timeout=TIMEOUT_MS)
    ada_row = f"#register tr[data-person-id='{ada.pk}']"
    assert page.text_content(f"{ada_row} [data-field=status_label]").strip() == "Not yet"

    _visit_named(ada)

    # A selector, not wait_for_function: its string predicate is an eval the page's CSP refuses.
    page.wait_for_selector(f"{ada_row}:not([data-status=pending])", timeout=TIMEOUT_MS)
    assert page.text_content(f"{ada_row} [data-field=status_label]").strip() in ("Present", "Late")
    assert page.text_content(f"{ada_row} [data-field=first_in]").strip() != "—"
    assert page.text_content("[data-count=in]") == "1"
    page.screenshot(path=str(ARTIFACTS / f"register_day_live_{width}.png"), full_page=True)
    no_sideways_scroll(page, width)

    page.select_option("#correct select[name=person]", str(bea.pk))
    page.select_option("#correct select[name=status]", "excused")
    page.select_option("#correct select[name=code]", label="SN: sick note")
    page.fill("#correct input[name=reason]", "doctor's note")
    with page.expect_navigation():
        page.click("#correct button[type=submit]")
    bea_row = f"#register tr[data-person-id='{bea.pk}']"
    assert page.text_content(".messages").strip() == "Bea Brown marked excused."
    assert " ".join(page.text_content(f"{bea_row} [data-field=status_label]").split()) == "Excused · SN: sick note"
    assert page.evaluate(f"getComputedStyle(document.querySelector(\"{bea_row} .status-chip\")).backgroundColor") == \
        "rgb(204, 0, 0)"
    page.screenshot(path=str(ARTIFACTS / f"register_day_corrected_{width}.png"), full_page=True)
    no_sideways_scroll(page, width)

    with page.expect_navigation():
        page.click(".page-head a:text('Month')")
    today_cell = f"#month-sheet tbody tr:nth-child(2) td.day:nth-of-type({site_date().day + 1})"
    assert page.text_content(today_cell) == "SN: sick note"
    colour = page.evaluate(f"getComputedStyle(document.querySelector('{today_cell}')).backgroundColor")
    assert colour == "rgb(204, 0, 0)"
    page.screenshot(path=str(ARTIFACTS / f"register_month_{width}.png"), full_page=True)
    no_sideways_scroll(page, width)
    if width > 390:
        page.emulate_media(media="print")
        assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).display") == "none"
        page.screenshot(path=str(ARTIFACTS / "register_month_print.png"), full_page=True)
    assert page.evaluate("window.cspViolations") == []


def _entered(person) -> None:
    """An IN of `person` at an entry camera a minute ago, committed in a thread of its own."""
    from attendance.models import CameraRole

    def commit() -> None:
        try:
            seen_at = earlier_today(dt.timedelta(minutes=1))
            door = make_camera(f"Door {person.pk}")
            CameraRole.objects.create(camera=door, role=CameraRole.ENTRY)
            log = make_log(seen_at=seen_at, person=person, camera=door)
            with transaction.atomic():
                events.send_on_commit(events.visit_opened, sighting=Sighting(person.pk, seen_at, door.pk, log.pk))
        finally:
            connection.close()

    thread = threading.Thread(target=commit)
    thread.start()
    thread.join(TIMEOUT_MS / 1000)


@pytest.mark.django_db(transaction=True)
def test_it_adds_whoever_comes_in_to_the_in_the_building_now_list_live(viewer_user, all_day, browser_site):
    group, ada, _ = all_day
    base_url, browser = browser_site
    page = browser.new_context(viewport={"width": 390, "height": 800}).new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    log_in(page, base_url, "viewer", "pw-viewer")

    page.goto(f"{base_url}/register/in-now/")
    page.wait_for_selector("[data-live-status][data-state=live]", timeout=TIMEOUT_MS)
    assert page.text_content("[data-count-in-now]").strip() == "0"
    _entered(ada)

    page.wait_for_selector(f"#in-now tr[data-person-id='{ada.pk}']", timeout=TIMEOUT_MS)
    assert "Night and day" in page.text_content(f"#in-now tr[data-person-id='{ada.pk}']")
    assert page.text_content("[data-count-in-now]").strip() == "1"
    page.screenshot(path=str(ARTIFACTS / "register_in_now_390.png"), full_page=True)
    assert page.evaluate("window.cspViolations") == []
    no_sideways_scroll(page, 390)
