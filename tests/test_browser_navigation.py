"""The navigation in a real browser: a few sections whose pages drop down (a <details> each: by
mouse or keyboard, one open at a time, Escape closes it) at 1280 px; folded behind a Menu button
at 390 px, the sections opening in place."""

import pytest

from tests.browser import ARTIFACTS, log_in

OPEN_AND_FOCUSED = "[document.querySelectorAll('#site-nav details[open]').length, document.activeElement.textContent.trim()]"
TOP_LEVEL = "[...document.querySelectorAll('#site-nav > a, #site-nav > details > summary')].map((node) => node.textContent.trim())"


def _page(browser, base_url: str, width: int, username: str, password: str):
    page = browser.new_context(viewport={"width": width, "height": 800 if width > 500 else 844}).new_page()
    log_in(page, base_url, username, password)
    return page


@pytest.mark.django_db(transaction=True)
def test_it_shows_a_few_sections_at_1280_px_by_role(admin_user, operator_user, viewer_user, browser_site):
    base_url, browser = browser_site
    seen = {}
    for username, password in (("admin", "password"), ("operator", "pw-operator"), ("viewer", "pw-viewer")):
        page = _page(browser, base_url, 1280, username, password)
        seen[username] = page.evaluate(TOP_LEVEL)
        page.screenshot(path=str(ARTIFACTS / f"nav_1280_{username}.png"))

    assert seen == {
        "admin": ["Live", "People", "Review", "Attendance", "Settings", "admin"],
        "operator": ["Live", "People", "Review", "Attendance", "operator"],
        "viewer": ["Dashboard", "viewer"],
    }


@pytest.mark.django_db(transaction=True)
def test_it_opens_one_section_at_a_time_and_closes_it_on_a_click_elsewhere(admin_user, browser_site):
    base_url, browser = browser_site
    page = _page(browser, base_url, 1280, "admin", "password")
    page.click("#site-nav summary:text-is('Live')")
    live_open = page.is_visible("#site-nav a:text-is('Cameras')")
    page.click("#site-nav summary:text-is('Settings')")
    page.screenshot(path=str(ARTIFACTS / "nav_1280_settings_open.png"))
    after_settings = (page.is_visible("#site-nav a:text-is('Cameras')"), page.is_visible("#site-nav a:text-is('Users')"))
    menu = page.locator("#site-nav details[open] .nav-items").bounding_box()
    page.click("main h1")
    closed = page.evaluate("document.querySelectorAll('#site-nav details[open]').length")

    assert live_open and after_settings == (False, True)
    assert menu["x"] >= 0 and menu["x"] + menu["width"] <= 1280
    assert closed == 0


@pytest.mark.django_db(transaction=True)
def test_it_opens_a_section_by_keyboard_and_closes_it_with_escape(operator_user, browser_site):
    base_url, browser = browser_site
    page = _page(browser, base_url, 1280, "operator", "pw-operator")
    page.focus("#site-nav summary:text-is('People')")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    page.keyboard.press("Escape")
    after_escape = page.evaluate(OPEN_AND_FOCUSED)
    page.keyboard.press("Enter")
    for _ in range(5):  # its four pages, then on to the next section
        page.keyboard.press("Tab")
    after_tabbing_out = page.evaluate(OPEN_AND_FOCUSED)

    assert focused == "People"  # the first page of the section
    assert after_escape == [0, "People"]  # closed, the focus back on the section's name
    assert after_tabbing_out == [0, "Review"]


@pytest.mark.django_db(transaction=True)
def test_it_folds_the_navigation_behind_a_menu_button_on_a_phone(operator_user, browser_site):
    base_url, browser = browser_site
    page = _page(browser, base_url, 390, "operator", "pw-operator")
    folded = page.is_visible("#site-nav")
    page.click(".menu-toggle")
    page.click("#site-nav summary:text-is('People')")
    unfolded = page.is_visible("#site-nav a[href='/people/']")
    expanded = page.get_attribute(".menu-toggle", "aria-expanded")
    width = page.evaluate("document.documentElement.scrollWidth")
    page.screenshot(path=str(ARTIFACTS / "nav_390_menu_open.png"), full_page=True)
    wide = _page(browser, base_url, 1280, "operator", "pw-operator")
    wide_nav, wide_toggle = wide.is_visible("#site-nav"), wide.is_visible(".menu-toggle")

    assert (folded, unfolded, expanded, width) == (False, True, "true", 390)
    assert (wide_nav, wide_toggle) == (True, False)


@pytest.mark.django_db(transaction=True)
def test_it_opens_every_section_in_place_on_a_phone(admin_user, browser_site):
    base_url, browser = browser_site
    page = _page(browser, base_url, 390, "admin", "password")
    page.click(".menu-toggle")
    page.screenshot(path=str(ARTIFACTS / "nav_390_sections.png"), full_page=True)
    widths = {}
    for section in ("Live", "People", "Review", "Attendance", "Settings", "admin"):
        page.click(f"#site-nav summary:text-is('{section}')")
        widths[section] = page.evaluate("document.documentElement.scrollWidth")
        page.screenshot(path=str(ARTIFACTS / f"nav_390_{section.lower()}_open.png"), full_page=True)

    assert widths == dict.fromkeys(widths, 390)


@pytest.mark.django_db(transaction=True)
def test_it_opens_the_sections_without_script(operator_user, browser_site):
    base_url, browser = browser_site
    page = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False).new_page()
    log_in(page, base_url, "operator", "pw-operator")
    page.click("#site-nav summary:text-is('Review')")
    shown = page.is_visible("#site-nav a:text-is('Review queue')")
    width = page.evaluate("document.documentElement.scrollWidth")
    page.screenshot(path=str(ARTIFACTS / "nav_390_without_script.png"), full_page=True)

    assert (shown, width) == (True, 390)
