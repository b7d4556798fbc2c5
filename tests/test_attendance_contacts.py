"""A person's contacts on their page (operators add and remove them; attendance/views.py), the
"e-mail is off" notice beside them, erasure taking the contacts and notices with the person, and
a merge moving the contacts without two notices of one day colliding."""

import pytest
from django.urls import reverse

from attendance.models import Contact, Notice
from identity.services import merge
from identity.services.erasure import person_erase
from tests.attendance_data import FRIDAY, morning_class
from tests.review_data import make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(media_root):
    return make_person("Ada", code="A1")


def page(client, person) -> str:
    return client.get(reverse("person-detail", args=[person.pk])).content.decode()


def test_it_adds_a_contact_and_lists_it_on_the_persons_page(client, operator_user, ada):
    morning_class(members=[ada], notify_contacts=True)
    client.force_login(operator_user)

    response = client.post(reverse("person-contact-add", args=[ada.pk]),
                           {"name": "Mother", "email": "mother@home.example"}, follow=True)

    assert list(ada.contacts.values_list("name", "email")) == [("Mother", "mother@home.example")]
    html = response.content.decode()
    assert "Mother (mother@home.example) added to Ada&#x27;s contacts." in html
    assert "<td>mother@home.example</td>" in html
    assert "when Ada is absent without an excuse from 4B." in html


def test_it_refuses_an_address_that_is_not_one_and_a_contact_twice(client, operator_user, ada):
    Contact.objects.create(person=ada, name="Mother", email="mother@home.example")
    client.force_login(operator_user)

    bad = client.post(reverse("person-contact-add", args=[ada.pk]), {"name": "Father", "email": "father at home"},
                      follow=True)
    twice = client.post(reverse("person-contact-add", args=[ada.pk]),
                        {"name": "Mum", "email": "Mother@home.example"}, follow=True)

    assert "E-mail: Enter a valid email address." in bad.content.decode()
    assert "Mother@home.example is one of Ada&#x27;s contacts already." in twice.content.decode()
    assert ada.contacts.count() == 1


def test_it_removes_a_contact_of_that_person_only(client, operator_user, ada):
    bea = make_person("Bea")
    mother = Contact.objects.create(person=ada, name="Mother", email="mother@home.example")
    client.force_login(operator_user)

    assert client.post(reverse("person-contact-delete", args=[bea.pk, mother.pk])).status_code == 404
    response = client.post(reverse("person-contact-delete", args=[ada.pk, mother.pk]), follow=True)

    assert not Contact.objects.exists()
    assert "Mother removed from the contacts." in response.content.decode()


def test_it_says_beside_the_contacts_that_e_mail_is_off_without_an_smtp_host(client, operator_user, ada, settings):
    client.force_login(operator_user)
    settings.FACEAPP_EMAIL_HOST = ""
    assert "E-mail is off: no SMTP server is set" in page(client, ada)
    assert "none of Ada's groups sends absence notices yet" in page(client, ada)

    settings.FACEAPP_EMAIL_HOST = "smtp.school.example"
    assert "E-mail is off" not in page(client, ada)


def test_it_erases_a_persons_contacts_and_notices_with_them(ada):
    group = morning_class(members=[ada], notify_contacts=True)
    Contact.objects.create(person=ada, name="Mother", email="mother@home.example")
    Notice.objects.create(kind=Notice.CONTACTS, person=ada, group=group, day=FRIDAY)
    kept = Contact.objects.create(person=make_person("Bea"), name="Father", email="father@home.example")

    person_erase(person=ada)

    assert list(Contact.objects.all()) == [kept]
    assert not Notice.objects.exists()


def test_it_moves_the_contacts_of_a_person_merged_in_and_keeps_one_notice_a_day(ada, admin_user):
    group = morning_class(members=[ada], notify_contacts=True)
    twin = make_person("Ada L.")
    for person in (ada, twin):
        Notice.objects.create(kind=Notice.CONTACTS, person=person, group=group, day=FRIDAY)
    Contact.objects.create(person=twin, name="Mother", email="mother@home.example")

    merge.people_merge(keep=ada, drop=twin, actor=admin_user)

    assert list(Contact.objects.values_list("person", "name")) == [(ada.pk, "Mother")]
    assert list(Notice.objects.values_list("person", flat=True)) == [ada.pk]
