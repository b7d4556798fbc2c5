"""The enrolled gallery as one matrix, cached per process and refreshed when enrolment
changes: a version number in the shared (Redis) cache says when to reload."""

import threading
import uuid

import numpy as np
from django.core.cache import cache

from identity.matching import Gallery
from identity.models import FaceSample, embedding_from_bytes

VERSION_KEY = "gallery-version"

_lock = threading.Lock()
_cached: dict[str, Gallery] = {}  # model_id -> gallery; the gallery carries its version


def gallery_load(*, model_id: str) -> Gallery:
    """Accepted samples of active people made by `model_id`, as one Gallery."""
    rows = list(
        FaceSample.objects.filter(
            status=FaceSample.ACCEPTED, model_id=model_id, person__active=True, embedding__isnull=False
        ).values_list("person_id", "embedding")
    )
    if not rows:
        return Gallery.empty()
    person_ids = [person_id for person_id, _ in rows]
    embeddings = np.stack([embedding_from_bytes(data) for _, data in rows])
    return Gallery(embeddings, person_ids)


def _shared_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        # First process after a Redis restart: all agree on whichever value landed first.
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(VERSION_KEY)
    return str(version)


def gallery_current() -> Gallery:
    """The process's cached Gallery for the configured engine; reloaded only when the
    shared version (in the Redis cache) moved since it was loaded."""
    from identity.engine import get_face_engine

    model_id = get_face_engine().model_id
    # Read the version BEFORE loading: a change made during the load moves it again.
    version = _shared_version()
    with _lock:
        gallery = _cached.get(model_id)
        if gallery is not None and gallery.version == version:
            return gallery
    gallery = gallery_load(model_id=model_id)
    gallery.version = version
    with _lock:
        _cached[model_id] = gallery
    return gallery


def gallery_forget() -> None:
    """Drop this process's cached galleries (the next use reloads)."""
    with _lock:
        _cached.clear()


def gallery_changed() -> None:
    """Bump the shared version: every process reloads its gallery on next use."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
