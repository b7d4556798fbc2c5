"""One clock: an arrival reads the same on the dashboard, the attendance page and in the CSV, in
the site's zone, while the browser sits in another zone than both the site and UTC."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from attendance.models import AttendanceRecord
from tests.browser import ARTIFACTS, daphne_server, launch_chromium, log_in, require_chromium
from tests.review_data import make_person

SITE_ZONE = "Asia/Tokyo"
BROWSER_ZONE = "America/Los_Angeles"


@pytest.mark.django_db(transaction=True)
def test_it_shows_an_arrival_at_the_sites_clock_time_everywhere(operator_user, tmp_path, monkeypatch):
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    arrived = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=2)
    local = arrived.astimezone(ZoneInfo(SITE_ZONE))
    if local.date() != (local + dt.timedelta(minutes=2)).date():
        arrived -= dt.timedelta(minutes=5)  # stay on one site day across midnight
        local = arrived.astimezone(ZoneInfo(SITE_ZONE))
    ada = make_person("Ada Lovelace", "AL-1", with_sample=False)
    AttendanceRecord.objects.create(person=ada, day=local.date(), first_seen=arrived, last_seen=arrived)
    clock = local.strftime("%H:%M:%S")

    ARTIFACTS.mkdir(exist_ok=True)
    with daphne_server(tmp_path, FACEAPP_TIME_ZONE=SITE_ZONE) as (port, _), sync_playwright() as playwright:
        base_url = f"http://127.0.0.1:{port}"
        browser = launch_chromium(playwright)
        page = browser.new_context(timezone_id=BROWSER_ZONE).new_page()
        log_in(page, base_url, "operator", "pw-operator")
        row = page.locator('#present li[data-person-id="%d"] .att-time' % ada.pk)
        expect(row).to_contain_text(local.strftime("%H:%M") + "–" + local.strftime("%H:%M"))
        expect(page.locator("footer")).to_have_text(f"All times in {SITE_ZONE}")
        page.screenshot(path=str(ARTIFACTS / "clock_dashboard.png"), full_page=True)

        page.goto(f"{base_url}/attendance/{local.date().isoformat()}/")
        expect(page.locator("tr", has_text="Ada Lovelace").locator("time")).to_have_text([clock, clock])
        csv = page.request.get(f"{base_url}/attendance-export.csv?start={local.date()}&end={local.date()}").text()
        assert re.search(rf"Ada Lovelace,AL-1,{local.date()},{local.date()} {clock}\+09:00,", csv), csv
        browser.close()
