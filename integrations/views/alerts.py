"""Alert rules (admins): the list with a form to add one, edit and delete."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from identity.forms import posted
from identity.roles import ADMIN, role_required
from integrations.forms import AlertRuleForm
from integrations.models import AlertRule, Event

RECENT_ALERTS = 20


@role_required(ADMIN)
def alert_list(request):
    form = AlertRuleForm(posted(request)[0])
    if request.method == "POST" and form.is_valid():
        rule = form.save()
        messages.success(request, f"Alert rule {rule.name} created.")
        return redirect("alert-list")
    context = {
        "rules": AlertRule.objects.select_related("camera", "person").prefetch_related("destinations"),
        "recent": Event.objects.filter(type=Event.ALERT).order_by("-created_at")[:RECENT_ALERTS],
        "form": form,
    }
    return render(request, "integrations/alert_list.html", context)


@role_required(ADMIN)
def alert_edit(request, rule_id: int):
    rule = get_object_or_404(AlertRule, pk=rule_id)
    form = AlertRuleForm(posted(request)[0], instance=rule)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Alert rule {rule.name} saved.")
        return redirect("alert-list")
    return render(request, "integrations/alert_edit.html", {"rule": rule, "form": form})


@role_required(ADMIN)
@require_POST
def alert_delete(request, rule_id: int):
    rule = get_object_or_404(AlertRule, pk=rule_id)
    rule.delete()
    messages.success(request, f"Alert rule {rule.name} deleted.")
    return redirect("alert-list")
