"""The sign-in backend loads a user with their profile: the time-zone middleware, which reads it
on every request, makes no query of its own."""

import pytest

from identity.auth_backend import ProfileBackend
from identity.models import UserProfile
from identity.services.accounts import user_time_zone

pytestmark = pytest.mark.django_db


def test_it_loads_the_users_zone_with_the_user(viewer_user, django_assert_num_queries):
    UserProfile.objects.create(user=viewer_user, time_zone="Asia/Tokyo")
    with django_assert_num_queries(1):
        user = ProfileBackend().get_user(viewer_user.pk)
        assert user_time_zone(user) == "Asia/Tokyo"


def test_it_knows_without_a_query_that_a_user_has_no_profile(viewer_user, django_assert_num_queries):
    user = ProfileBackend().get_user(viewer_user.pk)
    with django_assert_num_queries(0):
        assert user_time_zone(user) == ""


def test_it_refuses_a_deactivated_user(viewer_user):
    viewer_user.is_active = False
    viewer_user.save()

    assert ProfileBackend().get_user(viewer_user.pk) is None
