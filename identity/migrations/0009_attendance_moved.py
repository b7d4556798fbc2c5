"""AttendanceRecord now belongs to the attendance app (its 0001 takes it over, table and rows
included): identity only forgets it, in its state; the table is not touched."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("identity", "0008_facesample_sha256"),
        ("attendance", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AttendanceRecord")],
            database_operations=[],
        ),
    ]
