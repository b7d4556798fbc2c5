"""The duplicates list's search, every enrolled face against every other (quadratic: 15,000
faces took 14 s on 2 cores), kept in the cache for the gallery's version and threshold. While
the gallery is small the page computes it at once; above FACEAPP_DUPLICATES_INLINE_FACES a
worker does, and the page shows the last list meanwhile, saying so."""

from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.core.cache import cache

from identity.matching import similar_pairs
from identity.models import embedding_from_bytes
from identity.services import gallery_log
from identity.services.calibration import threshold_for
from identity.services.gallery_rows import gallery_samples
from identity.services.queueing import task_enqueue

KEPT_SECONDS = 7 * 24 * 3600  # a stale list still shows while the next one is computed
REFRESH_CLAIM_SECONDS = 3600  # one worker computes one version's list at a time


@dataclass(frozen=True)
class DuplicateSearch:
    pairs: list[tuple[int, int, float]]  # (person id, person id, their closest faces' similarity), most alike first
    current: bool  # False: the list of an earlier gallery, a worker is bringing it up to date


def _key(model_id: str) -> str:
    return f"duplicates:{model_id}"


def _state() -> dict:
    """What a computed list is valid for: read before computing, so a change meanwhile makes it stale."""
    return {"version": gallery_log.head_read(), "threshold": threshold_for(None)}


def duplicates_compute(*, model_id: str) -> DuplicateSearch:
    """Search the gallery now and keep the list for this version (the worker's job)."""
    return _computed(model_id, _state())


def _computed(model_id: str, state: dict) -> DuplicateSearch:
    by_person: dict[int, list[np.ndarray]] = {}
    for person_id, embedding in gallery_samples(model_id=model_id).order_by("person_id", "id").values_list(
            "person_id", "embedding"):
        by_person.setdefault(person_id, []).append(embedding_from_bytes(embedding))
    ids = list(by_person)
    found = similar_pairs([np.vstack(by_person[pid]) for pid in ids], threshold=state["threshold"])
    pairs = [(ids[i], ids[j], alike) for i, j, alike in found]
    cache.set(_key(model_id), {**state, "pairs": pairs}, KEPT_SECONDS)
    return DuplicateSearch(pairs=pairs, current=True)


def duplicates_found(*, model_id: str) -> DuplicateSearch:
    """The list for the gallery as it is: from the cache, computed at once when small, else the
    last one while a worker computes the next."""
    kept, state = cache.get(_key(model_id)), _state()
    if kept is not None and {key: kept[key] for key in state} == state:
        return DuplicateSearch(pairs=kept["pairs"], current=True)
    if gallery_samples(model_id=model_id).count() <= settings.FACEAPP_DUPLICATES_INLINE_FACES:
        return _computed(model_id, state)
    if cache.add(f"{_key(model_id)}:refresh:{state['version']}", 1, REFRESH_CLAIM_SECONDS):
        from identity.tasks import duplicates_compute_task  # tasks import the services

        task_enqueue(duplicates_compute_task, model_id)
    return DuplicateSearch(pairs=kept["pairs"] if kept else [], current=False)
