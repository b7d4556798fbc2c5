"""An enrolment that ends with no accepted photo leaves an incomplete entry that attendance never
expects: not in the dashboard's absent list, the CSV's absent rows, a group's derived days or its
daily register (a real enrolment through the form, its photo rejected by the real engine). Someone
enrolled with no photo at all (checking in by code at a kiosk) is expected as before."""

import csv
import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from attendance import rules
from attendance.register import people_day_derive
from attendance.sheets import daily_register
from identity.models import FaceSample, Person
from identity.services import enrolment
from tests import faces_data
from tests.register_data import NOV_2, at, class_of
from tests.review_data import make_person

pytestmark = pytest.mark.django_db

ENROLLED = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)


@pytest.fixture
def class_4b(client, operator_user, media_root, django_capture_on_commit_callbacks):
    """Ada (a face enrolled) and Wally (enrolled through the form from a photo of a wall: rejected) in 4B."""
    client.force_login(operator_user)
    wall = SimpleUploadedFile("wall.jpg", faces_data.no_face_jpeg(), content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("person-create"), {"name": "Wally", "consent": "on", "photos": [wall]})
    assert response.status_code == 302
    wally = Person.objects.get(name="Wally")
    (sample,) = [enrolment.sample_process(sample_id=s.pk) for s in wally.samples.all()]
    assert sample.status == FaceSample.REJECTED
    ada = make_person("Ada", "A1")
    Person.objects.filter(pk__in=[ada.pk, wally.pk]).update(created_at=ENROLLED)
    group = class_of("4B")
    group.members.add(ada, wally)
    return group, ada, wally


def test_it_says_on_the_persons_page_that_the_entry_is_incomplete(client, class_4b):
    _, _, wally = class_4b

    page = client.get(reverse("person-detail", args=[wally.pk])).content.decode()

    assert '<section class="card warning-card" role="alert" id="no-accepted-photo">' in page  # not hidden
    assert "Wally is incomplete: no photo was accepted" in page
    listing = client.get(reverse("person-list")).content.decode()
    assert ">incomplete</span>" in listing


def test_it_leaves_an_incomplete_entry_out_of_the_absent_list_and_the_csv(client, class_4b):
    _, ada, wally = class_4b

    absent = client.get(f"/attendance/{NOV_2.isoformat()}/").context["absent"]
    export = client.get("/attendance-export.csv", {"start": NOV_2.isoformat(), "end": NOV_2.isoformat(), "absent": "1"})

    assert [row["name"] for row in absent] == ["Ada"]
    rows = list(csv.reader(io.StringIO(export.content.decode())))
    assert [row[0] for row in rows[1:]] == ["Ada"]


def test_it_never_expects_an_incomplete_entry_in_a_groups_day(class_4b):
    group, ada, wally = class_4b

    derived = people_day_derive(person_ids=[ada.pk, wally.pk], day=NOV_2, now=at(NOV_2, 23))

    assert [row.status for row in derived[ada.pk]] == [rules.ABSENT]
    assert derived.get(wally.pk, []) == []
    assert [person for person, _ in daily_register(group=group, day=NOV_2).rows] == [ada]


def test_it_expects_them_once_a_photo_is_accepted(class_4b, django_capture_on_commit_callbacks):
    _, ada, wally = class_4b
    with django_capture_on_commit_callbacks(execute=True):
        (sample,) = enrolment.photos_add(person=wally, photos=[("b.jpg", faces_data.photo("lfw_person_b_1.jpg"))])
    assert enrolment.sample_process(sample_id=sample.pk).status == FaceSample.ACCEPTED

    derived = people_day_derive(person_ids=[wally.pk], day=NOV_2, now=at(NOV_2, 23))

    assert [row.status for row in derived[wally.pk]] == [rules.ABSENT]


def test_it_still_expects_someone_enrolled_with_no_photo_at_all(class_4b):
    group, _, _ = class_4b
    by_code = make_person("Kiosk Only", "K1", with_sample=False)  # checks in by code at the kiosk
    Person.objects.filter(pk=by_code.pk).update(created_at=ENROLLED)
    group.members.add(by_code)

    derived = people_day_derive(person_ids=[by_code.pk], day=NOV_2, now=at(NOV_2, 23))

    assert [row.status for row in derived[by_code.pk]] == [rules.ABSENT]
