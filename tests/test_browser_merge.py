"""Merging two entries of one person in a real browser: the person page asks first, naming both
entries and what moves, and merges once confirmed."""

import pytest

from identity.models import Person
from tests import review_data
from tests.browser import ARTIFACTS, log_in


@pytest.mark.django_db(transaction=True)
def test_it_asks_before_merging_two_entries(admin_user, browser_site, media_root):
    kept, other = review_data.make_person("Ada Lovelace", "AL"), review_data.make_person("Ada L.", "ADA-2")
    base_url, browser = browser_site
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(page, base_url, "admin", "password")
    page.goto(f"{base_url}/people/{kept.pk}/")

    page.fill("#merge input[name=other]", "ADA-2")
    with page.expect_navigation():
        page.click("#merge button[type=submit]")
    page.screenshot(path=str(ARTIFACTS / "person_merge_confirm.png"), full_page=True)
    assert "Merge Ada L. into Ada Lovelace?" in page.text_content("#merge-confirm")
    assert Person.objects.filter(pk=other.pk).exists()

    with page.expect_navigation():
        page.click("#merge-confirm button[type=submit]")

    assert "Ada L. merged into Ada Lovelace" in page.content()
    assert not Person.objects.filter(pk=other.pk).exists()
