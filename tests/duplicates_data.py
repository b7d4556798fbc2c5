"""Enrolment through the real engine in this thread (no worker), and the check that the gallery
never holds two people whose faces it names as each other unless someone confirmed they are
different people."""

from django.conf import settings

from identity.models import DistinctPeople, FaceSample, Person, embedding_from_bytes
from identity.services import enrolment
from identity.services.calibration import threshold_for
from identity.services.gallery import gallery_current
from tests import faces_data


def enrol(capture, name: str, *photos: str, code: str | None = None, **kwargs) -> tuple[Person, list[FaceSample]]:
    """Enrol `name` from fixture photos, each processed here as a worker would (pass
    django_capture_on_commit_callbacks as `capture`)."""
    with capture(execute=True):
        person, samples = enrolment.person_enroll(
            name=name, code=code, consent=True, photos=[(photo, faces_data.photo(photo)) for photo in photos], **kwargs)
    return person, [enrolment.sample_process(sample_id=sample.pk) for sample in samples]


def people_named_as_each_other() -> set[tuple[int, int]]:
    """The pairs (first id, second id) where an accepted face of one is named as the other by the
    gallery (1:N threshold and margin, that person left out), less those confirmed as different."""
    gallery, threshold = gallery_current(), threshold_for(None)
    confirmed = set(DistinctPeople.objects.values_list("first_id", "second_id"))
    named = set()
    for person_id, embedding in FaceSample.objects.filter(status=FaceSample.ACCEPTED).values_list("person_id",
                                                                                                  "embedding"):
        (match,) = gallery.search(embedding_from_bytes(embedding), exclude=person_id)
        if match.is_known(threshold=threshold, margin=settings.FACEAPP_MATCH_MARGIN):
            named.add(DistinctPeople.pair(person_id, match.person_id))
    return named - confirmed
