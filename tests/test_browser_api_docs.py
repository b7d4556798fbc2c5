"""The API reference (/api/docs/, Swagger UI from drf-spectacular-sidecar) in a real browser, under
the site's Content-Security-Policy: reached from the "API" link of an operator's account menu, it lists the
operations from the schema, with nothing blocked (no CDN, no inline script)."""

import pytest

from tests.browser import ARTIFACTS, RECORD_VIOLATIONS, log_in


@pytest.mark.django_db(transaction=True)
def test_it_renders_the_api_reference_under_the_policy(operator_user, browser_site):
    base_url, browser = browser_site
    console: list[str] = []
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    page.on("console", lambda message: console.append(message.text))
    log_in(page, base_url, "operator", "pw-operator")
    page.click("header nav summary:text-is('operator')")
    with page.expect_navigation():
        page.click("header nav a:text-is('API')")
    page.locator(".opblock-summary-path", has_text="/api/people/").first.wait_for(timeout=30_000)
    page.wait_for_load_state("networkidle")
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    title = page.locator(".info .title").inner_text()
    violations = page.evaluate("window.cspViolations")
    page.screenshot(path=str(ARTIFACTS / "api_docs.png"), full_page=True)
    url = page.url

    assert url == f"{base_url}/api/docs/"
    assert "faceapp API" in title
    assert {"/api/people/", "/api/people/{id}/", "/api/logs/{log_id}/review/"} <= {p.strip() for p in paths}
    assert violations == []
    assert not [line for line in console if "Content Security Policy" in line], console
