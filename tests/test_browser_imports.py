"""Bulk enrolment in a real browser: a ZIP uploaded on the import page, its progress bar filled
live as the workers go through it, then its report."""

import pytest

from tests.browser import ARTIFACTS, log_in
from tests.test_imports import _zip


@pytest.mark.django_db(transaction=True)
def test_it_fills_the_progress_bar_and_shows_the_report(operator_user, aaron, celery_worker, tmp_path, browser_site):
    from playwright.sync_api import expect  # the fixture has skipped the test where Chromium is not

    archive = _zip(tmp_path)
    base_url, browser = browser_site
    page = browser.new_context().new_page()
    log_in(page, base_url, "operator", "pw-operator")
    page.goto(f"{base_url}/people/import/")
    page.set_input_files("input[name=archive]", str(archive))
    page.check("input[name=consent]")
    with page.expect_navigation():
        page.click("#import-form button[type=submit]")
    expect(page.locator("#import-state")).to_have_text("Done", timeout=120_000)
    # "Done" reloads the page for the whole report: read the reloaded one (it has no Cancel)
    expect(page.locator("#import-cancel")).to_have_count(0, timeout=60_000)
    page.wait_for_load_state("networkidle")
    bar = page.evaluate("[document.getElementById('import-bar').value, document.getElementById('import-bar').max]")
    report = page.locator("#import-report tbody tr").all_text_contents()
    page.screenshot(path=str(ARTIFACTS / "import_done.png"), full_page=True)

    assert bar == [8, 8]
    assert len(report) == 6 and any("already enrolled as Aaron Peirsol" in row for row in report)
