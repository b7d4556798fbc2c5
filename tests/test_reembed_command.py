"""``manage.py reembed``: after a profile switch every enrolled person is recognised again, on
real photos with both profiles' real models; resumable; what it could not re-embed it names."""

import dataclasses
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from identity.face_engine import get_face_engine
from identity.models import FaceSample, MatchLog, Person
from identity.services import enrolment, recognition
from identity.services.health_checks import check_enrolments
from identity.services.reembed import sample_reembed
from identity.vision.profiles import PROFILES
from tests import faces_data

pytestmark = pytest.mark.django_db

# Each person enrolled from their first photo(s), recognised in another one.
PEOPLE = {
    "Colin Powell": (["e2e/Colin_Powell_0001.jpg", "e2e/Colin_Powell_0002.jpg"], "e2e/Colin_Powell_0003.jpg"),
    "Tony Blair": (["e2e/Tony_Blair_0001.jpg"], "e2e/Tony_Blair_0002.jpg"),
    "Gerhard Schroeder": (["e2e/Gerhard_Schroeder_0001.jpg"], "e2e/Gerhard_Schroeder_0002.jpg"),
    "Aaron Peirsol": (["lfw_person_a_1.jpg"], "lfw_person_a_2.jpg"),
}


def use_profile(settings, name: str) -> None:
    """FACEAPP_PROFILE=name, as the settings read it at start-up: models and thresholds."""
    profile = PROFILES[name]
    settings.FACEAPP_ENGINE = dataclasses.replace(
        settings.FACEAPP_ENGINE, profile=name, detector=profile.detector, embedder=profile.embedder,
        threshold=profile.threshold,
    )
    settings.FACEAPP_PROFILE = profile
    settings.FACEAPP_MATCH_THRESHOLD = settings.FACEAPP_STRANGER_THRESHOLD = profile.match_threshold
    settings.FACEAPP_UNKNOWN_THRESHOLD = profile.unknown_threshold
    settings.FACEAPP_TRACK_STRONG_THRESHOLD = profile.strong_threshold


@pytest.fixture
def enrolled(media_root) -> dict[str, Person]:
    people = {}
    for name, (photos, _) in PEOPLE.items():
        person, samples = enrolment.person_enroll(
            name=name, consent=True, photos=[(photo, faces_data.photo(photo)) for photo in photos])
        assert all(enrolment.sample_process(sample_id=s.pk).status == FaceSample.ACCEPTED for s in samples)
        people[name] = person
    return people


def named_in_their_other_photo() -> dict[str, str | None]:
    """Whom recognition names in each person's probe photo."""
    named = {}
    for name, (_, probe) in PEOPLE.items():
        snapshot = recognition.snapshot_submit(image=("probe.jpg", faces_data.photo(probe)), camera=None)
        recognition.snapshot_recognize(snapshot_id=snapshot.pk)
        (log,) = MatchLog.objects.filter(snapshot=snapshot)
        named[name] = log.person.name if log.decision == MatchLog.KNOWN else None
    return named


def reembed() -> str:
    out = StringIO()
    call_command("reembed", "--no-progress", stdout=out)
    return out.getvalue()


def test_it_keeps_everyone_recognisable_across_a_profile_switch_and_back(enrolled, settings):
    everyone = {name: name for name in PEOPLE}
    assert named_in_their_other_photo() == everyone

    use_profile(settings, "commercial")
    ok, detail = check_enrolments()
    assert not ok and detail.startswith("4 enrolled people have no photo embedded by sface_2021dec_int8bq")
    output = reembed()
    assert "profile commercial: yunet_2023mar_int8bq + sface_2021dec_int8bq; 0 of 5 enrolment photos" in output
    assert "re-embedded 5 photo(s); the gallery was rebuilt" in output
    assert set(FaceSample.objects.values_list("model_id", flat=True)) == {"sface_2021dec_int8bq"}
    assert check_enrolments()[0]
    assert named_in_their_other_photo() == everyone

    use_profile(settings, "research")
    progress = StringIO()
    call_command("reembed", stdout=StringIO(), stderr=progress)
    assert "5/5" in progress.getvalue()  # the progress bar, on stderr
    assert set(FaceSample.objects.values_list("model_id", flat=True)) == {"w600k_mbf"}
    assert named_in_their_other_photo() == everyone


def test_it_skips_the_photos_an_interrupted_run_re_embedded_already(enrolled, settings):
    use_profile(settings, "commercial")
    done = FaceSample.objects.order_by("pk").first()
    assert sample_reembed(sample=done, engine=get_face_engine()) is None  # as if a run stopped after one photo
    done.refresh_from_db()
    assert named_in_their_other_photo() == {  # this process's gallery holds that one photo
        "Colin Powell": "Colin Powell", "Tony Blair": None, "Gerhard Schroeder": None, "Aaron Peirsol": None}

    output = reembed()

    assert "1 of 5 enrolment photos already embedded by it, 4 to re-embed" in output
    assert "re-embedded 4 photo(s)" in output
    assert FaceSample.objects.get(pk=done.pk).embedding == done.embedding  # not embedded twice
    assert named_in_their_other_photo() == {name: name for name in PEOPLE}  # the gallery was rebuilt
    assert "0 to re-embed" in reembed()


def test_it_stops_before_any_photo_when_the_profiles_model_cannot_load(enrolled, settings):
    settings.FACEAPP_ENGINE = dataclasses.replace(settings.FACEAPP_ENGINE, embedder="no_such_model")
    with pytest.raises(CommandError, match="the active profile's models cannot be loaded: unknown embedder model 'no_such_model'"):
        reembed()
    assert set(FaceSample.objects.values_list("model_id", flat=True)) == {"w600k_mbf"}


def test_it_names_a_photo_it_could_not_re_embed_and_the_person_left_without_one(enrolled, media_root, settings):
    blair = FaceSample.objects.get(person=enrolled["Tony Blair"])
    (media_root / blair.photo.name).write_bytes(faces_data.no_face_jpeg())  # the stored photo no longer shows him
    use_profile(settings, "commercial")

    output = reembed()

    assert (f"photo #{blair.pk} of person #{blair.person_id} kept its w600k_mbf embedding: "
            "no face found by yunet_2023mar_int8bq") in output
    assert "people left with no photo sface_2021dec_int8bq could embed: 1; add a new photo of each" in output
    assert FaceSample.objects.get(pk=blair.pk).model_id == "w600k_mbf"
    assert check_enrolments() == (False, (
        "1 enrolled person has no photo embedded by sface_2021dec_int8bq, the active profile's model: "
        "no camera can name them until `manage.py reembed` runs"))
