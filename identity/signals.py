"""Safety net: files of rows deleted anywhere (admin, cascades) leave the disk after commit.
The services delete files themselves; deleting a missing file is a no-op."""

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from identity.models import FaceSample, MatchLog, Snapshot


def _delete_after_commit(*fields) -> None:
    files = [(field.storage, field.name) for field in fields if field]
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in files])


@receiver(post_delete, sender=FaceSample, dispatch_uid="faceapp-sample-files")
def sample_deleted(sender, instance: FaceSample, **kwargs) -> None:
    from identity.services.gallery import gallery_changed

    _delete_after_commit(instance.photo, instance.crop)
    if instance.status == FaceSample.ACCEPTED:
        transaction.on_commit(gallery_changed)


@receiver(post_delete, sender=MatchLog, dispatch_uid="faceapp-log-files")
def log_deleted(sender, instance: MatchLog, **kwargs) -> None:
    _delete_after_commit(instance.crop)


@receiver(post_delete, sender=Snapshot, dispatch_uid="faceapp-snapshot-files")
def snapshot_deleted(sender, instance: Snapshot, **kwargs) -> None:
    _delete_after_commit(instance.image)
