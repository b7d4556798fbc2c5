"""Passwords in a real browser: a viewer changes theirs from the profile page; a user an admin
created signs in with the password shown once, is kept on the change page until they choose their
own, then reaches their pages. Screenshots in tests/artifacts/passwords_*.png."""

import pytest

from tests.accounts_data import NEW_PASSWORD, PASSWORD, user_with_password
from tests.browser import ARTIFACTS, change_password, log_in

NARROW = {"width": 390, "height": 844}


def _shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"passwords_{name}.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_it_lets_a_user_change_their_password_from_the_profile(browser_site):
    base_url, browser = browser_site
    user_with_password("victor")
    page = browser.new_context().new_page()
    log_in(page, base_url, "victor", PASSWORD)

    page.goto(f"{base_url}/profile/")
    with page.expect_navigation():
        page.click("#password a")
    page.fill("input[name=old_password]", PASSWORD)
    page.fill("input[name=new_password1]", NEW_PASSWORD)
    page.fill("input[name=new_password2]", NEW_PASSWORD)
    _shot(page, "change_form")
    with page.expect_navigation():
        page.click("#password-change button[type=submit]")
    _shot(page, "change_done")
    heading = page.text_content("main h1")
    later = browser.new_context().new_page()
    log_in(later, base_url, "victor", NEW_PASSWORD)

    assert heading == "Password changed"
    assert later.url == f"{base_url}/"  # the dashboard, with the new password


@pytest.mark.django_db(transaction=True)
def test_it_keeps_a_user_an_admin_created_on_the_change_page_until_they_choose_their_own(admin_user, browser_site):
    base_url, browser = browser_site
    admin = browser.new_context().new_page()
    log_in(admin, base_url, "admin", "password")
    admin.goto(f"{base_url}/users/")
    admin.fill("input[name=username]", "olive")
    admin.select_option("select[name=role]", "operator")
    with admin.expect_navigation():
        admin.click("#user-create button[type=submit]")
    shown = admin.text_content("[data-secret]").strip()
    _shot(admin, "forced_admin_created")

    page = browser.new_context(viewport=NARROW).new_page()
    log_in(page, base_url, "olive", shown)
    landed = page.url
    _shot(page, "forced_change_390")
    page.goto(f"{base_url}/people/")
    kept = page.url
    change_password(page, base_url, shown, NEW_PASSWORD)
    _shot(page, "forced_change_done_390")
    people = page.goto(f"{base_url}/people/")

    assert landed == kept == f"{base_url}/accounts/password_change/"
    assert people.status == 200 and page.url == f"{base_url}/people/"
