"""Enrolled samples keep a flip embedding beside the plain one (adaptive flip mode).

Schema only: existing samples get theirs lazily, the first time an adaptive-mode worker loads
the gallery (identity/services/gallery.py), since computing one needs the face model."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("identity", "0004_visits_and_streams")]

    operations = [
        migrations.AddField("facesample", "flip_embedding", models.BinaryField(blank=True, null=True)),
    ]
