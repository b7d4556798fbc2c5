"""The enrolled gallery, cached per process and refreshed when enrolment changes: a version
number in the shared (Redis) cache says when to reload. Each version is one file under
FACEAPP_DATA_DIR/index/ (identity.matching.Gallery.save: rows, people, search index), built
from the database by the first process that needs it while the others wait on a file lock,
then memory-mapped by every process, so a machine's workers share one copy of it. Each sample
brings its plain embedding and, for adaptive flip mode, its flip embedding (filled lazily here
for samples enrolled before there was one)."""

import fcntl
import logging
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet

from identity.face_engine import get_face_engine
from identity.matching import Gallery
from identity.models import FaceSample, MatchLog, embedding_from_bytes, embedding_to_bytes
from identity.vision import FaceEngine
from identity.vision.align import CROP_SIZE

VERSION_KEY = "gallery-version"
FILL_BATCH = 64  # crops mirrored per model call when filling flip embeddings
INDEX_FOLDER = "index"  # under settings.DATA_DIR
GALLERY_SUFFIX = ".gallery"

log = logging.getLogger(__name__)
_lock = threading.Lock()
_cached: dict[str, Gallery] = {}  # model_id -> gallery; the gallery carries its version
_distrusted: set[str] = set()  # versions whose file predates a change made by this process


def gallery_load(*, model_id: str, mirror_with: FaceEngine | None = None) -> Gallery:
    """Accepted samples of active people made by `model_id`, as one Gallery with their flip
    embeddings. `mirror_with` (an adaptive-mode engine) first fills the flip embeddings that
    samples lack (:func:`flip_fill`); a sample still without one searches with its plain one."""
    samples = FaceSample.objects.filter(
        status=FaceSample.ACCEPTED, model_id=model_id, person__active=True, embedding__isnull=False
    )
    if mirror_with is not None:
        flip_fill(samples=samples.filter(flip_embedding__isnull=True), engine=mirror_with)
    rows = list(samples.values_list("person_id", "embedding", "flip_embedding"))
    if not rows:
        return Gallery.empty()
    person_ids = [person_id for person_id, _, _ in rows]
    embeddings = np.stack([embedding_from_bytes(data) for _, data, _ in rows])
    flips = np.stack([plain if flip is None else embedding_from_bytes(flip)
                      for plain, (_, _, flip) in zip(embeddings, rows)])
    rejected = rejections_load(model_id=model_id)
    rejections = np.stack([embedding_from_bytes(data) for _, data in rejected]) if rejected else None
    return Gallery(embeddings, person_ids, flip_embeddings=flips, rejections=rejections,
                   rejected_ids=[person_id for person_id, _ in rejected])


def rejections_load(*, model_id: str) -> list[tuple[int, bytes]]:
    """(person id, embedding) of each face a reviewer rejected as the person it was named."""
    logs = MatchLog.objects.filter(
        review_status=MatchLog.REJECTED, person__isnull=False, model_id=model_id, embedding__isnull=False
    )
    return [(person_id, bytes(data)) for person_id, data in logs.values_list("person_id", "embedding")]


def flip_fill(*, samples: QuerySet, engine: FaceEngine) -> int:
    """Compute and store the flip embeddings of plain samples enrolled without one (before
    adaptive mode): their stored aligned crop mirrored, with their stored plain embedding.
    Once per sample, by whichever process gets there first; returns how many were filled."""
    filled = 0
    pending = list(samples.exclude(crop="").values_list("pk", "embedding", "crop"))
    for start in range(0, len(pending), FILL_BATCH):
        batch, crops, plain = [], [], []
        for pk, data, name in pending[start : start + FILL_BATCH]:
            crop = _crop_read(name)
            if crop is not None:
                batch.append(pk)
                crops.append(crop)
                plain.append(embedding_from_bytes(data))
        if not batch:
            continue
        for pk, vector in zip(batch, engine.flip_embeddings(np.stack(crops), np.stack(plain))):
            filled += FaceSample.objects.filter(pk=pk, flip_embedding__isnull=True).update(
                flip_embedding=embedding_to_bytes(vector))
    if filled:
        log.info("filled the flip embeddings of %d enrolled samples for adaptive flip mode", filled)
    return filled


def _crop_read(name: str) -> np.ndarray | None:
    """A sample's stored aligned crop as BGR, or None when the file is gone or unreadable."""
    storage = FaceSample._meta.get_field("crop").storage
    try:
        with storage.open(name, "rb") as handle:
            data = np.frombuffer(handle.read(), np.uint8)
    except OSError:
        return None
    crop = cv2.imdecode(data, cv2.IMREAD_COLOR)
    return crop if crop is not None and crop.shape[:2] == (CROP_SIZE, CROP_SIZE) else None


def _shared_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        # First process after a Redis restart: all agree on whichever value landed first.
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(VERSION_KEY)
    return str(version)


def gallery_path(*, model_id: str, version: str) -> Path:
    """The file of one version of one model's gallery."""
    return Path(settings.DATA_DIR) / INDEX_FOLDER / f"{_file_stem(model_id)}.{_file_stem(version)}{GALLERY_SUFFIX}"


def _file_stem(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_+-]", "_", name)  # no dot or slash: the version follows the first dot


@contextmanager
def _build_lock(path: Path) -> Iterator[None]:
    """One process at a time builds a model's gallery files (an exclusive flock beside them)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / f"{path.name.split('.')[0]}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _older_removed(path: Path) -> None:
    """Remove the model's other gallery files: processes that map one keep their mapping."""
    stem = path.name.split(".")[0]
    for other in path.parent.glob(f"{stem}.*{GALLERY_SUFFIX}"):
        if other != path and other.name.count(".") == 2:
            other.unlink(missing_ok=True)


def gallery_mapped(*, model_id: str, version: str, mirror_with: FaceEngine | None = None) -> Gallery:
    """The gallery of `version`, memory-mapped from its file, which the first process to need
    it builds from the database (:func:`gallery_load`) while the others wait for it."""
    path = gallery_path(model_id=model_id, version=version)
    if not path.exists():
        with _build_lock(path):
            if not path.exists():  # else another process built it while we waited
                started = time.perf_counter()
                gallery = gallery_load(model_id=model_id, mirror_with=mirror_with)
                gallery.version = version
                gallery.save(path)
                _older_removed(path)
                kind = gallery.index.kind if gallery.index else "no"
                log.info("built the gallery file %s (%d samples, %s index) in %.1f s", path.name,
                         gallery.sample_count, kind, time.perf_counter() - started)
    return Gallery.open(path)


def gallery_current() -> Gallery:
    """The process's cached Gallery for the configured engine; reloaded only when the
    shared version (in the Redis cache) moved since it was loaded."""
    engine = get_face_engine()
    model_id = engine.model_id
    # Read the version BEFORE loading: a change made during the load moves it again.
    version = _shared_version()
    with _lock:
        gallery = _cached.get(model_id)
        if gallery is not None and gallery.version == version:
            return gallery
        distrusted = version in _distrusted
    mirror_with = engine if engine.adaptive else None
    gallery = None
    if not distrusted:
        try:
            gallery = gallery_mapped(model_id=model_id, version=version, mirror_with=mirror_with)
        except (OSError, ValueError) as exc:  # unwritable folder, full disk, removed by a newer version
            log.warning("gallery file unusable (%s): loading the gallery into this process only", exc)
    if gallery is None:
        gallery = gallery_load(model_id=model_id, mirror_with=mirror_with)
    gallery.version = version
    with _lock:
        _cached[model_id] = gallery
    return gallery


def gallery_forget() -> None:
    """Drop this process's cached galleries: the next use reloads them from the database, not
    from the current version's file, which predates a change this process made and whose
    version bump has not arrived yet; the next version is mapped from its file again."""
    shared = cache.get(VERSION_KEY)
    with _lock:
        _distrusted.clear()
        _distrusted.update(gallery.version for gallery in _cached.values())
        if shared is not None:
            _distrusted.add(str(shared))
        _cached.clear()


def gallery_files_remove() -> int:
    """Delete this machine's gallery files now: an erased person's embeddings are in them. Processes
    that map one keep it until they see the version move; the next use builds the new one."""
    files = list((Path(settings.DATA_DIR) / INDEX_FOLDER).glob(f"*{GALLERY_SUFFIX}"))
    for path in files:
        path.unlink(missing_ok=True)
    return len(files)


def gallery_changed() -> None:
    """Bump the shared version: every process reloads its gallery on next use."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
