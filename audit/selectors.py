"""Reading the audit log."""

from django.core.paginator import Page, Paginator

from audit.models import AuditEntry

ACTIONS = dict(AuditEntry.ACTION_CHOICES)


def audit_page(*, action: str = "", actor: str = "", page: str | int = 1, per_page: int = 50) -> Page:
    """One page of entries, newest first, of one action and one actor's name when given."""
    entries = AuditEntry.objects.select_related("person")
    if action in ACTIONS:
        entries = entries.filter(action=action)
    if actor:
        entries = entries.filter(actor_name__iexact=actor)
    return Paginator(entries, per_page).get_page(page)
