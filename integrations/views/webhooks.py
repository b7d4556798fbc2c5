"""Webhook destinations (admins): the list and a form to add one, each destination's page with
its delivery log, its secret (shown once, after it is made), "send a test event", resume,
a new secret, edit and delete."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from faceapp.shown_once import secret_keep, secret_take
from identity.forms import posted
from identity.roles import ADMIN, role_required
from integrations.forms import DestinationForm
from integrations.models import Destination
from integrations.webhooks import destination_resume, destination_secret_rotate, destination_test_send

DELIVERY_LOG_LENGTH = 50
SECRET_SESSION_KEY = "integrations-new-secret"


@role_required(ADMIN)
def webhook_list(request):
    form = DestinationForm(posted(request)[0])
    if request.method == "POST" and form.is_valid():
        destination = form.save()
        secret_keep(request, SECRET_SESSION_KEY, owner=destination.pk, secret=destination.secret)
        messages.success(request, f"Webhook {destination.name} created.")
        return redirect("webhook-detail", destination.pk)
    context = {"destinations": Destination.objects.all(), "form": form}
    return render(request, "integrations/webhook_list.html", context)


@role_required(ADMIN)
def webhook_detail(request, destination_id: int):
    destination = get_object_or_404(Destination, pk=destination_id)
    deliveries = destination.deliveries.select_related("event")[:DELIVERY_LOG_LENGTH]
    secret = secret_take(request, SECRET_SESSION_KEY, owner=destination.pk)
    context = {"destination": destination, "deliveries": deliveries, "secret": secret,
               "cameras": destination.cameras.all(), "people": destination.people.all()}
    return render(request, "integrations/webhook_detail.html", context)


@role_required(ADMIN)
def webhook_edit(request, destination_id: int):
    destination = get_object_or_404(Destination, pk=destination_id)
    form = DestinationForm(posted(request)[0], instance=destination)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Webhook {destination.name} saved.")
        return redirect("webhook-detail", destination.pk)
    return render(request, "integrations/webhook_edit.html", {"destination": destination, "form": form})


@role_required(ADMIN)
@require_POST
def webhook_test(request, destination_id: int):
    destination = get_object_or_404(Destination, pk=destination_id)
    if destination.is_paused or not destination.active:
        messages.error(request, "This webhook is paused or switched off: resume it (or switch it on) first.")
    else:
        delivery = destination_test_send(destination=destination)
        messages.success(request, f"Test event {delivery.event_id} queued: its delivery shows below.")
    return redirect("webhook-detail", destination.pk)


@role_required(ADMIN)
@require_POST
def webhook_resume(request, destination_id: int):
    destination = get_object_or_404(Destination, pk=destination_id)
    waiting = destination_resume(destination=destination)
    messages.success(request, f"Webhook {destination.name} resumed: {waiting} waiting deliveries sent again.")
    return redirect("webhook-detail", destination.pk)


@role_required(ADMIN)
@require_POST
def webhook_secret(request, destination_id: int):
    destination = get_object_or_404(Destination, pk=destination_id)
    destination_secret_rotate(destination=destination)
    secret_keep(request, SECRET_SESSION_KEY, owner=destination.pk, secret=destination.secret)
    messages.success(request, "A new secret is in force: deliveries are signed with it from now on.")
    return redirect("webhook-detail", destination.pk)


@role_required(ADMIN)
@require_POST
def webhook_delete(request, destination_id: int):
    destination = get_object_or_404(Destination, pk=destination_id)
    destination.delete()
    messages.success(request, f"Webhook {destination.name} deleted with its delivery log.")
    return redirect("webhook-list")
