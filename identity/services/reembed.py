"""Re-embedding the stored enrolment photos with the active profile's models (``manage.py
reembed``): after a switch of FACEAPP_PROFILE (or FACEAPP_EMBEDDER) the gallery holds only
samples of the active model_id, so every person must have theirs re-made from their photo."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from django.db.models import QuerySet
from django.utils import timezone

from identity.models import FaceSample, embedding_to_bytes
from identity.services.failure_words import failure_words
from identity.services.files import file_bytes
from identity.services.gallery import gallery_changed
from identity.services.gallery_rows import crop_read
from identity.vision import FaceEngine, ImageError
from identity.vision.embedder import cosine_matrix
from identity.vision.types import Face

EMBEDDED = (FaceSample.ACCEPTED, FaceSample.HELD)  # the samples that carry an embedding


def samples_embedded() -> QuerySet:
    """The enrolment photos that carry an embedding, whichever model made it."""
    return FaceSample.objects.filter(status__in=EMBEDDED, embedding__isnull=False)


def samples_to_reembed(*, model_id: str) -> QuerySet:
    """Samples with an embedding made by another model than `model_id`, oldest first; those
    already re-embedded (an interrupted run's) are not among them."""
    return samples_embedded().exclude(model_id=model_id).order_by("pk")


def _face_of(sample: FaceSample, faces: list[Face], engine: FaceEngine) -> Face:
    """The photo's enrolled face: its only one, else the one most like the stored aligned crop."""
    if len(faces) == 1:
        return faces[0]
    crop = crop_read(sample.crop.name)
    if crop is None:
        return faces[0]  # the largest, as enrolment chose when it had to
    likeness = cosine_matrix(engine.embed(crop[None]), np.stack([f.embedding for f in faces]))[0]
    return faces[int(likeness.argmax())]


def sample_reembed(*, sample: FaceSample, engine: FaceEngine) -> str | None:
    """Embed one sample's stored photo with `engine` and keep it (plain and flip embedding,
    model_id, quality); None, or why it could not (the sample then keeps its old embedding)."""
    try:
        found = engine.analyze(file_bytes(sample.photo), with_flip=True)
    except (ImageError, FileNotFoundError) as exc:
        return failure_words(exc)
    faces = [face for face in found if not engine.too_small(face)] or found
    if not faces:
        return f"no face found by {engine.config.detector}"
    face = _face_of(sample, faces, engine)
    flip = face.flip_embedding if face.embedding_mode == "plain" else None
    # One row: only if nobody changed the sample meanwhile (deleted, rejected, re-embedded).
    FaceSample.objects.filter(pk=sample.pk, model_id=sample.model_id, status=sample.status).update(
        embedding=embedding_to_bytes(face.embedding), model_id=face.model_id, quality=face.quality.as_dict(),
        flip_embedding=None if flip is None else embedding_to_bytes(flip), processed_at=timezone.now(),
    )
    return None


def samples_reembed(*, engine: FaceEngine) -> Iterator[tuple[FaceSample, str | None]]:
    """Re-embed every sample not made by `engine`'s model, yielding each with its failure (or
    None) as it goes; the gallery is rebuilt once, at the end (a new generation)."""
    try:
        for sample in samples_to_reembed(model_id=engine.model_id).iterator():
            yield sample, sample_reembed(sample=sample, engine=engine)
    finally:
        gallery_changed()  # an interrupted run's samples join the gallery too
