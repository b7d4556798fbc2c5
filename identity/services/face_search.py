"""Search past faces by photo (operators): the faces the cameras and uploads logged that look
like the faces of a probe photo, most alike first. The probe is decoded and embedded in a worker
(identity.services.worker_jobs); the logged faces are searched there, exactly, on one float32
matrix per process that is rebuilt when faces were logged, erased or purged since (a face whose
embedding retention cleared is gone from it)."""

import threading

import numpy as np
from django.db.models import Count, Max

from identity.face_engine import get_face_engine
from identity.models import MatchLog, embedding_from_bytes
from identity.presenters import jpeg_data_url
from identity.services.worker_jobs import job_answer, job_photos, job_submit, job_wait
from identity.vision import ImageError
from identity.vision.embedder import l2_normalize
from identity.vision.image import decode_image, encode_jpeg

KIND = "search"
MATCHES = 20  # logged faces answered per probe face
PROBE_FACES = 5  # the largest faces of the probe photo searched
_lock = threading.Lock()
_cached: dict[str, tuple[tuple, np.ndarray, np.ndarray]] = {}  # model_id -> (signature, log ids, matrix)


def face_search_submit(*, user_id: int, photo: bytes) -> str:
    from identity.tasks import face_search_task  # tasks import the services

    return job_submit(kind=KIND, what="searches", user_id=user_id, photos={"photo": photo}, task=face_search_task)


def face_search_wait(*, job: str, timeout: float) -> dict | None:
    """{"faces": [{"crop", "matches": [[log id, similarity], ...]}]}, {"error"}, {"field_errors"} or None."""
    return job_wait(kind=KIND, job=job, timeout=timeout)


def face_search_run(*, job: str) -> None:
    """In the worker: the probe's faces, each with the logged faces most like it."""
    photos = job_photos(kind=KIND, job=job, parts=["photo"])
    if photos is None:
        return  # expired before a worker got to it: the page has already given up
    engine = get_face_engine()
    try:
        faces = engine.analyze(decode_image(photos[0], max_pixels=engine.config.max_pixels), max_faces=PROBE_FACES)
    except ImageError as error:
        return job_answer(kind=KIND, job=job, answer={"field_errors": {"photo": str(error)}})
    if not faces:
        return job_answer(kind=KIND, job=job, answer={"error": "no face found in the photo"})
    answer = {"faces": [
        {"crop": jpeg_data_url(encode_jpeg(face.crop)),
         "matches": logged_faces_like(embedding=face.embedding, model_id=engine.model_id)}
        for face in faces
    ]}
    job_answer(kind=KIND, job=job, answer=answer)


def logged_faces_like(*, embedding: np.ndarray, model_id: str, limit: int = MATCHES) -> list[list]:
    """[log id, similarity] of the logged faces most like `embedding`, most alike first."""
    ids, matrix = _logged_faces(model_id)
    if not len(ids):
        return []
    scores = matrix @ l2_normalize(np.atleast_2d(embedding))[0]
    top = np.argpartition(-scores, min(limit, len(ids)) - 1)[:limit]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [[int(ids[i]), round(float(scores[i]), 4)] for i in top]


def _logged_faces(model_id: str) -> tuple[np.ndarray, np.ndarray]:
    logs = MatchLog.objects.filter(model_id=model_id).exclude(embedding=b"")
    signature = tuple(logs.aggregate(count=Count("id"), newest=Max("id")).values())  # moves with any add or removal
    with _lock:
        cached = _cached.get(model_id)
        if cached is not None and cached[0] == signature:
            return cached[1], cached[2]
    rows = list(logs.order_by("id").values_list("id", "embedding"))
    ids = np.array([pk for pk, _ in rows], dtype=np.int64)
    matrix = l2_normalize(np.stack([embedding_from_bytes(data) for _, data in rows])) if rows else np.zeros((0, 0))
    with _lock:
        _cached[model_id] = (signature, ids, matrix)
    return ids, matrix
