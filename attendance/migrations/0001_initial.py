"""AttendanceRecord moves here from identity with its table and every row in it: state only
(identity's 0009 drops it from identity's state), and its content type follows it so that
admin history and permissions keep pointing at it."""

import django.db.models.deletion
from django.db import migrations, models


def content_type_moved(apps, schema_editor):
    _content_type_relabel(apps, old="identity", new="attendance")


def content_type_back(apps, schema_editor):
    _content_type_relabel(apps, old="attendance", new="identity")


def _content_type_relabel(apps, *, old: str, new: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label=new, model="attendancerecord").exists():
        ContentType.objects.filter(app_label=old, model="attendancerecord").update(app_label=new)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("identity", "0008_facesample_sha256"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AttendanceRecord",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("day", models.DateField()),
                        ("first_seen", models.DateTimeField()),
                        ("last_seen", models.DateTimeField()),
                        ("camera", models.ForeignKey(blank=True, null=True,
                                                     on_delete=django.db.models.deletion.SET_NULL,
                                                     to="identity.camera")),
                        ("person", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                                     related_name="attendance", to="identity.person")),
                    ],
                    options={
                        "db_table": "identity_attendancerecord",
                        "ordering": ["-day", "person__name"],
                        "constraints": [models.UniqueConstraint(fields=("person", "day"),
                                                                name="one_record_per_person_day")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_type_moved, content_type_back),
    ]
