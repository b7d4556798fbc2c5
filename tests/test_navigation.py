"""The navigation's sections (faceapp.navigation): a few sections, each with the pages a role may
open, the current page marked; rendered into every page's header."""

import pytest
from django.urls import reverse

from attendance.models import Group as AttendanceGroup
from faceapp.navigation import nav_sections


def _outline(sections) -> dict[str, list[str]]:
    return {section.label: [link.label for link in section.links] for section in sections}


@pytest.mark.django_db
def test_it_gives_an_admin_every_section_with_the_admin_pages_under_settings(admin_user):
    outline = _outline(nav_sections(user=admin_user, url_name="dashboard"))

    assert list(outline) == ["Live", "People", "Review", "Attendance", "Settings"]
    assert outline["Settings"] == ["Users", "Integrations", "Calibration", "Audit log", "Admin"]


@pytest.mark.django_db
def test_it_gives_an_operator_no_settings(operator_user):
    outline = _outline(nav_sections(user=operator_user, url_name="dashboard"))

    assert list(outline) == ["Live", "People", "Review", "Attendance"]
    assert outline["Live"] == ["Dashboard", "Cameras", "Recognise photos", "Search by photo", "Compare"]


@pytest.mark.django_db
def test_it_gives_a_viewer_the_dashboard_and_the_register_of_their_groups_only(viewer_user):
    alone = _outline(nav_sections(user=viewer_user, url_name="dashboard"))
    AttendanceGroup.objects.create(name="7A").responsible.add(viewer_user)
    responsible = _outline(nav_sections(user=viewer_user, url_name="dashboard"))

    assert alone == {"Live": ["Dashboard"]}
    assert responsible == {"Live": ["Dashboard"], "Attendance": ["Register", "Groups"]}


@pytest.mark.django_db
def test_it_marks_the_section_and_the_page_a_page_belongs_to(operator_user):
    sections = nav_sections(user=operator_user, url_name="person-edit")

    current = [(section.label, link.label) for section in sections for link in section.links if link.current]
    assert current == [("People", "People")]
    assert [section.label for section in sections if section.current] == ["People"]


@pytest.mark.django_db
def test_it_renders_a_one_page_section_as_a_plain_link_and_the_others_as_menus(client, viewer_user, operator_user):
    client.force_login(viewer_user)
    viewer_page = client.get(reverse("profile")).content.decode()
    client.force_login(operator_user)
    operator_page = client.get(reverse("profile")).content.decode()

    viewer_nav = viewer_page[viewer_page.index("<nav"):viewer_page.index("</nav>")]
    assert '<a href="/">Dashboard</a>' in viewer_nav and "<summary>Live</summary>" not in viewer_nav
    assert ">API<" not in viewer_nav  # the API is for the roles that enrol and recognise
    operator_nav = operator_page[operator_page.index("<nav"):operator_page.index("</nav>")]
    assert "<summary>Live</summary>" in operator_nav and 'href="/api/docs/">API<' in operator_nav
