"""Several worker machines against one PostgreSQL and one Redis, as the README's multi-machine
setup runs them: two real Celery workers with their own host names share the work, a person
enrolled through one is recognised by the other, and a worker that dies mid-task loses nothing
(the stale sweep, as the scheduler runs it, gives its task to the other)."""

import datetime as dt
import os
import re
import signal

import pytest

from identity.models import FaceSample, MatchLog, Snapshot
from identity.services import enrolment, recognition
from tests import celery_workers, faces_data
from tests.waiting import wait_until

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                       reason="several machines share PostgreSQL and Redis: the suite's PostgreSQL run"),
]
E2E = faces_data.FIXTURES / "e2e"
MACHINES = ("machine-a", "machine-b")


def _ran(log_dir, machine: str, task: str) -> int:
    """How many `task`s the machine's worker finished, from its log."""
    text = (log_dir / f"{machine}.log").read_text(errors="replace")
    return len(re.findall(rf"Task {re.escape(task)}\[[^\]]+\] succeeded", text))


def _ready(log_dir, machine: str) -> bool:
    path = log_dir / f"{machine}.log"
    return path.exists() and "ready." in path.read_text(errors="replace")


def _recognitions_logged(log_dir, count: int) -> dict | None:
    """{machine: recognitions it finished} once the logs hold `count` in all (log lines lag the rows)."""
    ran = {machine: _ran(log_dir, machine, "identity.tasks.snapshot_recognize_task") for machine in MACHINES}
    return ran if sum(ran.values()) >= count else None


def _submit(path) -> Snapshot:
    return recognition.snapshot_submit(image=(path.name, path.read_bytes()))


def _done(snapshots: list[Snapshot]) -> bool:
    return Snapshot.objects.filter(pk__in=[s.pk for s in snapshots], status=Snapshot.DONE).count() == len(snapshots)


def test_it_spreads_work_over_two_machines_and_one_recognises_whom_the_other_enrolled(tmp_path,
                                                                                    empty_broker):
    with celery_workers.workers(tmp_path) as start:
        workers = {machine: start(machine) for machine in MACHINES}
        for machine in MACHINES:
            wait_until(lambda machine=machine: _ready(tmp_path, machine), f"{machine} to be ready")

        _, (sample,) = enrolment.person_enroll(name="Colin Powell", code="CP", consent=True,
                                               photos=[("cp.jpg", (E2E / "Colin_Powell_0001.jpg").read_bytes())])
        wait_until(lambda: FaceSample.objects.filter(pk=sample.pk, status=FaceSample.ACCEPTED).exists(), "the photo")
        snapshots = [_submit(path) for path in sorted(E2E.glob("*_000[12].jpg")) if "Colin" not in path.name]
        wait_until(lambda: _done(snapshots), "every snapshot")
        ran = wait_until(lambda: _recognitions_logged(tmp_path, len(snapshots)), "the workers' logs")

        enrolled_by = next(m for m in MACHINES if _ran(tmp_path, m, "identity.tasks.sample_process_task"))
        celery_workers.kill_group(workers[enrolled_by])  # the machine that enrolled him is gone
        probe = _submit(E2E / "Colin_Powell_0002.jpg")
        wait_until(lambda: _done([probe]), "the other machine to recognise him")
        wait_until(lambda: _recognitions_logged(tmp_path, len(snapshots) + 1), "the other machine's log")

    assert sum(ran.values()) == len(snapshots) and all(ran.values()), ran  # both machines took work
    other = next(m for m in MACHINES if m != enrolled_by)
    assert _ran(tmp_path, other, "identity.tasks.snapshot_recognize_task") == ran[other] + 1
    log = MatchLog.objects.get(snapshot=probe)
    assert (log.decision, log.person.code) == (MatchLog.KNOWN, "CP")


def test_it_loses_nothing_when_a_machine_dies_mid_task(tmp_path, stalled_photo):
    with celery_workers.workers(tmp_path) as start:
        workers = {machine: start(machine) for machine in MACHINES}
        for machine in MACHINES:
            wait_until(lambda machine=machine: _ready(tmp_path, machine), f"{machine} to be ready")
        snapshot = stalled_photo()
        wait_until(lambda: celery_workers.processing(snapshot.pk), "a machine to take the photo")
        took = next(m for m in MACHINES if "snapshot_recognize_task" in (tmp_path / f"{m}.log").read_text(
            errors="replace") and "received" in (tmp_path / f"{m}.log").read_text(errors="replace"))

        os.killpg(workers[took].pid, signal.SIGKILL)  # the machine is gone with its task
        workers[took].wait(30)
        stalled_photo.release()
        requeued = recognition.snapshots_requeue_stale(older_than=dt.timedelta(0))  # the scheduler's sweep
        done = wait_until(lambda: Snapshot.objects.filter(pk=snapshot.pk, status=Snapshot.DONE).first(),
                          "the other machine to finish it")

    assert requeued == [snapshot.pk]
    assert (done.face_count, done.logs.count()) == (celery_workers.GROUP_FACES, celery_workers.GROUP_FACES)


def test_it_shares_media_through_a_bucket_between_machines_that_share_no_folder(tmp_path, empty_broker, s3_media):
    folders = {machine: tmp_path / f"{machine}-data" for machine in MACHINES}  # each machine's own FACEAPP_DATA_DIR
    with celery_workers.workers(tmp_path) as start:
        for machine, folder in folders.items():
            folder.mkdir()
            start(machine, FACEAPP_DATA_DIR=str(folder), **s3_media.env())
        for machine in MACHINES:
            wait_until(lambda machine=machine: _ready(tmp_path, machine), f"{machine} to be ready")

        _, (sample,) = enrolment.person_enroll(name="Colin Powell", code="CP", consent=True,
                                               photos=[("cp.jpg", (E2E / "Colin_Powell_0001.jpg").read_bytes())])
        wait_until(lambda: FaceSample.objects.filter(pk=sample.pk, status=FaceSample.ACCEPTED).exists(), "the photo")
        snapshots = [_submit(path) for path in sorted(E2E.glob("*_000[12].jpg"))]
        wait_until(lambda: _done(snapshots), "every snapshot")
        ran = wait_until(lambda: _recognitions_logged(tmp_path, len(snapshots)), "the workers' logs")

    assert all(ran.values()), ran  # both machines read photos from the bucket
    logs = MatchLog.objects.filter(snapshot__in=snapshots)
    assert {log.person.code for log in logs.filter(decision=MatchLog.KNOWN)} == {"CP"}
    sample.refresh_from_db()
    stored = {sample.photo.name, sample.crop.name, *[s.image.name for s in Snapshot.objects.filter(pk__in=[
        s.pk for s in snapshots])], *logs.values_list("crop", flat=True)}
    assert stored == set(s3_media.keys())
    assert [folder for folder in folders.values() if (folder / "media").exists()] == []
    assert s3_media.local_files() == []
