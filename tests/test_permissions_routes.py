"""Every URL and websocket route, walked from the resolver: anonymous visitors and users below
a route's role are refused, for GET and POST. A route missing from EXPECTED fails the test, so
a new page cannot ship without someone deciding who may see it.

Refused means: a redirect to a login page (pages, admin), 401 (API without credentials) or
403 (signed in without the role); websockets are closed with 4403.
"""

import datetime as dt
import re
import time

import pytest
from channels.testing import WebsocketCommunicator
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from attendance.models import (
    AttendanceCode, AttendanceEvent, AttendanceRecord, Closure, Contact, PlannedAbsence, RollCall, RollCallFace,
    Schedule,
)
from attendance.models import Group as AttendanceGroup
from faceapp.asgi import application
from faceapp.clock import site_date
from identity.models import Camera, Person
from identity.roles import ADMIN, OPERATOR, VIEWER
from faceapp.asgi import websocket_urlpatterns
from identity.services import live_pictures
from identity.services.accounts import api_token_create
from imports.models import BulkImport
from integrations.models import AlertRule, Destination
from integrations.signing import crop_token
from tests import live_data, review_data
from tests.api import token_key
from tests.event_loops import run_scenario

PUBLIC = "public"  # anyone: health, the login and password reset pages, the kiosk (static files: before routing)
SIGN_OUT = "sign-out"  # ends a session: gives an anonymous visitor nothing but a redirect
SIGNED = "signed-url"  # no session: a valid signed URL is the permission; forged or expired ones are refused (403)
BEARER = "bearer-token"  # no session, no role: a configured token in the Authorization header (401 without it)

ADMIN_MODELS = [
    "auth_group", "auth_user", "identity_matchlog", "identity_person",
    "identity_facesample", "identity_camera", "identity_snapshot", "identity_provisionalidentity",
    "attendance_attendancerecord", "identity_apitoken",
]
ADMIN_MODEL_ACTIONS = ["changelist", "add", "history", "delete", "change"]

# Route name (or, for an unnamed route, its full pattern) -> the lowest role let in.
EXPECTED: dict[str, str] = {
    "healthz": PUBLIC,
    "metrics": BEARER,  # Prometheus, with FACEAPP_METRICS_TOKEN (tests/test_metrics.py: off when unset)
    "login": PUBLIC,
    "admin:login": PUBLIC,
    "kiosk": PUBLIC,  # a tablet's page with no data of its own: its camera token opens the camera's socket
    # a forgotten password: asked for by someone not signed in; the e-mailed link (its token) is the permission
    "password-reset": PUBLIC,
    "password-reset-sent": PUBLIC,
    "password-reset-confirm": PUBLIC,
    "password-reset-complete": PUBLIC,
    "logout": SIGN_OUT,
    "admin:logout": SIGN_OUT,
    # pages
    "dashboard": VIEWER,
    "snapshot-detail": VIEWER,
    "media-sample-photo": OPERATOR,  # enrolment photos: not for viewers
    "media-sample-crop": OPERATOR,
    "media-log-crop": VIEWER,
    "media-snapshot": VIEWER,
    "media-camera-picture": VIEWER,  # a live picture: also refused to a viewer who may see no face (below)
    "person-list": OPERATOR,
    "person-create": OPERATOR,
    "person-detail": OPERATOR,
    "person-edit": OPERATOR,
    "person-add-photos": OPERATOR,
    "person-delete": OPERATOR,
    "sample-delete": OPERATOR,
    "person-merge": OPERATOR,
    "sample-move": OPERATOR,
    "sample-distinct": OPERATOR,
    "duplicate-list": OPERATOR,
    "duplicate-merge": OPERATOR,
    "duplicate-distinct": OPERATOR,
    "import-list": OPERATOR,
    "import-detail": OPERATOR,
    "import-status": OPERATOR,
    "import-report": OPERATOR,
    "import-cancel": OPERATOR,
    "upload": OPERATOR,
    "snapshot-retry": OPERATOR,
    "camera-list": OPERATOR,
    "camera-view": OPERATOR,
    "camera-edit": OPERATOR,
    "camera-test": OPERATOR,
    "compare": OPERATOR,
    "face-search": OPERATOR,
    "review-queue": OPERATOR,
    "review-decide": OPERATOR,
    "review-item": OPERATOR,
    "review-history": OPERATOR,
    "review-bulk": OPERATOR,
    "review-undo": OPERATOR,
    "stranger-list": OPERATOR,
    "stranger-name": OPERATOR,
    "stranger-merge": OPERATOR,
    "person-search": OPERATOR,
    "camera-token-rotate": ADMIN,
    "camera-token-show": ADMIN,
    "camera-delete": ADMIN,
    "attendance-today": OPERATOR,
    "attendance-day": OPERATOR,
    "attendance-export": OPERATOR,
    # the register's setup: a viewer reads the groups they are responsible for (others answer them 404)
    "group-list": VIEWER,
    "group-detail": VIEWER,
    "group-members": OPERATOR,
    "group-responsible": ADMIN,
    "group-delete": OPERATOR,
    "schedule-create": OPERATOR,
    "schedule-edit": OPERATOR,
    "schedule-delete": OPERATOR,
    "closure-list": OPERATOR,
    "closure-delete": OPERATOR,
    "code-list": OPERATOR,
    "code-edit": OPERATOR,
    "code-delete": OPERATOR,
    "absence-list": OPERATOR,
    "absence-delete": OPERATOR,
    "camera-role": OPERATOR,
    # the register's pages: a viewer reads and corrects the groups they are responsible for (404 for the others)
    "register-today": VIEWER,
    "register-day": VIEWER,
    "register-mark": VIEWER,
    "register-mark-remove": VIEWER,
    "register-month": VIEWER,
    "register-month-csv": VIEWER,
    "register-month-xlsx": VIEWER,
    "register-person-month": VIEWER,
    "register-summary": VIEWER,
    "register-in-now": VIEWER,
    "register-summary-csv": VIEWER,
    "register-summary-xlsx": VIEWER,
    "roll-call-new": VIEWER,  # roll call: those who may correct the group's days (others 404/403)
    "roll-call-new-people": OPERATOR,  # a roll call for a list of people (no group)
    "roll-call-detail": VIEWER,
    "roll-call-photo": VIEWER,
    "roll-call-face": VIEWER,
    "roll-call-mark": VIEWER,
    "person-contact-add": OPERATOR,
    "person-contact-delete": OPERATOR,
    "calibration": ADMIN,
    # the app's users, their tokens, the audit log (admins); everyone's own profile
    "user-list": ADMIN,
    "user-detail": ADMIN,
    "user-role": ADMIN,
    "user-active": ADMIN,
    "user-password": ADMIN,
    "user-token-create": ADMIN,
    "user-token-revoke": ADMIN,
    "audit-log": ADMIN,
    "profile": VIEWER,
    "password-change": VIEWER,  # one's own password
    "password-change-done": VIEWER,
    # integrations: webhooks and alert rules (admins); the crop links that webhook receivers fetch
    "webhook-list": ADMIN,
    "webhook-detail": ADMIN,
    "webhook-edit": ADMIN,
    "webhook-test": ADMIN,
    "webhook-resume": ADMIN,
    "webhook-secret": ADMIN,
    "webhook-delete": ADMIN,
    "alert-list": ADMIN,
    "alert-edit": ADMIN,
    "alert-delete": ADMIN,
    "integrations-crop": SIGNED,
    # API
    "api-schema": VIEWER,
    "api-docs": VIEWER,  # the API's reference (Swagger UI), as the schema
    "api-person-list": OPERATOR,
    "api-person-detail": OPERATOR,
    "api-person-photos": OPERATOR,
    "api-person-photo": OPERATOR,
    "api-recognize": OPERATOR,
    "api-snapshot-detail": OPERATOR,
    "api-log-list": OPERATOR,
    "api-log-review": OPERATOR,
    "api-attendance": OPERATOR,
    "api-import-list": OPERATOR,
    "api-import-detail": OPERATOR,
    "api-group-list": VIEWER,
    "api-group-detail": VIEWER,
    "api-group-members": OPERATOR,
    "api-group-responsible": ADMIN,
    "api-group-schedules": VIEWER,
    "api-closure-list": VIEWER,
    "api-closure-detail": OPERATOR,
    "api-code-list": VIEWER,
    "api-code-detail": OPERATOR,
    "api-absence-list": OPERATOR,
    "api-absence-detail": OPERATOR,
    "api-group-register": VIEWER,
    "api-group-month": VIEWER,
    "api-roll-calls": VIEWER,
    "api-people-roll-calls": OPERATOR,
    "api-roll-call": VIEWER,
    "api-roll-call-face": VIEWER,
    "api-roll-call-mark": VIEWER,
    "api-group-marks": VIEWER,
    "api-group-mark": VIEWER,
    "api-register-summary": VIEWER,
    # Django admin
    "admin:index": ADMIN,
    "admin:password_change": ADMIN,
    "admin:password_change_done": ADMIN,
    "admin:autocomplete": ADMIN,
    "admin:jsi18n": ADMIN,
    "admin:view_on_site": ADMIN,
    "admin:app_list": ADMIN,
    "admin:auth_user_password_change": ADMIN,
    "admin/(?P<url>.*)$": ADMIN,  # the admin's catch-all
    **{f"admin:{model}_{action}": ADMIN for model in ADMIN_MODELS for action in ADMIN_MODEL_ACTIONS},
    **{f"admin/{model.replace('_', '/', 1)}/<path:object_id>/": ADMIN for model in ADMIN_MODELS},
}

WS_EXPECTED: dict[str, str] = {
    "ws/dashboard/": VIEWER,
    "ws/people/<int:person_id>/enrolment/": OPERATOR,
    "ws/cameras/<int:camera_id>/": OPERATOR,  # or that camera's token: see the camera tests
    "ws/imports/<int:import_id>/": OPERATOR,
    "ws/groups/<int:group_id>/register/": VIEWER,  # one responsible for the group: see test_attendance_register_live
}

BELOW = {
    VIEWER: ["anonymous", "no-role"],
    OPERATOR: ["anonymous", "no-role", VIEWER],
    ADMIN: ["anonymous", "no-role", VIEWER, OPERATOR],
}
FORBIDDEN_CLOSE = 4403
TIMEOUT = 30  # a deadline for slow machines, not a timing assertion


def _walk(patterns, prefix: str = "", namespace: str = ""):
    """(key, full pattern, URLPattern) for every route, admin and API included."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        else:
            full = prefix + str(pattern.pattern)
            yield (namespace + pattern.name if pattern.name else full), full, pattern


ROUTES = {key: (full, pattern) for key, full, pattern in _walk(get_resolver().url_patterns)}


def _model_of(key: str, full: str):
    """The model an admin route is about, from its name or its path."""
    match = re.match(r"admin:(\w+?)_(\w+?)_(changelist|add|history|delete|change|password_change)$", key)
    if match:
        return apps.get_model(match.group(1), match.group(2))
    match = re.match(r"admin/(\w+)/(\w+)/<path:object_id>/$", key)  # unnamed: keyed by pattern
    return apps.get_model(match.group(1), match.group(2)) if match else None


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def objects(db, media_root, admin_user) -> dict:
    return route_objects(admin_user)


def route_objects(admin_user) -> dict:
    """One real row of each kind a route can name (the browser tests' pages name them too)."""
    camera = review_data.make_camera("Front door")
    person = review_data.make_person("Ada", code="A1")
    log = review_data.make_log(seen_at=timezone.now(), person=person, camera=camera)
    provisional = review_data.make_provisional("U-0001")
    AttendanceRecord.objects.create(person=person, day=site_date(), first_seen=timezone.now(),
                                    last_seen=timezone.now(), camera=camera)
    token, _ = api_token_create(user=admin_user, name="admin's")
    destination = Destination.objects.create(name="Register", url="https://register.example.org/hook",
                                             event_types=["visit.named"])
    rule = AlertRule.objects.create(name="Ada seen", kind=AlertRule.PERSON_SEEN, person=person)
    group = AttendanceGroup.objects.create(name="7A")
    group.members.add(person)
    code = AttendanceCode.objects.create(label="T: trip", category=AttendanceCode.EXCUSED_ABSENCE)
    contact = Contact.objects.create(person=person, name="Mother", email="mother@home.example")
    roll_call = RollCall.objects.create(group=group, day=site_date(), at=timezone.now(), photo="rollcalls/class.jpg")
    face = RollCallFace.objects.create(roll_call=roll_call, number=1, box=[0, 0, 40, 40], size_px=40,
                                       decision=RollCallFace.NAMED, found=person, person=person)
    return {
        "roll_call": roll_call, "face": face,
        "group": group, "schedule": Schedule.objects.create(group=group, starts_on=site_date()),
        "closure": Closure.objects.create(name="Autumn", first_day=site_date(), last_day=site_date()),
        "code": code, "absence": PlannedAbsence.objects.create(person=person, first_day=site_date(),
                                                               last_day=site_date(), code=code),
        "person": person, "sample": person.samples.get(), "log": log, "snapshot": log.snapshot,
        "camera": camera, "provisional": provisional, "destination": destination, "rule": rule,
        "admin": admin_user, "token": token, "import": BulkImport.objects.create(source="staff.zip"),
        "picture_id": live_pictures.picture_keep(camera_id=camera.pk, image=live_data.scene(None), captured_at=time.time()),
        "contact": contact, "mark": AttendanceEvent.objects.create(
            person=person, at=timezone.now(), kind=AttendanceEvent.MARK, day=site_date(), group=group, status="absent"),
    }


def _instance_of(model):
    instance = model.objects.first()  # the objects fixture made one of each (groups come from a migration)
    assert instance is not None, f"make a {model.__name__} in the objects fixture"
    return instance


def _path(key: str, objects: dict) -> str:
    """A concrete path for the route: its converters filled with the ids of real rows."""
    full, pattern = ROUTES[key]
    if full == "admin/(?P<url>.*)$":
        return "/admin/no-such-page/"
    model = _model_of(key, full)
    values = {
        "person_id": objects["person"].pk, "sample_id": objects["sample"].pk, "log_id": objects["log"].pk,
        "snapshot_id": objects["snapshot"].pk, "camera_id": objects["camera"].pk,
        "day": dt.date.today().isoformat(), "app_label": "identity",
        "content_type_id": ContentType.objects.get_for_model(Person).pk, "object_id": objects["person"].pk,
        "pk": {"api-person-detail": objects["person"].pk}.get(key, objects["snapshot"].pk),
        "destination_id": objects["destination"].pk, "rule_id": objects["rule"].pk,
        "token": "forged:token", "user_id": objects["admin"].pk, "provisional_id": objects["provisional"].pk,
        "import_id": objects["import"].pk, "token_id": objects["token"].pk,
        "group_id": objects["group"].pk, "schedule_id": objects["schedule"].pk, "closure_id": objects["closure"].pk,
        "code_id": objects["code"].pk, "absence_id": objects["absence"].pk, "contact_id": objects["contact"].pk,
        "month": dt.date.today().strftime("%Y-%m"), "mark_id": objects["mark"].pk, "uidb64": "MQ",
        "picture_id": objects["picture_id"], "roll_call_id": objects["roll_call"].pk, "face_id": objects["face"].pk,
    }
    if model is not None:
        values["object_id"] = values["id"] = _instance_of(model).pk
    if pattern.name:
        names = set(pattern.pattern.regex.groupindex) | set(getattr(pattern.pattern, "converters", {}))
        return reverse(key, kwargs={name: values[name] for name in names})
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), full)


def _user(role: str, django_user_model):
    if role == "anonymous":
        return None
    user = django_user_model.objects.create_user(username=f"as-{role}")
    if role != "no-role":
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


def _login_paths() -> tuple[str, ...]:
    return reverse("login"), reverse("admin:login")


def _refused(response) -> bool:
    if response.status_code in (401, 403):
        return True
    return response.status_code == 302 and response["Location"].startswith(_login_paths())


def _describe(response) -> str:
    return f"{response.status_code} {response.get('Location', '')}"


def test_it_knows_every_route():
    """A new route fails here until EXPECTED says who may use it."""
    unknown = sorted(set(ROUTES) - set(EXPECTED))
    gone = sorted(set(EXPECTED) - set(ROUTES))
    assert not unknown, f"routes without an expected role: {unknown}"
    assert not gone, f"expectations for routes that no longer exist: {gone}"


def test_it_knows_every_websocket_route():
    routes = {str(route.pattern) for route in websocket_urlpatterns}
    assert routes == set(WS_EXPECTED)


@pytest.mark.parametrize("key", sorted(ROUTES))
def test_it_refuses_visitors_below_the_routes_role(key, objects, django_user_model, client, settings):
    role = EXPECTED.get(key)
    assert role is not None, f"{key} ({ROUTES[key][0]}) is not in EXPECTED"
    path = _path(key, objects)
    if role == PUBLIC:
        return
    if role == BEARER:
        settings.FACEAPP_METRICS_TOKEN = "the-scrapers-token"
        for below in ["anonymous", ADMIN]:  # a session, even an admin's, is no token
            client.logout()
            if below == ADMIN:
                client.force_login(objects["admin"])
            for method in ("get", "post"):
                response = getattr(client, method)(path, HTTP_AUTHORIZATION="Bearer a-guess")
                assert response.status_code in (401, 405), f"{below} {method.upper()} {path}: {_describe(response)}"
        return
    if role == SIGNED:
        for below in ["anonymous", "no-role", ADMIN]:  # a forged link is refused even to an admin
            client.logout()
            if below != "anonymous":
                client.force_login(_user(below, django_user_model) if below != ADMIN else objects["admin"])
            for method in ("get", "post"):
                response = getattr(client, method)(path)
                assert response.status_code == 403, f"{below} {method.upper()} {path}: {_describe(response)}"
        return
    if role == SIGN_OUT:
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            assert response.status_code in (302, 405), f"anonymous {method.upper()} {path}: {_describe(response)}"
        return
    for below in BELOW[role]:
        user = _user(below, django_user_model)
        client.logout()
        if user is not None:
            client.force_login(user)
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            assert _refused(response), f"{below} {method.upper()} {path} was let in: {_describe(response)}"
        if key.startswith("api-") and user is not None:
            api = APIClient()
            api.credentials(HTTP_AUTHORIZATION=f"Token {token_key(user)}")
            for method in ("get", "post"):
                response = getattr(api, method)(path)
                assert response.status_code == 403, f"{below} token {method.upper()} {path}: {_describe(response)}"


@pytest.mark.parametrize("key", sorted(k for k, role in EXPECTED.items() if role in BELOW))
def test_it_lets_in_the_routes_role(key, objects, django_user_model, admin_user, client):
    """The table is not too strict either: a user with exactly the role gets past the check."""
    role = EXPECTED[key]
    client.force_login(admin_user if role == ADMIN else _user(role, django_user_model))
    response = client.get(_path(key, objects))
    if key.startswith("admin"):
        # Past the site's gate; a 403 there is a ModelAdmin saying no to everyone (read-only models).
        assert not (response.status_code == 302 and response["Location"].startswith(_login_paths())), key
    else:
        assert not _refused(response), f"{role} GET {key}: {_describe(response)}"


@pytest.mark.parametrize("key", ["healthz", "login", "admin:login", "kiosk", "password-reset", "password-reset-sent",
                                 "password-reset-confirm", "password-reset-complete"])
def test_it_serves_the_public_routes_to_anyone(key, client, objects):
    response = client.get(_path(key, objects))
    assert response.status_code in (200, 503)  # healthz is 503 here: no worker runs


def test_it_serves_a_signed_crop_url_to_anyone_until_it_expires(client, objects, settings):
    url = reverse("integrations-crop", args=[crop_token(visit_id=objects["log"].pk)])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"

    settings.FACEAPP_WEBHOOK_CROP_URL_SECONDS = -1  # every link has expired
    assert client.get(url).status_code == 403


def test_it_serves_a_live_picture_only_to_those_who_may_see_faces(client, objects, settings, django_user_model):
    objects["picture_id"] = live_pictures.picture_keep(camera_id=objects["camera"].pk, image=live_data.scene(None),
                                                       captured_at=time.time())  # fresh: a picture lives 5 s
    path = _path("media-camera-picture", objects)
    client.force_login(_user(VIEWER, django_user_model))
    settings.FACEAPP_VIEWER_MEDIA_HOURS = 24
    response = client.get(path)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store"

    settings.FACEAPP_VIEWER_MEDIA_HOURS = 0  # viewers see no face at all: no live picture either
    assert client.get(path).status_code == 404
    client.force_login(_user(OPERATOR, django_user_model))
    assert client.get(path).status_code == 200


def test_it_serves_static_files_to_anyone_but_never_media(client, objects, admin_user):
    assert client.get("/static/faceapp/app.css").status_code == 200
    stored = objects["sample"].photo.name
    assert client.get(f"/media/{stored}").status_code == 404
    client.force_login(admin_user)  # not even an admin: media only through the checked views
    assert client.get(f"/media/{stored}").status_code == 404


# ---------- websockets ----------


def _communicator(path: str, user=None, *, token: str | None = None) -> WebsocketCommunicator:
    from django.test import Client

    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
    if token is not None:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    if user is not None:
        session_client = Client()
        session_client.force_login(user)
        cookie = f"{settings.SESSION_COOKIE_NAME}={session_client.cookies[settings.SESSION_COOKIE_NAME].value}"
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(application, path, headers=headers)


def _closed_with(communicator: WebsocketCommunicator) -> int | None:
    """The close code of a refused socket (accepted, then closed at once)."""

    async def scenario():
        connected, code = await communicator.connect(timeout=TIMEOUT)
        if not connected:
            return code
        message = await communicator.receive_output(timeout=TIMEOUT)
        await communicator.wait()
        return message.get("code")

    return run_scenario(scenario)


def _stays_open(communicator: WebsocketCommunicator) -> bool:
    async def scenario():
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        if not connected:
            return False
        quiet = await communicator.receive_nothing(timeout=0.5)
        await communicator.disconnect()
        return quiet

    return run_scenario(scenario)


def _ws_path(route: str, objects: dict, camera: Camera | None = None) -> str:
    values = {"person_id": objects["person"].pk, "camera_id": (camera or objects["camera"]).pk,
              "import_id": objects["import"].pk, "group_id": objects["group"].pk}
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), route)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("route", sorted(WS_EXPECTED))
def test_it_closes_websockets_for_visitors_below_the_role(route, objects, django_user_model):
    role = WS_EXPECTED[route]
    for below in BELOW[role]:
        user = _user(below, django_user_model)
        assert _closed_with(_communicator(_ws_path(route, objects), user)) == FORBIDDEN_CLOSE, below
    allowed = _user(role, django_user_model)
    if "<int:group_id>" in route:
        objects["group"].responsible.add(allowed)  # a viewer reads their own groups only
    assert _stays_open(_communicator(_ws_path(route, objects), allowed)), role


@pytest.mark.django_db(transaction=True)
def test_it_takes_a_camera_token_only_for_that_camera_while_active(objects):
    door, hall = objects["camera"], Camera.objects.create(name="Hall")
    route = "ws/cameras/<int:camera_id>/"

    assert _stays_open(_communicator(_ws_path(route, objects, door), token=door.token))
    assert _closed_with(_communicator(_ws_path(route, objects, hall), token=door.token)) == FORBIDDEN_CLOSE
    assert _closed_with(_communicator(_ws_path(route, objects, door), token="guess")) == FORBIDDEN_CLOSE
    assert _closed_with(_communicator(_ws_path(route, objects, door) + f"?token={door.token}")) == FORBIDDEN_CLOSE

    Camera.objects.filter(pk=door.pk).update(active=False)
    assert _closed_with(_communicator(_ws_path(route, objects, door), token=door.token)) == FORBIDDEN_CLOSE


@pytest.mark.django_db(transaction=True)
def test_it_refuses_an_operator_on_an_inactive_camera(objects, django_user_model):
    Camera.objects.filter(pk=objects["camera"].pk).update(active=False)
    operator = _user(OPERATOR, django_user_model)
    path = _ws_path("ws/cameras/<int:camera_id>/", objects)
    assert _closed_with(_communicator(path, operator)) == FORBIDDEN_CLOSE


def _watches_after_asking(communicator: WebsocketCommunicator) -> bool:
    """Whether the socket marked any camera watched once its page asked for live pictures."""
    from faceapp.redis_client import redis_client

    async def scenario():
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected
        await communicator.send_json_to({"type": "pictures", "watch": True})
        await communicator.receive_nothing(timeout=0.5)
        marked = bool(redis_client().keys("faceapp:live:*watched*"))
        await communicator.disconnect()
        return marked

    return run_scenario(scenario)


@pytest.mark.django_db(transaction=True)
def test_it_lets_only_those_who_may_see_faces_ask_for_live_pictures(objects, django_user_model, settings):
    from faceapp.redis_client import redis_client

    def clear():
        redis_client().delete(*redis_client().keys("faceapp:live:*watched*") or ["-"])

    clear()
    settings.FACEAPP_VIEWER_MEDIA_HOURS = 0
    viewer, operator = _user(VIEWER, django_user_model), _user(OPERATOR, django_user_model)
    camera_route = _ws_path("ws/cameras/<int:camera_id>/", objects)
    assert not _watches_after_asking(_communicator("/ws/dashboard/", viewer))
    assert not _watches_after_asking(_communicator(camera_route, token=objects["camera"].token))  # a device
    enrolment_route = _ws_path("ws/people/<int:person_id>/enrolment/", objects)
    assert not _watches_after_asking(_communicator(enrolment_route, operator))  # a page with no camera on it
    assert _watches_after_asking(_communicator(camera_route, operator))
    clear()
    settings.FACEAPP_VIEWER_MEDIA_HOURS = 24
    assert _watches_after_asking(_communicator("/ws/dashboard/", viewer))
    clear()
