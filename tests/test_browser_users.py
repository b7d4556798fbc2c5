"""Users in the app, in a real browser: an admin adds an operator and a viewer (no Django admin),
each signs in with the password shown once, chooses their own (a forced change) and sees only what
their role may."""

import pytest

from tests.accounts_data import NEW_PASSWORD
from tests.browser import ARTIFACTS, change_password, log_in


def _add_user(page, base_url: str, username: str, role: str) -> str:
    page.goto(f"{base_url}/users/")
    page.fill("input[name=username]", username)
    page.select_option("select[name=role]", role)
    with page.expect_navigation():
        page.click("#user-create button[type=submit]")
    page.screenshot(path=str(ARTIFACTS / f"users_added_{role}.png"), full_page=True)
    return page.text_content("[data-secret]").strip()


def _nav(page) -> list[str]:
    return [text.strip() for text in page.locator("header nav a").all_text_contents()]


@pytest.mark.django_db(transaction=True)
def test_it_lets_an_admin_add_an_operator_and_a_viewer_who_see_only_their_pages(admin_user, browser_site):
    base_url, browser = browser_site
    admin = browser.new_context().new_page()
    log_in(admin, base_url, "admin", "password")
    passwords = {"olive": _add_user(admin, base_url, "olive", "operator"),
                 "victor": _add_user(admin, base_url, "victor", "viewer")}
    admin.goto(f"{base_url}/users/")
    roles = dict(zip(admin.locator("#users tbody tr td:first-child a").all_text_contents(),
                     admin.locator("#users tbody tr td:nth-child(2)").all_text_contents()))
    admin.screenshot(path=str(ARTIFACTS / "users_list.png"), full_page=True)
    admin.goto(f"{base_url}/audit/?action=user.created")
    created = admin.locator("#audit-entries tbody tr").count()
    admin.screenshot(path=str(ARTIFACTS / "users_audit_log.png"), full_page=True)

    seen = {}
    for username in ("olive", "victor"):
        page = browser.new_context().new_page()
        log_in(page, base_url, username, passwords[username])
        change_password(page, base_url, passwords[username], NEW_PASSWORD)
        people = page.goto(f"{base_url}/people/")
        page.screenshot(path=str(ARTIFACTS / f"users_{username}_people.png"), full_page=True)
        seen[username] = {"nav": _nav(page), "people": people.status,
                          "users": page.goto(f"{base_url}/users/").status, "text": page.text_content("main")}

    assert roles == {"admin": "admin", "olive": "operator", "victor": "viewer"}
    assert created == 2
    assert (seen["olive"]["people"], seen["olive"]["users"]) == (200, 403)
    assert "People" in seen["olive"]["nav"] and "Users" not in seen["olive"]["nav"]
    assert (seen["victor"]["people"], seen["victor"]["users"]) == (403, 403)
    assert "People" not in seen["victor"]["nav"] and "Dashboard" in seen["victor"]["nav"]
    assert "admin role" in seen["victor"]["text"]  # the last page it was refused says which role it needs
