"""GET /api/schema/: the OpenAPI document, behind authentication, valid and complete; /api/docs/, its
reference page (Swagger UI), from our own files (tests/test_browser_api_docs.py renders it)."""

import re

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.api import token_key

URL = "/api/schema/?format=json"


@pytest.fixture
def schema(viewer_user) -> dict:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_key(viewer_user)}")
    response = client.get(URL)
    assert response.status_code == 200
    return response.json()


@pytest.mark.django_db
def test_it_needs_authentication():
    response = APIClient().get(URL)

    assert response.status_code == 401
    assert response.json()["detail"]


def test_it_documents_every_endpoint(schema):
    paths = schema["paths"]

    assert set(paths) == {
        "/api/people/", "/api/people/{id}/", "/api/people/{person_id}/photos/",
        "/api/people/{person_id}/photos/{sample_id}/", "/api/recognize/", "/api/snapshots/{id}/", "/api/logs/",
        "/api/logs/{log_id}/review/", "/api/attendance/", "/api/imports/", "/api/imports/{import_id}/",
        "/api/groups/", "/api/groups/{group_id}/", "/api/groups/{group_id}/members/",
        "/api/groups/{group_id}/responsible/", "/api/groups/{group_id}/schedules/", "/api/closures/",
        "/api/closures/{closure_id}/", "/api/codes/", "/api/codes/{code_id}/", "/api/absences/",
        "/api/absences/{absence_id}/", "/api/groups/{group_id}/register/", "/api/groups/{group_id}/month/{month}/",
        "/api/groups/{group_id}/marks/", "/api/groups/{group_id}/marks/{mark_id}/", "/api/register/summary/",
        "/api/groups/{group_id}/roll-calls/", "/api/roll-calls/", "/api/roll-calls/{roll_call_id}/",
        "/api/roll-calls/{roll_call_id}/faces/{face_id}/", "/api/roll-calls/{roll_call_id}/mark/",
    }
    assert set(paths["/api/people/"]) == {"get", "post"}
    assert set(paths["/api/people/{id}/"]) == {"get", "patch", "delete"}
    assert set(paths["/api/people/{person_id}/photos/"]) == {"post"}
    assert set(paths["/api/people/{person_id}/photos/{sample_id}/"]) == {"delete"}
    assert set(paths["/api/logs/{log_id}/review/"]) == {"post"}
    assert {p["name"] for p in paths["/api/logs/"]["get"]["parameters"]} >= {"person", "decision", "camera", "since"}
    assert [p["name"] for p in paths["/api/attendance/"]["get"]["parameters"]] == ["day"]
    assert "tokenAuth" in schema["components"]["securitySchemes"]
    assert set(paths["/api/groups/{group_id}/"]) == {"get", "patch", "delete"}
    assert set(paths["/api/groups/{group_id}/schedules/"]) == {"get", "post"}
    assert set(paths["/api/groups/{group_id}/responsible/"]) == {"put"}
    assert set(paths["/api/groups/{group_id}/marks/"]) == {"post"}
    assert set(paths["/api/groups/{group_id}/marks/{mark_id}/"]) == {"delete"}
    assert [p["name"] for p in paths["/api/register/summary/"]["get"]["parameters"]] == ["from", "to"]
    assert set(paths["/api/groups/{group_id}/roll-calls/"]) == {"post"}
    assert "multipart/form-data" in paths["/api/groups/{group_id}/roll-calls/"]["post"]["requestBody"]["content"]
    assert set(paths["/api/roll-calls/{roll_call_id}/mark/"]) == {"post"}


def test_it_documents_the_multipart_uploads_and_responses(schema):
    components = schema["components"]["schemas"]
    enrol = schema["paths"]["/api/people/"]["post"]
    recognize = schema["paths"]["/api/recognize/"]["post"]

    enrol_form = enrol["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]
    fields = components[enrol_form]["properties"]
    assert fields["photos"]["items"] == {"type": "string", "format": "binary"}
    assert components["ConsentEnum"] == {"type": "boolean", "enum": [True]}  # consent must be true
    assert fields["consent"]["allOf"] == [{"$ref": "#/components/schemas/ConsentEnum"}]
    assert "name" in fields and "code" in fields and fields["different_from"]["type"] == "integer"
    assert set(enrol["responses"]) == {"201", "202", "400", "401", "403", "409", "413", "422", "429"}

    recognize_form = recognize["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert components[recognize_form]["properties"]["image"]["format"] == "binary"
    assert set(recognize["responses"]) == {"200", "202", "400", "401", "403", "413", "422", "429"}
    face = components["RecognizedFace"]["properties"]
    assert {"box", "person", "provisional", "similarity", "decision"} <= set(face)


def test_it_is_a_valid_openapi_document_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))

    assert "/api/recognize/:" in (tmp_path / "schema.yaml").read_text()


@pytest.mark.django_db
def test_it_sends_a_signed_out_visitor_of_the_reference_to_sign_in(client):
    response = client.get("/api/docs/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/api/docs/"


@pytest.mark.django_db
def test_it_serves_the_reference_from_our_static_files_with_no_inline_script(client, viewer_user):
    client.force_login(viewer_user)

    page = client.get("/api/docs/").content.decode()

    scripts = re.findall(r"<script([^>]*)>", page)
    assert scripts and all('src="/' in attributes for attributes in scripts)  # the CSP runs no inline script
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "http" not in page  # no CDN
    start = client.get("/api/docs/?script=")
    assert start["Content-Type"] == "application/javascript" and b"/api/schema/" in start.content


def test_it_documents_the_writes_on_people_photos_and_reviews(schema):
    paths = schema["paths"]

    assert set(paths["/api/people/{person_id}/photos/"]["post"]["responses"]) == {
        "201", "202", "400", "401", "403", "404", "409", "413", "429"}
    assert set(paths["/api/people/{id}/"]["patch"]["responses"]) >= {"200", "400", "404"}
    assert "204" in paths["/api/people/{id}/"]["delete"]["responses"]
    assert "204" in paths["/api/people/{person_id}/photos/{sample_id}/"]["delete"]["responses"]
    review = paths["/api/logs/{log_id}/review/"]["post"]
    assert review["responses"]["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/MatchLog"}
    assert schema["components"]["schemas"]["ActionEnum"]["enum"] == ["confirm", "reject", "reassign", "undo"]
