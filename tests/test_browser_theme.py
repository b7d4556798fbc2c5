"""The pages follow the system's colour scheme (dark mode) and carry a favicon, in a real browser."""

import pytest

from tests.browser import ARTIFACTS, log_in


def _background(page) -> str:
    return page.locator("body").evaluate("body => getComputedStyle(body).backgroundColor")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("scheme, background", [("light", "rgb(245, 246, 248)"), ("dark", "rgb(18, 22, 27)")])
def test_it_follows_the_systems_colour_scheme(scheme, background, operator_user, browser_site):
    base_url, browser = browser_site
    page = browser.new_context(color_scheme=scheme, viewport={"width": 1100, "height": 700}).new_page()
    log_in(page, base_url, "operator", "pw-operator")
    assert _background(page) == background
    assert page.locator("link[rel=icon]").get_attribute("href").endswith("favicon.svg")
    assert page.request.get(base_url + page.locator("link[rel=icon]").get_attribute("href")).ok
    page.goto(f"{base_url}/review/")
    page.screenshot(path=str(ARTIFACTS / f"review_{scheme}.png"), full_page=True)
