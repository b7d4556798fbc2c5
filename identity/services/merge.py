"""Merging two people who are one: everything that names the one merged in (photos, faces and
their reviews, strangers named as them, alert rules, webhooks, events, audit entries) moves to
the one kept; the other is gone. Rows derived from the faces (a model that says
`rebuilt_on_merge`: attendance) go with the one merged in, and their app rebuilds the kept one's
from identity.events.person_merged; rows that say `forgotten_on_merge` (a "different people"
confirmation) go with it and are not rebuilt."""

from django.core.exceptions import ValidationError
from django.db import transaction

from audit.models import AuditEntry
from audit.services import audit_record
from faceapp.clock import site_date
from identity.events import person_merged, send_on_commit
from identity.models import MatchLog, Person
from identity.selectors import evidence_logs
from identity.services.gallery import gallery_changed
from identity.services.duplicates import held_as_themselves_accepted


def people_merge(*, keep: Person, drop: Person, actor=None) -> Person:
    """`drop` is `keep`: every row naming `drop` names `keep` instead, then `drop` is deleted."""
    if keep.pk == drop.pk:
        raise ValidationError("A person cannot be merged with themselves.")
    # A worker naming either person meanwhile waits on these locks (taken in id order: no deadlock).
    with transaction.atomic():
        list(Person.objects.select_for_update().filter(pk__in=[keep.pk, drop.pk]).order_by("pk"))
        seen = evidence_logs(person_id=drop.pk).values_list("created_at", flat=True)
        days = tuple(sorted({site_date(created_at) for created_at in seen}))  # whose faces now count for `keep`
        MatchLog.objects.filter(person=drop, assigned_id=drop.display_id).update(assigned_id=keep.display_id)
        moved = {}
        # Every model naming a person, hidden relations ("+") and the integrations' included.
        relations = [f for f in Person._meta.get_fields(include_hidden=True) if f.auto_created and not f.concrete]
        for relation in relations:
            field, model = relation.field, relation.related_model
            if getattr(model, "rebuilt_on_merge", False) or getattr(model, "forgotten_on_merge", False):
                continue  # deleted with `drop` (and rebuilt for `keep` from the faces moved, if it says so)
            if model._meta.auto_created:
                continue  # a many-to-many's own table: its relation adds `keep` below (both in one group: one row)
            if relation.many_to_many:
                for row in model.objects.filter(**{field.name: drop}):
                    getattr(row, field.name).add(keep)
            else:  # a row naming them twice (decided and best match) counts once
                count = model.objects.filter(**{field.name: drop}).update(**{field.name: keep})
                name = str(model._meta.verbose_name_plural)
                moved[name] = max(moved.get(name, 0), count)
        held_as_themselves_accepted(person=keep)  # their photos held as each other: one person now
        detail = ", ".join(f"{count} {name}" for name, count in moved.items() if count)
        audit_record(actor=actor, action=AuditEntry.PEOPLE_MERGED, person=keep, detail=f"#{drop.pk} merged in: {detail}")
        drop_id = drop.pk
        drop.delete()
        transaction.on_commit(gallery_changed)
        send_on_commit(person_merged, from_person_id=drop_id, into_person_id=keep.pk, days=days)
    return keep
