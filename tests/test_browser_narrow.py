"""Every page on a 390 px phone, in a real browser, for every role (admin, operator, viewer, an
account without a role, and a visitor not signed in on the public pages): nothing is wider than
the screen (the document's scrollWidth); tables and charts scroll inside their card.

The pages are the routes of tests/test_permissions_routes.py (every GET route, those with
parameters filled with real rows: a person, a camera, a group...) that the role may open, less
those that are not a page: a file, JSON, an action that takes a POST only, Django's admin."""

import datetime as dt

import pytest
from django.contrib.auth.models import User

from identity.roles import ADMIN, OPERATOR, ROLES, VIEWER
from tests.browser import ARTIFACTS, log_in
from tests.review_data import at, make_log, make_person
from tests.test_permissions_routes import EXPECTED, PUBLIC, ROUTES, _path, route_objects

WIDTH = 390
NOT_PAGES = {
    # files, JSON and a signed image link
    "attendance-export", "import-report", "import-status", "register-month-csv", "register-month-xlsx",
    "register-summary-csv", "register-summary-xlsx", "media-camera-picture", "media-log-crop", "media-sample-crop", "media-sample-photo",
    "media-snapshot", "person-search", "review-item", "healthz", "integrations-crop", "api-schema", "roll-call-photo",
    # actions: a GET is answered 405
    "absence-delete", "alert-delete", "camera-role", "camera-test", "camera-token-rotate", "camera-token-show",
    "closure-delete", "code-delete", "duplicate-distinct", "duplicate-merge", "group-delete", "group-members",
    "group-responsible", "import-cancel", "logout", "person-contact-add", "person-contact-delete", "person-merge",
    "register-mark", "register-mark-remove", "roll-call-face", "roll-call-mark", "review-bulk", "review-decide", "review-undo", "sample-delete",
    "sample-distinct", "sample-move", "schedule-delete", "snapshot-retry", "stranger-merge", "stranger-name",
    "user-active", "user-password", "user-role", "user-token-create", "user-token-revoke", "webhook-delete",
    "webhook-resume", "webhook-secret", "webhook-test",
}
PASSWORDS = {ADMIN: "password", OPERATOR: "pw-operator", VIEWER: "pw-viewer", "no-role": "pw-no-role"}


def _is_page(key: str) -> bool:
    return key == "api-docs" or (key not in NOT_PAGES and not key.startswith(("admin", "api-")))


def pages_for(role: str) -> list[str]:
    """The page routes `role` may open: its own role's and those below it."""
    allowed = ROLES[: ROLES.index(role) + 1]
    return sorted(key for key in ROUTES if _is_page(key) and EXPECTED[key] in allowed)


def _phone(browser):
    return browser.new_context(viewport={"width": WIDTH, "height": 844}, device_scale_factor=1).new_page()


def _measure(page, url: str, shot: str) -> tuple[int, int]:
    """(status, document scrollWidth) of the page at `url`; a full-page screenshot saved as `shot`."""
    response = page.goto(url)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(ARTIFACTS / f"narrow_{shot}.png"), full_page=True)
    return response.status, page.evaluate("document.documentElement.scrollWidth")


def _rows_that_widen_pages(objects: dict) -> None:
    """Long names, many people and visits: what makes a table or a list wider on a real site."""
    for number in range(12):
        make_person(f"Person with a rather long name {number:02d}", f"CODE-{number:04d}", with_sample=False)
    for hour in (8, 9, 10):
        make_log(seen_at=at(dt.date.today(), hour), person=objects["person"], camera=objects["camera"])


@pytest.mark.django_db(transaction=True)
def test_it_fits_every_page_on_a_390_px_screen_for_every_role(admin_user, operator_user, viewer_user, browser_site):
    base_url, browser = browser_site
    objects = route_objects(admin_user)
    objects["group"].responsible.add(viewer_user)  # a viewer reads the register of their own groups
    _rows_that_widen_pages(objects)
    User.objects.create_user(username="no-role", password=PASSWORDS["no-role"])
    answers = {}
    for role in (ADMIN, OPERATOR, VIEWER):
        page = _phone(browser)
        log_in(page, base_url, role, PASSWORDS[role])
        for key in pages_for(role):
            answers[role, key] = _measure(page, base_url + _path(key, objects), f"{role}_{key}")
        if role == ADMIN:
            answers[role, "not-found"] = _measure(page, base_url + "/no-such-page/", f"{role}_not-found")
    page = _phone(browser)
    log_in(page, base_url, "no-role", PASSWORDS["no-role"])
    answers["no-role", "dashboard"] = _measure(page, base_url + "/", "no-role_dashboard")  # refused: 403
    page = _phone(browser)
    for key in sorted(key for key in ROUTES if EXPECTED[key] == PUBLIC and _is_page(key)):
        answers["anonymous", key] = _measure(page, base_url + _path(key, objects), f"anonymous_{key}")

    wider = {f"{role} {key}": width for (role, key), (_, width) in answers.items() if width != WIDTH}
    statuses = {(role, key): status for (role, key), (status, _) in answers.items()}
    expected_statuses = {(role, key): {"not-found": 404, "dashboard": 403 if role == "no-role" else 200}.get(key, 200)
                         for role, key in answers}
    assert wider == {}
    assert statuses == expected_statuses
    assert {"camera-view", "person-detail", "webhook-list", "alert-list", "attendance-today", "calibration",
            "register-summary", "user-detail"} <= {key for role, key in answers if role == ADMIN}
    assert {"dashboard", "register-today", "register-month", "profile"} <= {key for role, key in answers if role == VIEWER}


@pytest.mark.django_db(transaction=True)
def test_it_keeps_chart_labels_readable_on_a_390_px_screen(operator_user, browser_site):
    base_url, browser = browser_site
    ada = make_person("Ada Lovelace", "AL-1")
    make_log(seen_at=at(dt.date.today(), 9), person=ada)
    page = _phone(browser)
    log_in(page, base_url, "operator", "pw-operator")
    page.goto(base_url + "/attendance/")
    page.wait_for_load_state("networkidle")
    # the rendered height of the hour labels under the chart's bars, in CSS pixels
    label_heights = page.evaluate(
        "[...document.querySelectorAll('.chart text.tick')].map((text) => text.getBoundingClientRect().height)")
    page.locator(".card", has=page.locator(".chart")).screenshot(path=str(ARTIFACTS / "narrow_chart_card.png"))
    width = page.evaluate("document.documentElement.scrollWidth")

    assert len(label_heights) == 25 and min(label_heights) >= 10  # 24 hours and the top of the y axis
    assert width == WIDTH
