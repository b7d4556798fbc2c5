"""Merging two people who are one: everything that names the one merged in (photos, faces and
their reviews, attendance, strangers named as them, alert rules, webhooks, events, audit entries)
moves to the one kept, whose attendance is rebuilt from the faces; the other is gone."""

from django.core.exceptions import ValidationError
from django.db import transaction

from audit.models import AuditEntry
from audit.services import audit_record
from identity.models import AttendanceRecord, MatchLog, Person
from identity.services import attendance
from identity.services.gallery import gallery_changed


def people_merge(*, keep: Person, drop: Person, actor=None) -> Person:
    """`drop` is `keep`: every row naming `drop` names `keep` instead, then `drop` is deleted."""
    if keep.pk == drop.pk:
        raise ValidationError("A person cannot be merged with themselves.")
    # A worker naming either person meanwhile waits on these locks (taken in id order: no deadlock).
    with transaction.atomic():
        list(Person.objects.select_for_update().filter(pk__in=[keep.pk, drop.pk]).order_by("pk"))
        days = set(AttendanceRecord.objects.filter(person__in=[keep, drop]).values_list("day", flat=True))
        AttendanceRecord.objects.filter(person=drop).delete()  # rebuilt below from the moved faces
        MatchLog.objects.filter(person=drop, assigned_id=drop.display_id).update(assigned_id=keep.display_id)
        moved = {}
        # Every model naming a person, hidden relations ("+") and the integrations' included.
        relations = [f for f in Person._meta.get_fields(include_hidden=True) if f.auto_created and not f.concrete]
        for relation in relations:
            field, model = relation.field, relation.related_model
            if relation.many_to_many:
                for row in model.objects.filter(**{field.name: drop}):
                    getattr(row, field.name).add(keep)
            else:  # a row naming them twice (decided and best match) counts once
                count = model.objects.filter(**{field.name: drop}).update(**{field.name: keep})
                name = str(model._meta.verbose_name_plural)
                moved[name] = max(moved.get(name, 0), count)
        for day in sorted(days):
            attendance.attendance_recompute(person_id=keep.pk, day=day)
        detail = ", ".join(f"{count} {name}" for name, count in moved.items() if count)
        audit_record(actor=actor, action=AuditEntry.PEOPLE_MERGED, person=keep, detail=f"#{drop.pk} merged in: {detail}")
        drop.delete()
        transaction.on_commit(gallery_changed)
    return keep
