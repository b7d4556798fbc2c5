"""The gallery's rows from the database: the accepted samples of active people (plain and flip
embeddings, with their ids) and the faces reviewers rejected as someone. Flip embeddings that
samples enrolled before adaptive mode lack are filled here, once, from their stored crops."""

import logging

import cv2
import numpy as np
from django.db.models import Exists, OuterRef, QuerySet

from identity.matching import Gallery
from identity.matching.live_gallery import SampleRows
from identity.models import FaceSample, MatchLog, Person, embedding_from_bytes, embedding_to_bytes
from identity.services.files import file_bytes
from identity.vision import FaceEngine
from identity.vision.align import CROP_SIZE

FILL_BATCH = 64  # crops mirrored per model call when filling flip embeddings

log = logging.getLogger(__name__)


def gallery_load(*, model_id: str, mirror_with: FaceEngine | None = None) -> Gallery:
    """Accepted samples of active people made by `model_id`, as one Gallery with their flip
    embeddings and sample ids. `mirror_with` (an adaptive-mode engine) first fills the flip
    embeddings that samples lack (:func:`flip_fill`); a sample still without one searches with its plain one."""
    rows = sample_rows(samples=gallery_samples(model_id=model_id), mirror_with=mirror_with)
    if rows is None:
        return Gallery.empty()
    rejections, rejected_ids = rejections_of(model_id=model_id)
    return Gallery(rows.embeddings, rows.person_ids, flip_embeddings=rows.flips, rejections=rejections,
                   rejected_ids=rejected_ids, sample_ids=rows.sample_ids)


def gallery_samples(*, model_id: str) -> QuerySet:
    """The samples a gallery of `model_id` holds: accepted, of active people, with an embedding."""
    return FaceSample.objects.filter(
        status=FaceSample.ACCEPTED, model_id=model_id, person__active=True, embedding__isnull=False
    )


def people_without_model(*, model_id: str) -> QuerySet:
    """Active people with accepted photos none of which `model_id` embedded: its gallery cannot
    name them (until ``manage.py reembed``), though they are enrolled."""
    accepted = FaceSample.objects.filter(person_id=OuterRef("pk"), status=FaceSample.ACCEPTED, embedding__isnull=False)
    return (Person.objects.filter(active=True).filter(Exists(accepted))
            .exclude(Exists(gallery_samples(model_id=model_id).filter(person_id=OuterRef("pk")))))


def sample_rows(*, samples: QuerySet, mirror_with: FaceEngine | None = None) -> SampleRows | None:
    """`samples` as rows (their flip embeddings filled first with `mirror_with`); None for none."""
    if mirror_with is not None:
        flip_fill(samples=samples.filter(flip_embedding__isnull=True), engine=mirror_with)
    rows = list(samples.values_list("pk", "person_id", "embedding", "flip_embedding"))
    if not rows:
        return None
    embeddings = np.stack([embedding_from_bytes(data) for _, _, data, _ in rows])
    flips = np.stack([plain if flip is None else embedding_from_bytes(flip)
                      for plain, (_, _, _, flip) in zip(embeddings, rows)])
    return SampleRows(np.array([pk for pk, _, _, _ in rows], np.int64),
                      np.array([person for _, person, _, _ in rows], np.int64), embeddings, flips)


def rejections_of(*, model_id: str, person_ids=None) -> tuple[np.ndarray | None, list[int]]:
    """(rows, person ids) of the faces rejected as each person (of `person_ids` only, if given)."""
    rejected = rejections_load(model_id=model_id, person_ids=person_ids)
    rejections = np.stack([embedding_from_bytes(data) for _, data in rejected]) if rejected else None
    return rejections, [person_id for person_id, _ in rejected]


def rejections_load(*, model_id: str, person_ids=None) -> list[tuple[int, bytes]]:
    """(person id, embedding) of each face a reviewer rejected as the person it was named."""
    logs = MatchLog.objects.filter(
        review_status=MatchLog.REJECTED, person__isnull=False, model_id=model_id, embedding__isnull=False
    )
    if person_ids is not None:
        logs = logs.filter(person_id__in=list(person_ids))
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
            crop = crop_read(name)
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


def crop_read(name: str) -> np.ndarray | None:
    """A sample's stored aligned crop as BGR, or None when the file is gone or unreadable."""
    try:
        data = np.frombuffer(file_bytes(FaceSample(crop=name).crop), np.uint8)
    except OSError:
        return None
    crop = cv2.imdecode(data, cv2.IMREAD_COLOR)
    return crop if crop is not None and crop.shape[:2] == (CROP_SIZE, CROP_SIZE) else None
