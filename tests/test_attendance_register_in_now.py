"""GET register/in-now/: who is in the building now (an IN today with no OUT yet), in the groups
the user may read; operators see people in no group too; a viewer only their groups' people."""

import datetime as dt

import pytest
from django.urls import reverse

from attendance.models import AttendanceEvent, Group
from attendance.register import person_day_derive
from faceapp.clock import site_date
from tests.attendance_data import earlier_today
from tests.review_data import make_person

pytestmark = pytest.mark.django_db


def _in(person, *, out: bool = False) -> None:
    """An IN earlier today (and an OUT since, when `out`), the day derived now."""
    AttendanceEvent.objects.create(person=person, at=earlier_today(dt.timedelta(hours=1)), kind=AttendanceEvent.IN)
    if out:
        AttendanceEvent.objects.create(person=person, at=earlier_today(dt.timedelta(minutes=5)),
                                       kind=AttendanceEvent.OUT)
    person_day_derive(person_id=person.pk, day=site_date())


@pytest.fixture
def site(media_root):
    class_4b, class_5c = Group.objects.create(name="4B"), Group.objects.create(name="5C")
    ada, bea, cem, dan = (make_person(name) for name in ("Ada In", "Bea Out", "Cem Other", "Dan Nogroup"))
    class_4b.members.add(ada, bea)
    class_5c.members.add(cem)
    _in(ada)
    _in(bea, out=True)
    _in(cem)
    _in(dan)
    return class_4b, class_5c


def test_it_lists_who_is_in_now_for_an_operator_groups_or_none(client, operator_user, site):
    client.force_login(operator_user)

    page = client.get(reverse("register-in-now")).content.decode()

    assert "Ada In" in page and "Cem Other" in page and "Dan Nogroup" in page
    assert "Bea Out" not in page  # she has gone out


def test_it_shows_a_viewer_only_the_people_of_their_groups(client, viewer_user, site):
    class_4b, _ = site
    class_4b.responsible.add(viewer_user)
    client.force_login(viewer_user)

    response = client.get(reverse("register-in-now"))
    page = response.content.decode()

    assert "Ada In" in page and "Cem Other" not in page and "Dan Nogroup" not in page
    assert response.context["live"]["groups"] == {class_4b.pk: "4B"}  # the sockets it follows
