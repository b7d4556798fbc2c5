"""Match logs become visits (first and last seen, frame count); cameras get stream sources."""

from django.db import migrations, models
from django.db.models import F
from django.utils import timezone


def existing_logs_are_one_frame_visits(apps, schema_editor):
    apps.get_model("identity", "MatchLog").objects.update(last_seen=F("created_at"), frame_count=1)


class Migration(migrations.Migration):
    dependencies = [("identity", "0003_review_and_thresholds")]

    operations = [
        migrations.AddField("matchlog", "last_seen", models.DateTimeField(default=timezone.now), preserve_default=False),
        migrations.AddField("matchlog", "frame_count", models.PositiveIntegerField(default=1)),
        migrations.RunPython(existing_logs_are_one_frame_visits, migrations.RunPython.noop),
        migrations.AddField("camera", "source_url", models.TextField(blank=True)),
        migrations.AddField("camera", "fps", models.FloatField(default=5.0)),
        migrations.AddField("camera", "poll_seconds", models.FloatField(default=2.0)),
        migrations.AlterField(
            "camera", "kind",
            models.CharField(
                choices=[
                    ("webcam", "Browser webcam"), ("rtsp", "RTSP stream"), ("mjpeg", "HTTP MJPEG stream"),
                    ("snapshot", "HTTP snapshot URL"), ("file", "Video file"), ("upload", "Upload"), ("api", "API"),
                ],
                default="webcam", max_length=10,
            ),
        ),
    ]
