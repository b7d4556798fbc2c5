"""Delete the uploaded ZIPs of imports that ended before ZIPs were deleted at the end of an import:
they hold everyone's photos, rejected ones too."""

from django.db import migrations

ENDED = ("done", "cancelled", "failed")


def drop_ended_archives(apps, schema_editor):
    BulkImport = apps.get_model("imports", "BulkImport")
    for bulk in BulkImport.objects.filter(status__in=ENDED).exclude(archive=""):
        bulk.archive.storage.delete(bulk.archive.name)
        BulkImport.objects.filter(pk=bulk.pk).update(archive="")


class Migration(migrations.Migration):
    dependencies = [("imports", "0001_initial")]

    operations = [migrations.RunPython(drop_ended_archives, migrations.RunPython.noop)]
