from django.urls import path

from integrations.views import alerts, crops, webhooks

urlpatterns = [
    path("webhooks/", webhooks.webhook_list, name="webhook-list"),
    path("webhooks/<int:destination_id>/", webhooks.webhook_detail, name="webhook-detail"),
    path("webhooks/<int:destination_id>/edit/", webhooks.webhook_edit, name="webhook-edit"),
    path("webhooks/<int:destination_id>/test/", webhooks.webhook_test, name="webhook-test"),
    path("webhooks/<int:destination_id>/resume/", webhooks.webhook_resume, name="webhook-resume"),
    path("webhooks/<int:destination_id>/secret/", webhooks.webhook_secret, name="webhook-secret"),
    path("webhooks/<int:destination_id>/delete/", webhooks.webhook_delete, name="webhook-delete"),
    path("alerts/", alerts.alert_list, name="alert-list"),
    path("alerts/<int:rule_id>/edit/", alerts.alert_edit, name="alert-edit"),
    path("alerts/<int:rule_id>/delete/", alerts.alert_delete, name="alert-delete"),
    # Signed, short-lived: the URL is the permission (webhook receivers have no session).
    path("crops/<str:token>", crops.crop, name="integrations-crop"),
]
