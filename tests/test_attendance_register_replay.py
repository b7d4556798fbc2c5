"""The live register pages' first render: the daily register and "in the building now" render
the replay position of each group's register socket, read before the rows they list, so a row
pushed between the render and the socket's join is replayed (identity.services.realtime)."""

import json

import pytest
from django.urls import reverse

from attendance.models import Group
from attendance.register_live import register_group
from faceapp.clock import site_date
from identity.services.realtime import push, replay_position
from tests.review_data import make_person

pytestmark = pytest.mark.django_db


def _rows_pushed(group: Group) -> str:
    push(register_group(group.pk), {"type": "register.rows", "group_id": group.pk, "day": site_date().isoformat(),
                                    "rows": [], "counts": {}})
    return replay_position(register_group(group.pk))


def test_it_renders_the_groups_replay_position_on_todays_register(client, operator_user, media_root):
    group = Group.objects.create(name="4B")
    group.members.add(make_person("Ada In"))
    position = _rows_pushed(group)
    client.force_login(operator_user)

    html = client.get(reverse("register-day", args=[group.pk, site_date().isoformat()])).content.decode()

    assert position != "0-0"
    assert f'data-replay-after="{position}"' in html


def test_it_renders_each_groups_replay_position_on_the_in_now_page(client, operator_user):
    class_4b, class_5c = Group.objects.create(name="4B"), Group.objects.create(name="5C")
    positions = {str(group.pk): _rows_pushed(group) for group in (class_4b, class_5c)}
    client.force_login(operator_user)

    html = client.get(reverse("register-in-now")).content.decode()
    start = html.index('id="in-now-live"')
    live = json.loads(html[html.index(">", start) + 1:html.index("</script>", start)])

    assert live["replay_after"] == positions
    assert len(set(positions.values())) == 2
