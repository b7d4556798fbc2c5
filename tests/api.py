"""Helpers for the API tests: a token-authenticated client and fixture uploads."""

from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from identity.services.accounts import api_token_create
from tests.faces_data import FIXTURES


def token_key(user) -> str:
    """A new API token's key for the user (a test's own: keys are shown once, stored hashed)."""
    return api_token_create(user=user, name="test")[1]


def api_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_key(user)}")
    return client


def fixture_upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (FIXTURES / name).read_bytes(), content_type="image/jpeg")
