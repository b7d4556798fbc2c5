"""GET /api/schema/: the OpenAPI document, behind authentication, valid and complete."""

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
        "/api/people/", "/api/people/{id}/", "/api/recognize/", "/api/snapshots/{id}/", "/api/logs/",
        "/api/attendance/",
    }
    assert set(paths["/api/people/"]) == {"get", "post"}
    assert {p["name"] for p in paths["/api/logs/"]["get"]["parameters"]} >= {"person", "decision", "camera", "since"}
    assert [p["name"] for p in paths["/api/attendance/"]["get"]["parameters"]] == ["day"]
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_it_documents_the_multipart_uploads_and_responses(schema):
    components = schema["components"]["schemas"]
    enrol = schema["paths"]["/api/people/"]["post"]
    recognize = schema["paths"]["/api/recognize/"]["post"]

    enrol_form = enrol["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]
    fields = components[enrol_form]["properties"]
    assert fields["photos"]["items"] == {"type": "string", "format": "binary"}
    assert components["ConsentEnum"] == {"type": "boolean", "enum": [True]}  # consent must be true
    assert fields["consent"]["allOf"] == [{"$ref": "#/components/schemas/ConsentEnum"}]
    assert "name" in fields and "code" in fields
    assert set(enrol["responses"]) == {"201", "202", "400", "401", "403", "413", "422", "429"}

    recognize_form = recognize["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert components[recognize_form]["properties"]["image"]["format"] == "binary"
    assert set(recognize["responses"]) == {"200", "202", "400", "401", "403", "413", "422", "429"}
    face = components["RecognizedFace"]["properties"]
    assert {"box", "person", "provisional", "similarity", "decision"} <= set(face)


def test_it_is_a_valid_openapi_document_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))

    assert "/api/recognize/:" in (tmp_path / "schema.yaml").read_text()
