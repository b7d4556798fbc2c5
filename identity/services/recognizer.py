"""The process's recognizer (identity.live.Recognizer) with the Django data behind it: the
gallery (reloaded when its shared version moves), the strangers' registry (loaded once, then
kept in memory; reloaded when the strangers' version moves or every STRANGERS_RELOAD_SECONDS
to learn other processes' strangers), thresholds from settings. New strangers' labels come
from a database row's primary key, so no lock is needed to keep them unique."""

import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from identity.live.recognizer import Recognizer, Thresholds
from identity.matching import StrangerRegistry
from identity.models import ProvisionalIdentity, embedding_from_bytes, embedding_to_bytes
from identity.services.calibration import default_match_threshold
from identity.services.gallery import gallery_current

STRANGER_MEMORY = 2000  # most recently seen provisional identities a new face is compared with
STRANGERS_RELOAD_SECONDS = 60.0
STRANGERS_VERSION_KEY = "strangers-version"

_lock = threading.Lock()
_state: dict = {"recognizer": None, "model_id": None, "version": None, "loaded_at": 0.0}


def thresholds_from_settings() -> Thresholds:
    return Thresholds(
        name=default_match_threshold(), margin=settings.FACEAPP_MATCH_MARGIN,
        unknown=settings.FACEAPP_UNKNOWN_THRESHOLD, stranger=settings.FACEAPP_STRANGER_THRESHOLD,
        strong=settings.FACEAPP_TRACK_STRONG_THRESHOLD,
    )


def strangers_load(*, model_id: str, dim: int) -> StrangerRegistry:
    """The most recently seen unpromoted provisional identities of `model_id` (`dim`-wide)."""
    registry = StrangerRegistry()
    rows = ProvisionalIdentity.objects.filter(promoted_to__isnull=True, model_id=model_id).order_by("-last_seen")
    for label, data in rows.values_list("label", "embeddings")[:STRANGER_MEMORY]:
        examples = embedding_from_bytes(data)
        if examples.size:
            registry.add(label, examples.reshape(-1, dim))
    return registry


def stranger_create(*, model_id: str) -> str:
    """A new provisional identity row; its label comes from its primary key (U-0042)."""
    now = timezone.now()
    row = ProvisionalIdentity.objects.create(
        label=f"new-{time.monotonic_ns()}", embeddings=b"", model_id=model_id, first_seen=now, last_seen=now,
        sightings=0,
    )
    row.label = f"U-{row.pk:04d}"
    row.save(update_fields=["label"])
    return row.label


def strangers_changed() -> None:
    """Provisional identities were promoted or deleted: every process reloads its registry."""
    cache.set(STRANGERS_VERSION_KEY, time.time_ns(), timeout=None)


def stranger_seen(*, recognizer: Recognizer, label: str, seen_at) -> None:
    """Store what the recognizer now knows of a stranger: its examples and one more sighting."""
    from django.db.models import F
    from django.db.models.functions import Greatest

    try:
        examples = recognizer.strangers.examples(label)
    except ValueError:
        return  # reloaded meanwhile without it (promoted or purged)
    ProvisionalIdentity.objects.filter(label=label).update(
        embeddings=embedding_to_bytes(examples), last_seen=Greatest(F("last_seen"), seen_at),
        sightings=F("sightings") + 1,
    )


def recognizer_current() -> Recognizer:
    """This process's recognizer, its gallery and strangers up to date."""
    from identity.engine import get_face_engine

    model_id = get_face_engine().model_id
    gallery = gallery_current()
    version = cache.get(STRANGERS_VERSION_KEY)
    with _lock:
        recognizer = _state["recognizer"]
        stale = (
            recognizer is None or _state["model_id"] != model_id or _state["version"] != version
            or time.monotonic() - _state["loaded_at"] > STRANGERS_RELOAD_SECONDS
        )
        if stale:
            strangers = strangers_load(model_id=model_id, dim=gallery.matrix.shape[1])
            if recognizer is None or _state["model_id"] != model_id:
                recognizer = Recognizer(
                    gallery=gallery, strangers=strangers, thresholds=thresholds_from_settings(),
                    new_stranger=lambda: stranger_create(model_id=model_id),
                )
            else:
                recognizer.set_strangers(strangers)
            _state.update(recognizer=recognizer, model_id=model_id, version=version, loaded_at=time.monotonic())
        recognizer.set_gallery(gallery)
        return recognizer


def recognizer_forget() -> None:
    """Drop this process's recognizer (tests, or after a rolled-back write of new strangers)."""
    with _lock:
        _state.update(recognizer=None, model_id=None, version=None, loaded_at=0.0)
