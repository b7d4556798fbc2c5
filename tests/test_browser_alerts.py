"""The dashboard's alert list in a real browser: an alert repeating the one before it (same rule,
same words) is folded into it ("×3"), as the page opens and as alerts come live."""

import threading

import pytest
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from integrations.events import event_publish
from integrations.models import Event
from tests.browser import ARTIFACTS, log_in

WAIT_MS = 15_000


def _alert(rule_id: int, message: str) -> Event:
    return event_publish(type=Event.ALERT, occurred_at=timezone.now(),
                         data={"rule": {"id": rule_id, "name": f"Rule {rule_id}", "kind": "stranger_at"},
                               "message": message})


def _in_a_thread(work) -> None:
    """Published outside Playwright's event loop (the push is async_to_sync)."""
    def run() -> None:
        try:
            work()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(WAIT_MS / 1000)


@pytest.mark.django_db(transaction=True)
def test_it_folds_repeated_alerts_on_the_dashboard(admin_user, browser_site):
    for rule_id, message in [(1, "Stranger U-0001 at Door"), (1, "Stranger U-0001 at Door"),
                             (2, "Stranger U-0002 at Hall"), (1, "Stranger U-0001 at Door")]:
        _alert(rule_id, message)
    base_url, browser = browser_site
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(page, base_url, "admin", "password")
    page.goto(f"{base_url}/")
    expect(page.locator("[data-live-status]")).to_have_attribute("data-state", "live", timeout=WAIT_MS)
    items = page.locator("#alerts > li")
    assert [text.split("\n")[0] for text in items.locator(".feed-name").all_inner_texts()] == [
        "Stranger U-0001 at Door", "Stranger U-0002 at Hall", "Stranger U-0001 at Door ×2"]

    _in_a_thread(lambda: [_alert(1, "Stranger U-0001 at Door") for _ in range(2)])  # live: folded into the newest

    expect(items.first.locator(".feed-name")).to_have_text("Stranger U-0001 at Door ×3", timeout=WAIT_MS)
    assert items.count() == 3
    page.locator("#alerts-card").screenshot(path=str(ARTIFACTS / "dashboard_alerts_folded.png"))
