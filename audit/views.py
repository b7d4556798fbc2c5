"""The audit log page (admins): who changed what, filtered by action and by user."""

from django.shortcuts import render

from audit.selectors import ACTIONS, audit_page
from identity.roles import ADMIN, role_required
from identity.views.paging import list_query


@role_required(ADMIN)
def audit_log(request):
    action, actor = request.GET.get("action", ""), request.GET.get("actor", "").strip()
    entries = audit_page(action=action, actor=actor, page=request.GET.get("page", 1))
    context = {"entries": entries, "actions": ACTIONS, "action": action, "actor": actor, "query": list_query(request)}
    return render(request, "audit/audit_log.html", context)
