"""Search past faces by photo (operators): the faces the cameras and uploads logged that look
like the faces of a probe photo, most alike first. The probe is decoded and embedded in a worker
(identity.services.worker_jobs); the logged faces are searched there, on the machine's
logged-face index and the faces logged since it was built (identity.services.logged_faces: a
face whose embedding retention cleared, or whose log was erased, is never answered)."""

import numpy as np

from identity.face_engine import get_face_engine
from identity.presenters import jpeg_data_url
from identity.services.logged_faces import logged_faces_top
from identity.services.worker_jobs import job_answer, job_inputs, job_submit, job_wait
from identity.vision import ImageError
from identity.vision.image import decode_image, encode_jpeg

KIND = "search"
MATCHES = 20  # logged faces answered per probe face
PROBE_FACES = 5  # the largest faces of the probe photo searched


def face_search_submit(*, user_id: int, photo: bytes) -> str:
    from identity.tasks import face_search_task  # tasks import the services

    return job_submit(kind=KIND, what="searches", user_id=user_id, inputs={"photo": photo}, task=face_search_task)


def face_search_wait(*, job: str, timeout: float) -> dict | None:
    """{"faces": [{"crop", "too_small", "matches": [[log id, similarity], ...]}]}, {"error"}, {"field_errors"} or
    None."""
    return job_wait(kind=KIND, job=job, timeout=timeout)


def face_search_run(*, job: str) -> None:
    """In the worker: the probe's faces, each with the logged faces most like it."""
    photos = job_inputs(kind=KIND, job=job, parts=["photo"])
    if photos is None:
        return  # expired before a worker got to it: the page has already given up
    engine = get_face_engine()
    try:
        faces = engine.analyze(decode_image(photos[0], max_pixels=engine.config.max_pixels), max_faces=PROBE_FACES)
    except ImageError as error:
        return job_answer(kind=KIND, job=job, answer={"field_errors": {"photo": str(error)}})
    if not faces:
        return job_answer(kind=KIND, job=job, answer={"error": "no face found in the photo"})
    answer = {"faces": [  # a face too small to name is not searched: its nearest faces would be guesses
        {"crop": jpeg_data_url(encode_jpeg(face.crop)), "too_small": engine.too_small(face),
         "matches": [] if engine.too_small(face) else logged_faces_like(embedding=face.embedding,
                                                                         model_id=engine.model_id)}
        for face in faces
    ]}
    job_answer(kind=KIND, job=job, answer=answer)


def logged_faces_like(*, embedding: np.ndarray, model_id: str, limit: int = MATCHES) -> list[list]:
    """[log id, similarity] of the logged faces most like `embedding`, most alike first."""
    return [[log_id, round(score, 4)] for log_id, score in
            logged_faces_top(embedding=embedding, model_id=model_id, limit=limit)]
