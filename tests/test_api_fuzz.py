"""The API fuzzed from its own OpenAPI schema (schemathesis, in process over WSGI, on the test
database), with a token of each role: no 5xx, every answer as the schema says (status code,
content type, body), and no write (POST/PUT/PATCH/DELETE) succeeds below the role it needs,
which is read from the view's own permission classes. Left out: "schema-valid data is
accepted", since no schema can say what a usable photo is (a 1x1 image is valid binary)."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.urls import resolve
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import positive_data_acceptance

from identity.roles import ADMIN, OPERATOR, ROLES, VIEWER, has_role
from tests.api import token_key

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES = 40  # per operation (each tried with all three roles): a deterministic sample, derandomized
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
_keys: dict[str, str] = {}


def _with_schema_access(app):
    """The schema is for users with a role: the loader reads it as a viewer would."""
    def wsgi(environ, start_response):
        if environ.get("PATH_INFO") == "/api/schema/" and "HTTP_AUTHORIZATION" not in environ:
            environ["HTTP_AUTHORIZATION"] = f"Token {_keys[VIEWER]}"
        return app(environ, start_response)
    return wsgi


APP = get_wsgi_application()


def _needed_role(path: str) -> str:
    """The highest role the view's permission classes ask for (identity.api.permissions.HasRole)."""
    roles = [getattr(permission, "required_role", None) for permission in resolve(path).func.cls.permission_classes]
    return max((role for role in roles if role), key=ROLES.index)


@pytest.fixture
def role_users(django_user_model, settings):
    from django.contrib.auth.models import Group

    settings.FACEAPP_RATE_API_PER_MINUTE = 0  # the fuzzer's pace is not an abuse to limit here
    users = {}
    for role in (VIEWER, OPERATOR):
        users[role] = django_user_model.objects.create_user(username=f"fuzz-{role}")
        users[role].groups.add(Group.objects.get_or_create(name=role)[0])
    users[ADMIN] = django_user_model.objects.create_superuser(username="fuzz-admin", password="pw")
    for role, user in users.items():
        _keys[role] = token_key(user)
    return users


def _operations():
    """The schema's operations, loaded the way a client would (as a viewer)."""
    schema = schemathesis.openapi.from_wsgi("/api/schema/", _with_schema_access(APP))
    return [result.ok() for result in schema.get_all_operations()]


def test_it_answers_every_role_as_its_schema_says(role_users, media_root):
    failures = []
    operations = _operations()
    assert {operation.label for operation in operations} >= {"GET /api/people/", "POST /api/people/", "POST /api/recognize/"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @hypothesis_settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                             suppress_health_check=list(HealthCheck))  # fmt: skip
        def fuzz(case):
            for role in (VIEWER, OPERATOR, ADMIN):
                response = case.call_and_validate(headers={"Authorization": f"Token {_keys[role]}"},
                                                  excluded_checks=[positive_data_acceptance])
                if case.method.upper() in WRITES and 200 <= response.status_code < 300:
                    needed = _needed_role(case.formatted_path)
                    assert has_role(role_users[role], needed), f"{role} {case.method} {case.formatted_path}"

        try:
            fuzz()
        except BaseException as failure:  # every operation is fuzzed; the failures are listed together
            failures.append(f"{operation.label}: {failure}")
    assert failures == [], "\n\n".join(failures)
