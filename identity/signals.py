"""Safety net: files of rows deleted anywhere (admin, cascades) leave the disk after commit.
The services delete files themselves; deleting a missing file is a no-op."""

from django.db.models.signals import post_delete
from django.dispatch import receiver

from identity.models import FaceSample, MatchLog, Snapshot
from identity.services.files import file_names, files_delete_on_commit
from identity.services.gallery import gallery_noted


@receiver(post_delete, sender=FaceSample, dispatch_uid="faceapp-sample-files")
def sample_deleted(sender, instance: FaceSample, **kwargs) -> None:
    files_delete_on_commit(file_names(instance.photo, instance.crop))
    if instance.status == FaceSample.ACCEPTED:
        gallery_noted(removed=[instance.pk])  # every process's gallery drops it after commit


@receiver(post_delete, sender=MatchLog, dispatch_uid="faceapp-log-files")
def log_deleted(sender, instance: MatchLog, **kwargs) -> None:
    files_delete_on_commit(file_names(instance.crop))


@receiver(post_delete, sender=Snapshot, dispatch_uid="faceapp-snapshot-files")
def snapshot_deleted(sender, instance: Snapshot, **kwargs) -> None:
    files_delete_on_commit(file_names(instance.image))
