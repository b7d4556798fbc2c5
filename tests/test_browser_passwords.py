"""Passwords in a real browser: a viewer changes theirs from the profile page; a user an admin
created signs in with the password shown once, is kept on the change page until they choose their
own, then reaches their pages; a user who forgot theirs gets a link by e-mail (a real SMTP server on
127.0.0.1) and sets a new one. Screenshots in tests/artifacts/passwords_*.png."""

import re

import pytest

from tests.accounts_data import NEW_PASSWORD, PASSWORD, sign_in_counts_clear, user_with_password
from tests.browser import ARTIFACTS, change_password, daphne_server, launch_chromium, log_in, require_chromium
from tests.smtp_server import SmtpServer

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


@pytest.mark.django_db(transaction=True)
def test_it_emails_a_reset_link_that_sets_a_new_password(settings, tmp_path, monkeypatch):
    require_chromium()
    from playwright.sync_api import sync_playwright

    sign_in_counts_clear(settings)
    user_with_password("ada", email="ada@school.example")
    smtp = SmtpServer().start()
    mail = {"FACEAPP_EMAIL_HOST": "127.0.0.1", "FACEAPP_EMAIL_PORT": str(smtp.port),
            "FACEAPP_EMAIL_FROM": "faceapp@school.example"}
    ARTIFACTS.mkdir(exist_ok=True)
    with daphne_server(tmp_path, **mail) as (port, _), sync_playwright() as playwright:
        monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        site = f"http://127.0.0.1:{port}"
        browser = launch_chromium(playwright)
        page = browser.new_context(viewport=NARROW).new_page()
        page.goto(f"{site}/accounts/login/")
        with page.expect_navigation():
            page.click("text=Forgot your password?")
        page.fill("input[name=email]", "ada@school.example")
        _shot(page, "reset_ask_390")
        with page.expect_navigation():
            page.click("#password-reset button[type=submit]")
        _shot(page, "reset_sent_390")
        (message,) = smtp.to("ada@school.example")
        link = re.search(r"http://\S+/accounts/reset/\S+/", message.text).group(0)
        page.goto(link)
        page.fill("input[name=new_password1]", NEW_PASSWORD)
        page.fill("input[name=new_password2]", NEW_PASSWORD)
        _shot(page, "reset_choose_390")
        with page.expect_navigation():
            page.click("#password-reset-confirm button[type=submit]")
        _shot(page, "reset_complete_390")
        log_in(page, site, "ada", NEW_PASSWORD)
        signed_in = page.url
        browser.close()
    smtp.stop()

    assert link.startswith(f"{site}/accounts/reset/")
    assert signed_in == f"{site}/"
