"""The profile page: a user reads every page in a time zone of their own; attendance days stay
the site's."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from faceapp.clock import site_date, site_day_bounds
from identity.models import UserProfile

pytestmark = pytest.mark.django_db

SITE_ZONE, USER_ZONE = "UTC", "Pacific/Kiritimati"  # 14 hours apart: most of the time another date


@pytest.fixture
def site_in_utc(settings):
    settings.TIME_ZONE = SITE_ZONE


def test_it_saves_the_users_own_zone(client, viewer_user):
    client.force_login(viewer_user)

    response = client.post(reverse("profile"), {"time_zone": USER_ZONE})

    assert response.status_code == 302
    assert UserProfile.objects.get(user=viewer_user).time_zone == USER_ZONE


def test_it_refuses_an_unknown_zone(client, viewer_user):
    client.force_login(viewer_user)

    response = client.post(reverse("profile"), {"time_zone": "Mars/Olympus"})

    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not UserProfile.objects.filter(user=viewer_user).exists()


def test_it_shows_the_users_pages_in_their_zone(site_in_utc, admin_client, admin_user):
    UserProfile.objects.create(user=admin_user, time_zone=USER_ZONE)
    AuditEntry.objects.create(action=AuditEntry.USER_CREATED, actor_name="admin", target="olive",
                              created_at=dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))

    page = admin_client.get(reverse("audit-log")).content.decode()

    assert "2026-03-02 23:00:00" in page  # 09:00 UTC in Kiritimati
    assert f'data-time-zone="{USER_ZONE}"' in page and f"All times in {USER_ZONE}" in page


def test_it_counts_days_in_the_sites_zone_while_a_users_zone_is_active(site_in_utc):
    evening = dt.datetime(2026, 3, 2, 20, 0, tzinfo=dt.UTC)  # 2026-03-03 10:00 in Kiritimati

    with timezone.override(ZoneInfo(USER_ZONE)):
        assert (site_date(evening), timezone.localdate(evening)) == (dt.date(2026, 3, 2), dt.date(2026, 3, 3))
        assert site_day_bounds(dt.date(2026, 3, 2))[0] == dt.datetime(2026, 3, 2, tzinfo=dt.UTC)


def test_it_shows_the_sites_day_on_the_attendance_page(site_in_utc, client, operator_user):
    UserProfile.objects.create(user=operator_user, time_zone=USER_ZONE)
    client.force_login(operator_user)

    page = client.get(reverse("attendance-today")).content.decode()

    assert site_date().strftime("%A %Y-%m-%d") in page
