"""Duplicates in a real browser: a second enrolment of an enrolled face is held on the person's
page with both faces and the choice "add this photo to that person" / "different people", which
adds it to them; the duplicates list, and a merge behind its confirmation. Screenshots in
tests/artifacts."""

import pytest

from identity.models import FaceSample, Person
from tests.browser import ARTIFACTS, log_in
from tests.duplicates_data import enrol
from tests.faces_data import FIXTURES
from tests.waiting import wait_until


@pytest.mark.django_db(transaction=True)
def test_it_offers_the_choice_for_a_face_already_enrolled(operator_user, aaron, celery_worker, browser_site):
    from playwright.sync_api import expect  # the fixture has skipped the test where Chromium is not

    base_url, browser = browser_site
    page = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
    log_in(page, base_url, "operator", "pw-operator")
    page.goto(f"{base_url}/people/new/")
    page.fill("input[name=name]", "Aaron P.")
    page.fill("input[name=code]", "AP-2")
    page.set_input_files("input[name=photos]", str(FIXTURES / "lfw_person_a_2.jpg"))
    page.check("input[name=consent]")
    with page.expect_navigation():
        page.get_by_role("button", name="Enrol", exact=True).click()

    held = page.locator(".sample.held")
    expect(held).to_be_visible(timeout=120_000)
    expect(page.locator("#held-photos")).to_be_visible()
    expect(held.locator(".reason")).to_contain_text("already enrolled as Aaron Peirsol (AP)")
    expect(held.locator(".held-as img")).to_be_visible()
    # Polled with evaluate: wait_for_function's string predicate is an eval the page's CSP refuses.
    wait_until(lambda: page.evaluate(
        "[...document.querySelectorAll('.sample.held img')].every(i => i.complete && i.naturalWidth > 0)"),
        "the held photo's two faces to load", deadline=30)
    page.screenshot(path=str(ARTIFACTS / "duplicate_held_choice.png"), full_page=True)

    with page.expect_navigation():
        held.get_by_role("button", name="Add this photo to Aaron Peirsol (AP)").click()

    assert page.url == f"{base_url}/people/{aaron.pk}/"
    expect(page.locator("#count-accepted")).to_have_text("2")
    expect(page.locator("#samples")).not_to_contain_text("null")
    page.screenshot(path=str(ARTIFACTS / "duplicate_added_to_person.png"), full_page=True)
    assert list(Person.objects.values_list("name", flat=True)) == ["Aaron Peirsol"]


@pytest.mark.django_db(transaction=True)
def test_it_lists_duplicates_and_merges_a_pair_after_confirming(operator_user, aaron, browser_site,
                                                                django_capture_on_commit_callbacks):
    from playwright.sync_api import expect

    twice, (sample,) = enrol(django_capture_on_commit_callbacks, "A. Peirsol", "lfw_person_a_2.jpg")
    FaceSample.objects.filter(pk=sample.pk).update(status=FaceSample.ACCEPTED, held_as=None)  # from before the check
    base_url, browser = browser_site
    page = browser.new_context(viewport={"width": 1100, "height": 700}).new_page()
    log_in(page, base_url, "operator", "pw-operator")
    page.goto(f"{base_url}/people/")
    with page.expect_navigation():
        page.get_by_role("link", name="Duplicates").click()

    pair = page.locator(".duplicate-pair")
    expect(pair).to_have_count(1)
    expect(pair).to_contain_text("Aaron Peirsol")
    expect(pair).to_contain_text("A. Peirsol")
    page.screenshot(path=str(ARTIFACTS / "duplicates_list.png"), full_page=True)

    pair.locator("summary").click()
    confirm = pair.get_by_role("button", name=f"Yes, merge {twice.display_id} into AP")
    expect(confirm).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "duplicates_merge_confirm.png"), full_page=True)
    with page.expect_navigation():
        confirm.click()

    expect(page.locator("#no-duplicates")).to_be_visible()
    expect(page.locator("body")).to_contain_text(f"A. Peirsol ({twice.display_id}) merged into Aaron Peirsol (AP)")
    page.screenshot(path=str(ARTIFACTS / "duplicates_merged.png"), full_page=True)
    assert list(Person.objects.values_list("name", flat=True)) == ["Aaron Peirsol"]
    assert aaron.samples.count() == 2
