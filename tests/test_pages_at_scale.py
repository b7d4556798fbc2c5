"""With 1,000 enrolled people the people list, the dashboard and the review page each take a
fixed number of queries and show a bounded page: people are paged, the dashboard's attendance
lists fold into counts, and the review page offers people by type-ahead, not as a list."""

import pytest
from django.urls import reverse
from django.utils import timezone

from attendance.models import AttendanceRecord
from attendance.presenters import DASHBOARD_LIST
from faceapp.clock import site_date
from identity.models import Person
from tests.review_data import ENROLLED_AT, make_log

PEOPLE = 1000
QUERIES = 25  # sessions, roles, the page's reads: whatever the number of people
PAGE_BYTES = 200_000

pytestmark = pytest.mark.django_db


@pytest.fixture
def thousand_people(media_root):
    Person.objects.bulk_create(
        Person(name=f"Person {number:04d}", code=f"C{number:04d}", created_at=ENROLLED_AT) for number in range(PEOPLE)
    )
    now = timezone.now()
    people = list(Person.objects.order_by("id")[:300])
    AttendanceRecord.objects.bulk_create(
        AttendanceRecord(person=person, day=site_date(), first_seen=now, last_seen=now) for person in people
    )
    for person in people[:60]:  # faces to review and visits for the feed
        make_log(seen_at=now, person=person, similarity=0.4, threshold=0.35)


def _names_shown(page: str) -> int:
    return sum(f"Person {number:04d}" in page for number in range(PEOPLE))


def test_it_pages_the_people_list(client, operator_user, thousand_people, django_assert_max_num_queries):
    client.force_login(operator_user)
    with django_assert_max_num_queries(QUERIES):
        response = client.get(reverse("person-list"), {"page": 3})
    page = response.content.decode()
    assert response.status_code == 200 and len(page) < PAGE_BYTES
    assert _names_shown(page) == 50 and "Page 3 of 20" in page


def test_it_finds_people_in_the_list_by_name_or_code(client, operator_user, thousand_people):
    client.force_login(operator_user)
    page = client.get(reverse("person-list"), {"q": "C0777"}).content.decode()
    assert _names_shown(page) == 1 and "Person 0777" in page


def test_it_folds_the_dashboards_attendance_into_counts(client, operator_user, thousand_people, django_assert_max_num_queries):
    client.force_login(operator_user)
    with django_assert_max_num_queries(QUERIES):
        response = client.get(reverse("dashboard"))
    attendance = response.context["attendance"]  # attendance's card ({% attendance_today_card %})
    assert (attendance["present_count"], attendance["absent_count"]) == (300, PEOPLE - 300)
    assert len(attendance["present"]) == len(attendance["absent"]) == DASHBOARD_LIST
    assert len(response.content) < PAGE_BYTES


def test_it_offers_the_review_page_no_list_of_everyone(client, operator_user, thousand_people, django_assert_max_num_queries):
    client.force_login(operator_user)
    with django_assert_max_num_queries(QUERIES):
        response = client.get(reverse("review-queue"))
    page = response.content.decode()
    assert response.status_code == 200 and len(page) < PAGE_BYTES
    assert len(response.context["items"]) == 50
