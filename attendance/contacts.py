"""A person's contacts (parents): who gets their absence notices (attendance.notices), and
which of their groups send them. Erased with the person: the foreign key cascades."""

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from attendance.models import Contact, Group
from identity.models import Person

MAX_CONTACTS = 10  # a person's: more is a mistake, not a family


def contact_add(*, person: Person, name: str, email: str) -> Contact:
    if person.contacts.count() >= MAX_CONTACTS:
        raise ValidationError(f"{person.name} has {MAX_CONTACTS} contacts already: remove one first.")
    if person.contacts.filter(email__iexact=email).exists():
        raise ValidationError(f"{email} is one of {person.name}'s contacts already.")
    return Contact.objects.create(person=person, name=name.strip()[:100], email=email)


def contact_remove(*, contact: Contact) -> None:
    contact.delete()


def person_contacts(*, person: Person) -> QuerySet[Contact]:
    return person.contacts.all()


def groups_notifying(*, person: Person) -> QuerySet[Group]:
    """The person's groups whose absences go to the contacts."""
    return Group.objects.filter(members=person, notify_contacts=True).order_by("name")
