"""Camera.source_url becomes source_address (shown) and source_secret (credentials, sealed):
each stored URL goes through today's gate once. A URL the gate refuses (a line break, a
scheme not of its kind) is not kept: its camera shows no source until one is entered again."""

from django.db import migrations, models


def split_urls(apps, schema_editor):
    from identity.live.source_url import SourceUrlError
    from identity.services.camera_sources import camera_source_set

    Camera = apps.get_model("identity", "Camera")
    for camera in Camera.objects.exclude(source_url=""):
        try:
            camera_source_set(camera=camera, url=camera.source_url)
        except SourceUrlError:
            camera.source_address, camera.source_secret = "", ""
        camera.save(update_fields=["source_address", "source_secret"])


def join_urls(apps, schema_editor):
    from identity.services.camera_sources import camera_source_url

    Camera = apps.get_model("identity", "Camera")
    for camera in Camera.objects.exclude(source_address=""):
        camera.source_url = camera_source_url(camera=camera)
        camera.save(update_fields=["source_url"])


class Migration(migrations.Migration):

    dependencies = [
        ("identity", "0009_attendance_moved"),
    ]

    operations = [
        migrations.AddField("camera", "source_address", models.TextField(blank=True)),
        migrations.AddField("camera", "source_secret", models.TextField(blank=True)),
        migrations.RunPython(split_urls, join_urls),
        migrations.RemoveField("camera", "source_url"),
    ]
