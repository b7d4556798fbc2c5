"""Writing the audit log: one entry per audited action, inside the action's own transaction
(an action that rolls back leaves no entry)."""

from audit.models import AuditEntry


def acting_user(actor):
    """The user behind an action, or None for the system (a command, a worker, an anonymous call)."""
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def audit_record(
    *, actor, action: str, person=None, person_ref: int | None = None, target: str = "", detail: str = ""
) -> AuditEntry:
    """One entry: `actor` a user or None (the system: commands, workers); `person` whom it
    concerns, or only `person_ref`, their number, once they are erased."""
    user = acting_user(actor)
    return AuditEntry.objects.create(
        action=action, actor=user, actor_name=user.get_username() if user else "", person=person,
        person_ref=person.pk if person is not None else person_ref, target=target[:200], detail=detail[:300],
    )
