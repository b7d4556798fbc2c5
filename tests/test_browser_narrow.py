"""The dashboard, the people list and the review page on a 390 px phone, in a real browser:
nothing wider than the screen but the tables, which scroll inside their card."""

import datetime as dt

import pytest

from tests.browser import ARTIFACTS, log_in
from tests.review_data import at, make_log, make_person

PAGES = {"dashboard": "/", "people": "/people/", "review": "/review/"}


@pytest.mark.django_db(transaction=True)
def test_it_fits_the_daily_pages_on_a_390_px_screen(operator_user, browser_site):
    base_url, browser = browser_site
    ada = make_person("Ada Lovelace", "AL-1")
    for number in range(12):
        make_person(f"Person with a rather long name {number:02d}", f"CODE-{number:04d}", with_sample=False)
    make_log(seen_at=at(dt.date.today(), 9), person=ada, similarity=0.4, threshold=0.35)
    page = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1).new_page()
    log_in(page, base_url, "operator", "pw-operator")
    widths = {}
    for name, path in PAGES.items():
        page.goto(base_url + path)
        page.wait_for_load_state("networkidle")
        widths[name] = page.evaluate("document.documentElement.scrollWidth")
        page.screenshot(path=str(ARTIFACTS / f"narrow_{name}.png"), full_page=True)
    assert widths == {name: 390 for name in PAGES}


@pytest.mark.django_db(transaction=True)
def test_it_folds_the_navigation_behind_a_menu_button_on_a_phone(operator_user, browser_site):
    base_url, browser = browser_site
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    log_in(page, base_url, "operator", "pw-operator")
    folded = page.is_visible("#site-nav")
    page.click(".menu-toggle")
    unfolded = page.is_visible("#site-nav a[href='/people/']")
    expanded = page.get_attribute(".menu-toggle", "aria-expanded")
    page.screenshot(path=str(ARTIFACTS / "narrow_menu_open.png"), full_page=True)
    wide = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    log_in(wide, base_url, "operator", "pw-operator")
    wide_nav, wide_toggle = wide.is_visible("#site-nav"), wide.is_visible(".menu-toggle")

    assert (folded, unfolded, expanded) == (False, True, "true")
    assert (wide_nav, wide_toggle) == (True, False)
