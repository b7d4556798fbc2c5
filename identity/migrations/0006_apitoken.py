"""API tokens stored as SHA-256 digests. The keys of DRF's authtoken table (kept in clear) are
hashed into the new table, so existing clients keep working, and that table is dropped."""

import datetime as dt
import hashlib

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def _aware(created):
    """A raw read of SQLite's column is naive, in UTC (as Django stores it there)."""
    if isinstance(created, dt.datetime) and timezone.is_naive(created):
        return timezone.make_aware(created, dt.timezone.utc)
    return created


def tokens_hash(apps, schema_editor):
    connection = schema_editor.connection
    if "authtoken_token" not in connection.introspection.table_names():
        return  # a new install: DRF's table never existed
    ApiToken = apps.get_model("identity", "ApiToken")
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, user_id, created FROM authtoken_token")
        rows = cursor.fetchall()
    ApiToken.objects.bulk_create(
        ApiToken(user_id=user_id, name="API token", prefix=key[:8], digest=hashlib.sha256(key.encode()).hexdigest(),
                 created_at=_aware(created))
        for key, user_id, created in rows
    )
    schema_editor.execute("DROP TABLE authtoken_token")  # nothing of the keys stays in clear


class Migration(migrations.Migration):
    dependencies = [
        ("identity", "0005_facesample_flip_embedding"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ApiToken",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=100)),
                ("prefix", models.CharField(max_length=8)),
                ("digest", models.CharField(max_length=64, unique=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("last_used_at", models.DateTimeField(blank=True, null=True)),
                ("revoked_at", models.DateTimeField(blank=True, null=True)),
                ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="api_tokens",
                                           to=settings.AUTH_USER_MODEL)),
            ],
            options={"ordering": ["-created_at", "-id"]},
        ),
        migrations.RunPython(tokens_hash, migrations.RunPython.noop),
    ]
