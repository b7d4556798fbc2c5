"""Compare two photos, in a worker (identity.services.worker_jobs): are they the same person?"""

from identity.face_engine import get_face_engine
from identity.presenters import jpeg_data_url
from identity.services.worker_jobs import job_answer, job_inputs, job_submit, job_wait
from identity.vision import ImageError, NoFaceError
from identity.vision.image import decode_image, encode_jpeg

KIND = "compare"


def compare_submit(*, user_id: int, photo1: bytes, photo2: bytes) -> str:
    """Queue a comparison of two photos (their headers already checked); returns its job id."""
    from identity.tasks import compare_task  # tasks import the services

    return job_submit(kind=KIND, what="comparisons", user_id=user_id, inputs={"1": photo1, "2": photo2},
                      task=compare_task)


def compare_run(*, job: str) -> None:
    """In the worker: decode, verify, and leave the answer (or the reason there is none)."""
    photos = job_inputs(kind=KIND, job=job, parts=["1", "2"])
    if photos is None:
        return  # expired before a worker got to it: the page has already given up
    engine = get_face_engine()
    answer: dict = {}
    images = []
    for field, data in zip(("image1", "image2"), photos):
        try:
            images.append(decode_image(data, max_pixels=engine.config.max_pixels))
        except ImageError as error:
            answer.setdefault("field_errors", {})[field] = str(error)
    if not answer:
        try:
            verification = engine.verify(images[0], images[1])
        except NoFaceError as error:
            answer["error"] = str(error)
        else:
            answer["result"] = {
                "similarity": verification.similarity, "same": verification.same, "threshold": verification.threshold,
                "verdict": verification.verdict, "close": verification.close, "band": verification.band,
                "limits": verification.limits,
                "model_id": verification.model_id, "mirrored": verification.mirrored, "notes": verification.notes,
                "crop1": jpeg_data_url(encode_jpeg(verification.face1.crop)),
                "crop2": jpeg_data_url(encode_jpeg(verification.face2.crop)),
            }
    job_answer(kind=KIND, job=job, answer=answer)


def compare_wait(*, job: str, timeout: float) -> dict | None:
    """The worker's answer ({"result"}, {"error"} or {"field_errors"}), or None past `timeout`."""
    return job_wait(kind=KIND, job=job, timeout=timeout)
