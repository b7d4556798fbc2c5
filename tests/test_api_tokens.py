"""API tokens are kept as digests: a key authenticates until revoked, appears nowhere in the
database, and the migration from DRF's clear-text tokens keeps old keys working."""

import hashlib
import importlib

import pytest
from django.apps import apps
from django.db import connection
from rest_framework.test import APIClient

from identity.models import ApiToken
from identity.services.accounts import api_token_create, api_token_revoke

pytestmark = pytest.mark.django_db
URL = "/api/people/"


def _get(key: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get(URL).status_code


def _database_text() -> str:
    """Every table's rows as text (the SQLite or PostgreSQL database, whichever runs)."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')
            chunks += [repr(row) for row in cursor.fetchall()]
    return "\n".join(chunks)


def test_it_authenticates_with_a_new_key(operator_user):
    _, key = api_token_create(user=operator_user, name="register")
    assert _get(key) == 200


def test_it_keeps_no_key_in_the_database(operator_user):
    token, key = api_token_create(user=operator_user, name="register")
    assert key not in _database_text()
    assert token.digest == hashlib.sha256(key.encode()).hexdigest() and token.prefix == key[:8]


def test_it_refuses_a_revoked_key(operator_user):
    token, key = api_token_create(user=operator_user, name="register")
    api_token_revoke(token=token)
    assert _get(key) == 401


def test_it_refuses_the_key_of_a_deactivated_user(operator_user):
    _, key = api_token_create(user=operator_user, name="register")
    operator_user.is_active = False
    operator_user.save()
    assert _get(key) == 401


@pytest.mark.django_db(transaction=True)  # SQLite's schema editor cannot run inside the test's transaction
def test_it_hashes_drfs_clear_text_tokens_and_drops_their_table(operator_user):
    old_key = "0123456789abcdef0123456789abcdef01234567"  # DRF's 40-hex keys
    with connection.cursor() as cursor:
        cursor.execute('CREATE TABLE "authtoken_token" ("key" varchar(40) PRIMARY KEY, "created" timestamp NOT NULL, '
                       '"user_id" integer NOT NULL)')
        cursor.execute('INSERT INTO "authtoken_token" ("key", "created", "user_id") VALUES (%s, %s, %s)',
                       [old_key, "2026-01-01 00:00:00", operator_user.pk])
    migration = importlib.import_module("identity.migrations.0006_apitoken")

    with connection.schema_editor() as editor:
        migration.tokens_hash(apps, editor)

    assert "authtoken_token" not in connection.introspection.table_names()
    assert ApiToken.objects.get(user=operator_user).prefix == old_key[:8]
    assert _get(old_key) == 200 and old_key not in _database_text()
