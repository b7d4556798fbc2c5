"""The process's recognizer (identity.live.Recognizer) with the Django data behind it: the
gallery (reloaded when its shared version moves), the strangers' registry (loaded once, then
kept in memory; reloaded when the strangers' version moves, or every STRANGERS_RELOAD_SECONDS
to learn what other processes learnt of known strangers), thresholds from settings. New
strangers' labels come from a database row's primary key, so no lock is needed to keep them
unique; other processes learn a new stranger on their next frame (STRANGERS_NEWEST_KEY)."""

import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from identity.face_engine import get_face_engine
from identity.live.recognizer import Recognizer, Thresholds
from identity.matching import StrangerRegistry
from identity.models import ProvisionalIdentity, embedding_from_bytes, embedding_to_bytes
from identity.services.calibration import default_match_threshold
from identity.services.gallery import gallery_current

STRANGER_MEMORY = 2000  # most recently seen provisional identities a new face is compared with
STRANGERS_RELOAD_SECONDS = 60.0
STRANGERS_VERSION_KEY = "strangers-version"  # moved when strangers are promoted or deleted
STRANGERS_NEWEST_KEY = "strangers-newest"  # the primary key of the newest stranger committed

_lock = threading.Lock()
_EMPTY = {"recognizer": None, "model_id": None, "version": None, "loaded_at": 0.0, "newest": 0}
_state: dict = dict(_EMPTY)


def thresholds_from_settings() -> Thresholds:
    return Thresholds(
        name=default_match_threshold(), margin=settings.FACEAPP_MATCH_MARGIN,
        unknown=settings.FACEAPP_UNKNOWN_THRESHOLD, stranger=settings.FACEAPP_STRANGER_THRESHOLD,
        strong=settings.FACEAPP_TRACK_STRONG_THRESHOLD,
    )


def _strangers_add(registry: StrangerRegistry, rows, dim: int) -> int:
    """Add (label, embeddings, pk) rows not yet in the registry; the highest pk seen."""
    newest, present = 0, set(registry.labels)
    for label, data, pk in rows:
        newest = max(newest, pk)
        examples = embedding_from_bytes(data)
        if examples.size and label not in present:
            registry.add(label, examples.reshape(-1, dim))
    return newest


def _strangers(model_id: str):
    return ProvisionalIdentity.objects.filter(promoted_to__isnull=True, model_id=model_id)


def strangers_load(*, model_id: str, dim: int) -> tuple[StrangerRegistry, int]:
    """The most recently seen unpromoted provisional identities of `model_id` (`dim`-wide),
    and the newest primary key among them."""
    registry = StrangerRegistry()
    rows = _strangers(model_id).order_by("-last_seen").values_list("label", "embeddings", "pk")[:STRANGER_MEMORY]
    return registry, _strangers_add(registry, rows, dim)


def stranger_create(*, model_id: str) -> str:
    """A new provisional identity row; its label comes from its primary key (U-0042). Other
    processes load it once it is committed."""
    now = timezone.now()
    row = ProvisionalIdentity.objects.create(
        label=f"new-{time.monotonic_ns()}", embeddings=b"", model_id=model_id, first_seen=now, last_seen=now,
        sightings=0,
    )
    row.label = f"U-{row.pk:04d}"
    row.save(update_fields=["label"])
    transaction.on_commit(lambda: cache.set(STRANGERS_NEWEST_KEY, row.pk, timeout=None))
    return row.label


def strangers_changed() -> None:
    """Provisional identities were promoted or deleted: every process reloads its registry."""
    cache.set(STRANGERS_VERSION_KEY, time.time_ns(), timeout=None)


def stranger_seen(*, recognizer: Recognizer, label: str, seen_at) -> None:
    """Store what the recognizer now knows of a stranger: its examples and one more sighting."""
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
    model_id = get_face_engine().model_id
    gallery = gallery_current()
    dim = gallery.dim
    shared = cache.get_many([STRANGERS_VERSION_KEY, STRANGERS_NEWEST_KEY])
    version, newest = shared.get(STRANGERS_VERSION_KEY), shared.get(STRANGERS_NEWEST_KEY) or 0
    with _lock:
        recognizer = _state["recognizer"]
        stale = (
            recognizer is None or _state["model_id"] != model_id or _state["version"] != version
            or time.monotonic() - _state["loaded_at"] > STRANGERS_RELOAD_SECONDS
        )
        if stale:
            strangers, loaded_newest = strangers_load(model_id=model_id, dim=dim)
            if recognizer is None or _state["model_id"] != model_id:
                recognizer = Recognizer(
                    gallery=gallery, strangers=strangers, thresholds=thresholds_from_settings(),
                    new_stranger=lambda: stranger_create(model_id=model_id),
                )
            else:
                recognizer.set_strangers(strangers)
            _state.update(recognizer=recognizer, model_id=model_id, version=version, loaded_at=time.monotonic(),
                          newest=loaded_newest)
        elif newest > _state["newest"]:
            # Another process met new strangers: add them, so that it and we agree on their labels.
            rows = _strangers(model_id).filter(pk__gt=_state["newest"]).values_list("label", "embeddings", "pk")
            _state["newest"] = max(newest, recognizer.strangers_update(lambda registry: _strangers_add(registry, rows, dim)))
        recognizer.set_gallery(gallery)
        return recognizer


def recognizer_forget() -> None:
    """Drop this process's recognizer (tests, or after a rolled-back write of new strangers)."""
    with _lock:
        _state.update(_EMPTY)
