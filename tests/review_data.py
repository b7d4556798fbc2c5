"""Builders for review/attendance/retention tests: real rows with small real JPEG files,
made directly with the ORM (the worker is not the point of those tests)."""

import datetime as dt
import io
import itertools

import numpy as np
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from identity.models import Camera, FaceSample, MatchLog, Person, ProvisionalIdentity, Snapshot, embedding_to_bytes
from imports.models import BulkImport

_counter = itertools.count(1)


def engine_model_id() -> str:
    from identity.face_engine import get_face_engine

    return get_face_engine().model_id


def jpeg_bytes(size: int = 24, shade: int = 128) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), (shade, 100, 200 - shade // 2)).save(buffer, format="JPEG")
    return buffer.getvalue()


def unit_vector(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).standard_normal(512).astype(np.float32)
    return vector / np.linalg.norm(vector)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def make_camera(name: str = "Front door", threshold: float | None = None) -> Camera:
    return Camera.objects.create(name=name, threshold=threshold)


ENROLLED_AT = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def make_person(name: str, code: str | None = None, *, with_sample: bool = True) -> Person:
    # Enrolled before the days the tests use (2026-03), so those days expect them.
    person = Person.objects.create(name=name, code=code, consent_given_at=timezone.now(), created_at=ENROLLED_AT)
    if with_sample:
        sample = FaceSample(
            person=person, status=FaceSample.ACCEPTED, model_id=engine_model_id(),
            embedding=embedding_to_bytes(unit_vector(person.pk)), processed_at=timezone.now(),
        )
        sample.photo.save("photo.jpg", ContentFile(jpeg_bytes(48)), save=False)
        sample.crop.save("crop.jpg", ContentFile(jpeg_bytes()), save=False)
        sample.save()
    return person


def make_snapshot(received_at: dt.datetime, camera: Camera | None = None) -> Snapshot:
    snapshot = Snapshot(camera=camera, received_at=received_at, status=Snapshot.DONE, processed_at=received_at)
    snapshot.image.save("frame.jpg", ContentFile(jpeg_bytes(64)), save=False)
    snapshot.save()
    return snapshot


def make_provisional(label: str, *, last_seen: dt.datetime | None = None) -> ProvisionalIdentity:
    last_seen = last_seen or timezone.now()
    return ProvisionalIdentity.objects.create(
        label=label, embeddings=embedding_to_bytes(unit_vector(sum(map(ord, label)))), model_id=engine_model_id(),
        first_seen=last_seen, last_seen=last_seen,
    )


def make_log(
    *,
    seen_at: dt.datetime,
    person: Person | None = None,
    best_person: Person | None = None,
    similarity: float | None = 0.5,
    margin: float | None = 0.2,
    threshold: float | None = 0.3,
    camera: Camera | None = None,
    snapshot: Snapshot | None = None,
    provisional: ProvisionalIdentity | None = None,
    quality_score: float = 0.8,
) -> MatchLog:
    """A known face when `person` is given, else an unknown one (best guess `best_person`)."""
    snapshot = snapshot or make_snapshot(seen_at, camera)
    index = snapshot.logs.count()
    known = person is not None
    log = MatchLog(
        snapshot=snapshot,
        face_index=index,
        box=[1, 2, 30, 40],
        embedding=embedding_to_bytes(unit_vector(next(_counter) + 10_000)),
        model_id=engine_model_id(),
        quality={"score": quality_score},
        person=person,
        best_person=person if known else best_person,
        similarity=similarity,
        margin=margin,
        threshold=threshold,
        provisional=provisional,
        assigned_id=person.display_id if known else (provisional.label if provisional else "U-0000"),
        decision=MatchLog.KNOWN if known else MatchLog.UNKNOWN,
        created_at=seen_at,
    )
    log.crop.save("face.jpg", ContentFile(jpeg_bytes()), save=False)
    log.save()
    return log


def media_files(media_root) -> list[str]:
    """Every file under the media folder, as relative paths."""
    from pathlib import Path

    root = Path(media_root)
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def websocket_route_ids() -> dict:
    """Real rows for every id a websocket route names (identity/routing.py, attendance/routing.py)."""
    from attendance.models import Group

    return {"person_id": make_person("Ada", with_sample=False).pk, "camera_id": make_camera("Front door").pk,
            "import_id": BulkImport.objects.create(source="staff.zip").pk,
            "group_id": Group.objects.create(name="7A").pk}
