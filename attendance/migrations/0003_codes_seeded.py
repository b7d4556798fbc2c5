"""The site's attendance codes to start with, one or more per category (the office edits them).
No holiday code: a holiday is a closure in the calendar (the day's status), not a person's absence."""

from django.db import migrations

CODES = [
    ("P: present", "present", "#2e7d32"),
    ("L: late", "tardy", "#f9a825"),
    ("E: early departure", "early_departure", "#ef6c00"),
    ("X: excused", "excused_absence", "#1565c0"),
    ("S: sick", "excused_absence", "#6a1b9a"),
    ("A: unexcused absence", "unexcused_absence", "#c62828"),
]


def codes_seed(apps, schema_editor):
    AttendanceCode = apps.get_model("attendance", "AttendanceCode")
    for label, category, colour in CODES:
        AttendanceCode.objects.get_or_create(label=label, defaults={"category": category, "colour": colour})


class Migration(migrations.Migration):

    dependencies = [
        ("attendance", "0002_register"),
    ]

    operations = [
        migrations.RunPython(codes_seed, migrations.RunPython.noop),
    ]
