"""The review queue in a real browser: decided with the keyboard, without reloading, and fed
live by recognition results over ws/dashboard/ (real Daphne, real Redis, headless Chromium)."""

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from identity.models import MatchLog
from tests.browser import log_in, mark_page, page_kept
from tests.review_data import at, make_log, make_person

DAY = dt.date(2026, 3, 10)


def _current(page) -> str:
    return page.get_attribute("#review-card", "data-log-id")


def _wait_current(page, log_id) -> None:
    from playwright.sync_api import expect

    expect(page.locator("#review-card")).to_have_attribute("data-log-id", str(log_id or ""), timeout=15000)


def _wait_live(page) -> None:
    from playwright.sync_api import expect

    expect(page.locator("[data-live-status]")).to_have_attribute("data-state", "live", timeout=15000)


def _status(log: MatchLog) -> tuple[str, int | None]:
    log.refresh_from_db()
    return log.review_status, log.reviewed_person_id


@pytest.fixture
def reviewer(django_user_model):
    """An operator, made here: a flushed transactional database may have lost the role groups."""
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(username="operator", password="pw-operator")
    user.groups.add(Group.objects.get_or_create(name="operator")[0])
    return user


@pytest.mark.django_db(transaction=True)
def test_it_reviews_with_the_keyboard_and_takes_live_faces(reviewer, browser_site):
    base_url, browser = browser_site
    alice, bob = make_person("Alice", "A1"), make_person("Bob", "B2")
    # Least certain first: |similarity - 0.3| = 0.01, 0.05, 0.2.
    first = make_log(seen_at=at(DAY, 9), person=alice, similarity=0.31, threshold=0.3)
    second = make_log(seen_at=at(DAY, 10), person=alice, similarity=0.35, threshold=0.3)
    third = make_log(seen_at=at(DAY, 11), best_person=bob, similarity=0.10, threshold=0.3)
    _review_in_browser(browser, base_url, alice, bob, first, second, third)


def _review_in_browser(browser, base_url, alice, bob, first, second, third) -> None:
    from playwright.sync_api import expect

    page = browser.new_page()
    candidate_sample = alice.samples.get().pk
    log_in(page, base_url, "operator", "pw-operator")
    page.goto(f"{base_url}/review/")
    mark_page(page, "reviewMarker")
    assert _current(page) == str(first.pk)
    assert page.get_attribute("#review-face", "src") == f"/media/logs/{first.pk}/crop"
    assert page.get_attribute("#review-candidate-face", "src") == f"/media/samples/{candidate_sample}/crop"

    page.keyboard.press("c")  # confirm
    _wait_current(page, second.pk)
    assert _status(first) == (MatchLog.CONFIRMED, alice.pk)

    page.keyboard.press("s")  # skip: it goes to the back of the queue
    _wait_current(page, third.pk)
    assert _status(second) == (MatchLog.UNREVIEWED, None)

    page.keyboard.press("r")  # reject
    _wait_current(page, second.pk)
    assert _status(third) == (MatchLog.REJECTED, None)

    page.fill("#review-person-search", "bo")  # the type-ahead: names with their faces
    option = page.locator('#review-person-options [role=option][data-person-id="%d"]' % bob.pk)
    expect(option.locator("img")).to_have_attribute("src", f"/media/samples/{bob.samples.get().pk}/crop")
    page.keyboard.press("Enter")
    expect(page.locator("#review-person-search")).to_have_value("Bob (B2)")
    page.click("h1")  # focus off the field: keys typed in it are text
    page.keyboard.press("a")  # reassign to the chosen person
    _wait_current(page, "")
    assert _status(second) == (MatchLog.REASSIGNED, bob.pk)
    assert page.is_visible("#review-empty")

    # A new unknown face arrives while the page is open.
    _wait_live(page)
    arrived = make_log(seen_at=at(DAY, 12), best_person=bob, similarity=0.12, threshold=0.3)
    event = {
        "type": "recognition.result",
        "snapshot": {"id": arrived.snapshot_id, "camera": None},
        "faces": [{
            "log_id": arrived.pk, "face_index": 0, "box": [1, 2, 30, 40], "decision": "unknown",
            "assigned_id": "U-0000", "label": "U-0000", "person": None, "provisional": None,
            "similarity": 0.12, "margin": 0.12, "crop_url": f"/media/logs/{arrived.pk}/crop",
        }],
    }
    # Pushed the way recognition pushes (its own thread: this one runs Playwright's loop).
    with ThreadPoolExecutor(1) as pool:
        pool.submit(async_to_sync(get_channel_layer().group_send), "dashboard", event).result()
    _wait_current(page, arrived.pk)
    assert page.text_content("#review-candidate") == "Bob (B2)"

    page.keyboard.press("c")  # confirm: nobody enrolled
    _wait_current(page, "")
    assert _status(arrived) == (MatchLog.CONFIRMED, None)
    assert page_kept(page, "reviewMarker")  # all of it without a reload


@pytest.mark.django_db(transaction=True)
def test_it_ignores_single_key_shortcuts_once_they_are_switched_off(reviewer, browser_site):
    base_url, browser = browser_site
    alice = make_person("Alice", "A1")
    first = make_log(seen_at=at(DAY, 9), person=alice, similarity=0.31, threshold=0.3)
    second = make_log(seen_at=at(DAY, 10), person=alice, similarity=0.35, threshold=0.3)
    page = browser.new_page()
    log_in(page, base_url, "operator", "pw-operator")
    page.goto(f"{base_url}/review/")
    page.uncheck("#review-shortcuts")
    page.click("h1")  # focus off the checkbox: keys on a control are its own
    page.keyboard.press("c")  # ignored: had it confirmed the first face, the button below would reject the second
    page.click("#review-reject")
    _wait_current(page, second.pk)
    assert _status(first) == (MatchLog.REJECTED, None) and _status(second) == (MatchLog.UNREVIEWED, None)

    page.reload()  # the choice is kept in this browser
    assert not page.is_checked("#review-shortcuts")
    page.check("#review-shortcuts")
    page.click("h1")  # focus off the checkbox: keys on a control are its own
    page.keyboard.press("c")
    _wait_current(page, "")
    assert _status(second) == (MatchLog.CONFIRMED, alice.pk)
