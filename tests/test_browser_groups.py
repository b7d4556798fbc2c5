"""Setting up the register in a real browser: an operator creates a group, then its schedule of
two sessions on Mondays and a Friday night shift through the session rows, at desktop width and
at 390 px (screenshots in tests/artifacts), with nothing blocked by the Content-Security-Policy."""

import pytest

from attendance.models import Group, Schedule
from tests.browser import ARTIFACTS, RECORD_VIOLATIONS, log_in

ROWS = [("0", "08:00", "12:00", False), ("0", "13:00", "16:00", False), ("4", "22:00", "06:00", True)]


def _set_up(page, base_url: str, name: str, width: int) -> None:
    page.goto(f"{base_url}/groups/")
    page.fill("#group-create input[name=name]", name)
    page.select_option("#group-create select[name=kind]", "team")
    with page.expect_navigation():
        page.click("#group-create button[type=submit]")
    with page.expect_navigation():
        page.click("#schedules a.button")
    for index, (weekday, start, end, overnight) in enumerate(ROWS):
        page.select_option(f"select[name=sessions-{index}-weekday]", weekday)
        page.fill(f"input[name=sessions-{index}-start]", start)
        page.fill(f"input[name=sessions-{index}-end]", end)
        if overnight:
            page.check(f"input[name=sessions-{index}-overnight]")
    page.screenshot(path=str(ARTIFACTS / f"groups_schedule_form_{width}.png"), full_page=True)
    with page.expect_navigation():
        page.click("text=Save schedule")
    page.screenshot(path=str(ARTIFACTS / f"groups_group_page_{width}.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1280, 390])
def test_it_sets_up_a_group_with_two_sessions_and_a_night_shift(width, operator_user, browser_site):
    base_url, browser = browser_site
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    log_in(page, base_url, "operator", "pw-operator")

    _set_up(page, base_url, f"Night shift {width}", width)

    schedule = Schedule.objects.get(group=Group.objects.get(name=f"Night shift {width}"))
    assert [(s.weekday, s.start.strftime("%H:%M"), s.end.strftime("%H:%M"), s.overnight)
            for s in schedule.sessions.all()] == [(0, "08:00", "12:00", False), (0, "13:00", "16:00", False),
                                                  (4, "22:00", "06:00", True)]
    shown = page.locator("#schedules tbody tr").all_inner_texts()
    assert [" ".join(row.split()) for row in shown] == ["Monday 08:00 12:00", "Monday 13:00 16:00",
                                                        "Friday 22:00 06:00 next day"]
    assert "in force" in page.text_content("#schedules")
    assert page.evaluate("window.cspViolations") == []
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"the page is {scroll_width}px wide at {width}px"
