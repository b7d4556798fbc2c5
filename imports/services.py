"""Bulk enrolment: an import is planned from its files (imports.plan), then the workers take
it in batches of people (imports.tasks): each person found by their code (or, without one, by
their name) or created, each photo enrolled unless that person has it already (same SHA-256),
so running an import again enrols nothing twice; a photo whose face is someone else enrolled is
held, not enrolled (identity.services.duplicates), and reported "already enrolled as X". Progress goes to the import's page over its
websocket; every problem is a report line."""

import contextlib
import hashlib
import logging
import zipfile
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from attendance.models import Group
from audit.models import AuditEntry
from audit.services import acting_user, audit_record
from faceapp.sizes import size_text
from identity.models import FaceSample, Person
from identity.services import enrolment
from identity.services.files import file_reader
from identity.services.queueing import task_enqueue
from identity.services.uploads import max_upload_bytes, too_large
from identity.vision import ImageError
from imports.archive import UnreadableMember, member_read
from imports.ending import archive_drop, batch_failure_text, import_end, import_push
from imports.models import BulkImport
from imports.plan import Plan, plan_from

logger = logging.getLogger(__name__)

BATCH_PEOPLE = 20  # people per task: a batch is a few seconds of work, so a cancel is heard soon


def _zip_files(archive: BinaryIO) -> tuple[list[str], str | None]:
    """The archive's file names and its CSV's text (the first .csv at its top); ValidationError
    for a file that is not a ZIP, or holds more than FACEAPP_IMPORT_MAX_MB once unpacked."""
    try:
        with zipfile.ZipFile(archive) as opened:
            members = [info for info in opened.infolist() if not info.is_dir()]
            unpacked = sum(info.file_size for info in members)
            if unpacked > settings.FACEAPP_IMPORT_MAX_MB * 1024 * 1024:
                raise ValidationError(f"the ZIP holds {size_text(unpacked)} once unpacked, the limit is "
                                      f"{size_text(settings.FACEAPP_IMPORT_MAX_MB * 1024 * 1024)}")
            csvs = [info for info in members if info.filename.lower().endswith(".csv") and "/" not in info.filename]
            csv_text = member_read(opened, csvs[0]).decode("utf-8-sig", errors="replace") if csvs else None
            return [info.filename for info in members], csv_text
    except zipfile.BadZipFile as error:
        raise ValidationError("not a ZIP archive: give a .zip of photos (a folder per person)") from error
    except UnreadableMember as error:
        raise ValidationError(f"the CSV in the ZIP is {error}") from error


def _folder_files(folder: Path) -> list[str]:
    return [str(path.relative_to(folder).as_posix()) for path in sorted(folder.rglob("*")) if path.is_file()]


def import_create(
    *, actor, consent: bool, archive: UploadedFile | None = None, folder: str = "", csv_text: str | None = None
) -> BulkImport:
    """Plan an import of an uploaded ZIP or a server folder (with an optional CSV: name, code,
    photos, consent, groups) and queue its first batch. Raises ValidationError for what cannot be
    read, and for a CSV naming a group that does not exist (_groups_named)."""
    if (archive is None) == (not folder):
        raise ValidationError("Give a ZIP archive or a folder (one of the two).")
    bulk = BulkImport(consent=consent, created_by=acting_user(actor))
    if archive is not None:
        bulk.source = archive.name[-255:]
        files, archived_csv = _zip_files(archive)  # read as uploaded: a refused ZIP is never stored
        csv_text = csv_text or archived_csv
    else:
        root = Path(folder).expanduser().resolve()
        if not root.is_dir():
            raise ValidationError(f"no folder {folder}")
        bulk.source, bulk.folder = root.name[-255:], str(root)
        files = _folder_files(root)
        csv_text = csv_text or next((p.read_text("utf-8-sig") for p in sorted(root.glob("*.csv"))), None)
    plan = plan_from(files, csv_text)
    _groups_named(plan)  # before anything is stored or enrolled
    if archive is not None:
        # In the media storage (the bucket where there is one): the workers of every machine read it.
        bulk.archive.save("import.zip", archive, save=False)
    bulk.plan = [entry.as_dict() for entry in plan.entries]
    bulk.report = plan.problems
    bulk.people_total = len(plan.entries)
    bulk.photos_total = sum(len(entry.photos) for entry in plan.entries)
    # The row and its first batch's message: a rollback queues nothing.
    with transaction.atomic():
        bulk.save()
        named = sorted({group for entry in plan.entries for group in entry.groups})
        groups = f", into {', '.join(named)}" if named else ""
        audit_record(actor=actor, action=AuditEntry.PEOPLE_IMPORTED, target=bulk.source,
                     detail=f"import #{bulk.pk}: {bulk.people_total} people, {bulk.photos_total} photos{groups}")
        transaction.on_commit(lambda: import_enqueue(bulk))
    return bulk


def _groups_named(plan: Plan) -> None:
    """Each entry's groups as the register spells them; ValidationError naming every group that
    does not exist, with its CSV lines. The whole import is refused: a person imported without
    their group would be expected nowhere, one left out would be lost, and nothing is done yet,
    so the same import runs once the groups are there or the CSV is corrected."""
    if not plan.group_lines:
        return
    known = {name.lower(): name for name in Group.objects.annotate(lower=Lower("name"))
             .filter(lower__in=[group.lower() for group in plan.group_lines]).values_list("name", flat=True)}
    unknown = [name for name in plan.group_lines if name.lower() not in known]
    if unknown:
        named = "; ".join(f"{name} (line{'s' if len(plan.group_lines[name]) > 1 else ''} "
                          f"{', '.join(map(str, plan.group_lines[name]))})" for name in unknown)
        raise ValidationError(f"the CSV names groups that do not exist: {named}. Create them on the Groups page "
                              "or correct the CSV: nothing was imported.")
    for entry in plan.entries:
        entry.groups = [known[group.lower()] for group in entry.groups]


def import_enqueue(bulk: BulkImport) -> bool:
    from imports.tasks import import_batch_task  # tasks import these services: a real cycle

    return task_enqueue(import_batch_task, bulk.pk)


def _photo_bytes(bulk: BulkImport, path: str, opened: zipfile.ZipFile | None) -> bytes:
    """A photo's bytes from the archive or the folder; ImageTooLarge over the upload size cap (told
    by its size, before it is read)."""
    if opened is not None:
        info = opened.getinfo(path)
        size, read = info.file_size, lambda: member_read(opened, info)
    else:
        root = Path(bulk.folder)
        file = (root / path).resolve()
        if root not in file.parents:
            raise ValidationError("outside the import's folder")
        size, read = file.stat().st_size, file.read_bytes
    if size > max_upload_bytes():
        raise too_large(size)
    return read()


def _person_for(bulk: BulkImport, entry: dict, report: list[dict]) -> Person | None:
    """The entry's person: found by code (else by name among people without one) or created."""
    name, code = entry["name"], entry.get("code")
    person = Person.objects.filter(code=code).first() if code else Person.objects.filter(name=name, code=None).first()
    if person is not None and code and person.name != name:
        report.append({"kind": "code_taken", "person": name, "person_id": None,
                       "detail": f"the code {code} is {person.name}'s already: not imported"})
        return None
    if person is not None:
        return person
    consent = bulk.consent if entry.get("consent") is None else entry["consent"]
    if not consent:
        report.append({"kind": "no_consent", "person": name, "person_id": None,
                       "detail": "no consent recorded: not enrolled"})
        return None
    return enrolment.person_create(name=name, code=code, consent=True)


def _entry_import(bulk: BulkImport, entry: dict, opened: zipfile.ZipFile | None, report: list[dict]) -> None:
    person = _person_for(bulk, entry, report)
    if person is None:
        bulk.photos_done += len(entry["photos"])
        return
    line = {"person": person.name, "person_id": person.pk}
    _groups_join(person, entry.get("groups", []), line, report)
    for path in entry["photos"]:
        bulk.photos_done += 1
        photo = PurePosixPath(path).name
        try:
            data = _photo_bytes(bulk, path, opened)
        except (ValidationError, ImageError, UnreadableMember, KeyError, OSError) as error:
            bulk.rejected += 1
            report.append({**line, "kind": "rejected", "photo": path, "detail": " ".join(getattr(
                error, "messages", [str(error)]))})
            continue
        if FaceSample.objects.filter(person=person, sha256=hashlib.sha256(data).hexdigest()).exists():
            bulk.skipped += 1
            continue
        sample = enrolment.sample_add(person=person, photo=(photo, data), source="import", queue=False)
        if sample.status == FaceSample.PENDING:
            sample = enrolment.sample_process(sample_id=sample.pk)
        if sample.status == FaceSample.ACCEPTED:
            bulk.accepted += 1
        elif sample.status == FaceSample.HELD:  # the face is someone else enrolled: not enrolled, held for the operator
            bulk.skipped += 1
            detail = f"{sample.reason}: not enrolled (held on {person.name}'s page: say whose it is there)"
            report.append({**line, "kind": "duplicate_face", "photo": path, "detail": detail})
        else:
            bulk.rejected += 1
            report.append({**line, "kind": "rejected", "photo": path, "detail": sample.reason})
    if not person.samples.filter(status=FaceSample.ACCEPTED).exists():
        report.append({**line, "kind": "no_accepted_photo", "detail": "no photo of theirs was accepted"})


def _groups_join(person: Person, names: list[str], line: dict, report: list[dict]) -> None:
    """Into the entry's groups (the import's audit entry names them); one deleted since the import
    was planned is a report line."""
    if not names:
        return
    groups = list(Group.objects.filter(name__in=names))
    for group in groups:
        group.members.add(person)
    for name in sorted(set(names) - {group.name for group in groups}):
        report.append({**line, "kind": "group_missing", "detail": f"the group {name} no longer exists: not added to it"})


def import_batch(*, import_id: int, batch: int = BATCH_PEOPLE) -> BulkImport:
    """The next `batch` people of a running import; ends it after the last. An unexpected error
    fails it, with a message (a photo that cannot be read is only rejected). Either way its ZIP
    and plan are deleted when it ends. A cancelled or ended import is left as it is."""
    bulk = BulkImport.objects.get(pk=import_id)
    if bulk.status in BulkImport.ENDED:
        if bulk.archive or bulk.plan:  # cancelled by a version that left them to the batch at work
            with transaction.atomic():
                import_end(bulk=BulkImport.objects.select_for_update().get(pk=import_id), status=bulk.status)
        return bulk
    if bulk.status == BulkImport.PENDING:
        bulk.status, bulk.started_at = BulkImport.RUNNING, timezone.now()
    report: list[dict] = []
    failure = ""
    try:
        entries = bulk.plan[bulk.next_entry : bulk.next_entry + batch]
        with contextlib.ExitStack() as stack:
            opened = stack.enter_context(zipfile.ZipFile(stack.enter_context(file_reader(bulk.archive)))) \
                if bulk.archive else None
            for entry in entries:
                _entry_import(bulk, entry, opened, report)
                bulk.people_done += 1  # once done: a failure's message names the person it stopped at
        bulk.next_entry += len(entries)
    except Exception as error:  # whatever it is, the import must end: never pending or running for good
        logger.exception("import %s: a batch failed", import_id)
        failure = batch_failure_text(error=error, person=bulk.people_done + 1, people_total=bulk.people_total)
    _batch_save(bulk, report, failure)
    import_push(bulk)
    return bulk


def _batch_save(bulk: BulkImport, report: list[dict], failure: str) -> None:
    # A cancel, the stuck sweep or an erasure that ended the import during the batch wins: the
    # counts are saved, its status is kept.
    with transaction.atomic():
        current = BulkImport.objects.select_for_update().get(pk=bulk.pk)
        bulk.report = current.report + _lines_of_people_still_here(report)
        if current.status in BulkImport.ENDED:
            bulk.status, bulk.error, bulk.finished_at = current.status, current.error, current.finished_at
        elif failure:
            bulk.status, bulk.error = BulkImport.FAILED, failure
        elif bulk.next_entry >= len(bulk.plan):
            bulk.status = BulkImport.DONE
        bulk.progressed_at = timezone.now()
        if bulk.status in BulkImport.ENDED:
            bulk.finished_at, bulk.plan = bulk.finished_at or timezone.now(), []
            archive_drop(bulk)
        bulk.save()


def _lines_of_people_still_here(report: list[dict]) -> list[dict]:
    """The batch's lines less those of a person erased while it ran (erasure cleaned the saved ones)."""
    ids = {line["person_id"] for line in report if line.get("person_id")}
    here = set(Person.objects.filter(pk__in=ids).values_list("pk", flat=True))
    return [line for line in report if not line.get("person_id") or line["person_id"] in here]


def import_cancel(*, bulk: BulkImport) -> BulkImport:
    """Stop after the batch at work: what is enrolled stays (running the import again goes on).
    Its ZIP and plan are deleted now: a batch at work finishes with what it holds or fails at its
    next read of the ZIP, and the cancel stands either way."""
    with transaction.atomic():
        bulk = import_end(bulk=BulkImport.objects.select_for_update().get(pk=bulk.pk), status=BulkImport.CANCELLED)
    import_push(bulk)
    return bulk
