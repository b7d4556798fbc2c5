"""The smaller items of issue 13 that need no migration: days and ids out of range are 404/400,
not 500; every page carries a Content-Security-Policy (under which the real pages work in a real
browser), a Permissions-Policy allowing the camera to this site only, and no-store; sizes in
messages are binary units, as the settings count them."""

import contextlib

import pytest
from django.utils import timezone

from faceapp.middleware import PERMISSIONS_POLICY
from faceapp.sizes import size_text
from imports.models import BulkImport
from tests import review_data
from tests.api import api_client
from tests.browser import ARTIFACTS, RECORD_VIOLATIONS, launch_chromium, live_server, log_in, require_chromium

# ---------- out-of-range input ----------


@pytest.mark.django_db
@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "9999-12-30", "0001-01-02"])
def test_it_answers_404_for_attendance_days_at_the_ends_of_the_calendar(client, operator_user, day):
    client.force_login(operator_user)
    assert client.get(f"/attendance/{day}/").status_code == 404


@pytest.mark.django_db
def test_it_renders_attendance_days_inside_the_range(client, operator_user):
    client.force_login(operator_user)
    assert client.get("/attendance/9999-12-29/").status_code == 200
    assert client.get("/attendance/0001-01-03/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["start=9999-12-31&end=9999-12-31", "start=0001-01-01&end=0001-01-02"])
def test_it_answers_400_for_an_export_at_the_ends_of_the_calendar(client, operator_user, query):
    client.force_login(operator_user)
    assert client.get(f"/attendance-export.csv?{query}").status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["camera", "person"])
@pytest.mark.parametrize("value", ["99999999999999999999", "-99999999999999999999", "9223372036854775808", "0"])
def test_it_answers_400_for_log_filters_with_ids_no_row_can_have(operator_user, name, value):
    response = api_client(operator_user).get(f"/api/logs/?{name}={value}")
    assert response.status_code == 400
    assert name in response.json()


@pytest.mark.django_db
def test_it_answers_log_filters_with_the_largest_row_id(operator_user):
    response = api_client(operator_user).get("/api/logs/?camera=9223372036854775807&person=9223372036854775807")
    assert response.status_code == 200
    assert response.json()["results"] == []


# ---------- security headers ----------


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/attendance/", "/people/", "/api/logs/", "/accounts/login/"])
def test_it_sends_the_security_headers_with_every_page(client, admin_user, path):
    client.force_login(admin_user)
    response = client.get(path)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "script-src 'self';" in policy and "'unsafe-inline'" not in policy.split("style-src")[0]
    assert "connect-src 'self' ws://testserver" in policy
    assert response["Permissions-Policy"] == PERMISSIONS_POLICY
    assert "camera=(self)" in response["Permissions-Policy"] and "microphone=()" in response["Permissions-Policy"]
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_it_marks_media_and_admin_pages_no_store(client, admin_user):
    client.force_login(admin_user)
    person = review_data.make_person("Ada")
    for path in [f"/media/samples/{person.samples.get().pk}/crop", f"/admin/identity/person/{person.pk}/change/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"], path
        assert "Content-Security-Policy" in response, path


@pytest.mark.django_db
def test_it_keeps_static_files_cacheable(client):
    response = client.get("/static/faceapp/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_it_lets_a_secure_page_connect_back_over_wss(rf, settings):
    from faceapp.middleware import content_security_policy

    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    request = rf.get("/", HTTP_X_FORWARDED_PROTO="https", HTTP_HOST="localhost:8443")
    assert "connect-src 'self' wss://localhost:8443;" in content_security_policy(request)


PAGES = [
    "/", "/people/", "/people/new/", "/people/{person}/", "/people/{person}/edit/", "/people/{person}/photos/",
    "/recognize/", "/snapshots/{snapshot}/", "/cameras/", "/cameras/{camera}/", "/cameras/{camera}/edit/",
    "/compare/", "/review/", "/attendance/", "/calibration/", "/admin/", "/admin/identity/matchlog/",
    "/admin/identity/person/{person}/change/", "/api/logs/", "/review/history/", "/strangers/", "/users/",
    "/users/{user}/", "/audit/", "/profile/", "/people/import/", "/people/import/{import}/",
    "/search/",
]  # fmt: skip


@pytest.fixture
def async_unsafe_allowed(monkeypatch):
    # Playwright's sync API keeps an event loop in this thread; the ORM calls here are still sequential.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.mark.django_db(transaction=True)
def test_it_runs_every_page_under_the_policy_in_a_real_browser(django_user_model, tmp_path, async_unsafe_allowed):
    require_chromium()
    from playwright.sync_api import sync_playwright

    root = django_user_model.objects.create_superuser(username="root", password="pw-root-1234")
    camera = review_data.make_camera("Front door")
    person = review_data.make_person("Ada", code="A1")
    log = review_data.make_log(seen_at=timezone.now(), person=person, camera=camera)
    review_data.make_log(seen_at=timezone.now(), provisional=review_data.make_provisional("U-0001"), camera=camera)
    bulk = BulkImport.objects.create(source="staff.zip", report=[{"kind": "csv", "detail": "line 2: no name"}])
    ids = {"person": person.pk, "snapshot": log.snapshot_id, "camera": camera.pk, "user": root.pk, "import": bulk.pk}
    ARTIFACTS.mkdir(exist_ok=True)
    with contextlib.ExitStack() as stack:
        base_url = stack.enter_context(live_server(tmp_path))
        browser = launch_chromium(stack.enter_context(sync_playwright()),
                                  ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"])  # fmt: skip
        stack.callback(browser.close)
        context = browser.new_context()
        context.add_init_script(RECORD_VIOLATIONS)
        page = context.new_page()
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        log_in(page, base_url, "root", "pw-root-1234")
        blocked = {}
        for template in PAGES:
            path = template.format(**ids)
            response = page.goto(base_url + path)
            assert response.status == 200, path
            assert "Content-Security-Policy" in {name.title(): value for name, value in response.headers.items()}
            if violations := page.evaluate("window.cspViolations"):
                blocked[path] = violations
        # A form still submits under the policy (calibration's camera choice).
        page.goto(f"{base_url}/calibration/")
        page.select_option("select[name=camera]", str(camera.pk))
        with page.expect_navigation():
            page.click("form[method=get] button[type=submit]")
        assert f"camera={camera.pk}" in page.url
        if violations := page.evaluate("window.cspViolations"):
            blocked["calibration, camera chosen"] = violations
    assert blocked == {}, blocked
    assert not [line for line in console if "Content Security Policy" in line], console


def test_it_writes_sizes_in_binary_units_rounded_up():
    assert size_text(20 * 2**20) == "20 MiB"  # FACEAPP_MAX_UPLOAD_MB=20, not "21 MB"
    assert size_text(20 * 2**20 + 1) == "20.1 MiB"  # just over a limit never reads as the limit
    assert size_text(512 * 1024) == "512 KiB" and size_text(900) == "900 bytes"


@pytest.mark.django_db
def test_it_names_sizes_in_mib_as_the_upload_setting_counts_them(settings):
    from identity.services.uploads import ImageTooLarge, image_read

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024  # FACEAPP_MAX_UPLOAD_MB=20
    with pytest.raises(ImageTooLarge) as refused:
        image_read(("big.jpg", b"\xff\xd8\xff" + b"\0" * 21_000_000))
    assert str(refused.value) == "file is too large (20.1 MiB), the limit is 20 MiB"  # was "(21.0 MB) ... 21 MB"
