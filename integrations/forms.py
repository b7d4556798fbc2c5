"""Forms of the integrations pages: webhook destinations and alert rules (input checks only)."""

import ipaddress
from urllib.parse import urlsplit

from django import forms

from identity.models import Camera, Person
from integrations.models import AlertRule, Destination, Event
from integrations.outbound import SCHEMES, address_problem
from integrations.webhooks import SUBSCRIBABLE

WEEKDAY_CHOICES = list(enumerate(AlertRule.WEEKDAY_NAMES))
TYPE_LABELS = dict(Event.TYPES)


class DestinationForm(forms.ModelForm):
    url = forms.URLField(max_length=2000, assume_scheme="https", label="URL")
    event_types = forms.MultipleChoiceField(
        choices=[(name, f"{name}: {TYPE_LABELS[name]}") for name in SUBSCRIBABLE],
        widget=forms.CheckboxSelectMultiple, label="Events sent",
        help_text="Alerts go to the destinations their rules choose.",
    )
    cameras = forms.ModelMultipleChoiceField(Camera.objects.all(), required=False, widget=forms.CheckboxSelectMultiple,
                                             help_text="None ticked: every camera.")
    people = forms.ModelMultipleChoiceField(Person.objects.filter(active=True), required=False,
                                            widget=forms.CheckboxSelectMultiple, help_text="None ticked: everyone.")

    class Meta:
        model = Destination
        fields = ["name", "url", "event_types", "cameras", "people", "identity", "include_crops", "allow_private",
                  "active"]
        labels = {
            "identity": "Faces",
            "include_crops": "Include a face crop link (a signed URL valid for a few minutes)",
            "allow_private": "Allow private addresses (loopback, LAN): only for receivers you run yourself",
        }

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        if urlsplit(url).scheme.lower() not in SCHEMES:
            raise forms.ValidationError("The URL must start with http:// or https://.")
        return url

    def clean(self):
        cleaned = super().clean()
        host = urlsplit(cleaned.get("url") or "").hostname or ""
        if host and not cleaned.get("allow_private"):
            problem = "localhost is a loopback name" if host == "localhost" or host.endswith(".localhost") else None
            try:
                problem = problem or address_problem(str(ipaddress.ip_address(host)))
            except ValueError:
                pass  # a name: its addresses are checked on every delivery
            if problem:
                self.add_error("url", f"{problem}: tick \"allow private addresses\" to send there.")
        return cleaned


class AlertRuleForm(forms.ModelForm):
    days = forms.TypedMultipleChoiceField(choices=WEEKDAY_CHOICES, coerce=int, required=False,
                                          widget=forms.CheckboxSelectMultiple, initial=AlertRule.WEEKDAYS,
                                          help_text="\"Not arrived by\": the days it is checked on.")
    destinations = forms.ModelMultipleChoiceField(Destination.objects.all(), required=False,
                                                  widget=forms.CheckboxSelectMultiple, label="Send to")
    cooldown_minutes = forms.IntegerField(
        min_value=0, max_value=24 * 60, required=False, initial=AlertRule.DEFAULT_COOLDOWN_MINUTES,
        label="Quiet for (minutes) after it fires",
        help_text=f"\"Stranger at\" and \"person seen\": no second alert within this many minutes (0: one for every "
                  f"visit; empty: {AlertRule.DEFAULT_COOLDOWN_MINUTES}). A visit fires once however long it lasts.",
    )

    class Meta:
        model = AlertRule
        fields = ["name", "kind", "camera", "person", "start_time", "end_time", "deadline", "days", "cooldown_minutes",
                  "destinations", "active"]
        labels = {"start_time": "From (HH:MM)", "end_time": "Until (HH:MM)", "deadline": "Arrived by (HH:MM)"}
        help_texts = {
            "camera": "\"Stranger at\": empty means any camera.",
            "person": "\"Late\" and \"absent\": empty means anyone.",
            "end_time": "Before the start time: the window crosses midnight (18:00 to 07:00).",
        }
        widgets = {name: forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
                   for name in ("start_time", "end_time", "deadline")}

    # What each kind needs, and the fields that mean nothing to it (cleared on save).
    NEEDS = {
        AlertRule.STRANGER_AT: (("start_time", "end_time"), ("person", "deadline", "days")),
        AlertRule.PERSON_SEEN: (("person",), ("camera", "start_time", "end_time", "deadline", "days")),
        AlertRule.NOT_ARRIVED: (("person", "deadline", "days"), ("camera", "start_time", "end_time")),
        AlertRule.LATE: ((), ("camera", "start_time", "end_time", "deadline", "days")),
        AlertRule.ABSENT: ((), ("camera", "start_time", "end_time", "deadline", "days")),
    }

    def clean_cooldown_minutes(self) -> int:
        minutes = self.cleaned_data["cooldown_minutes"]
        return AlertRule.DEFAULT_COOLDOWN_MINUTES if minutes is None else minutes

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind not in self.NEEDS:
            return cleaned
        needed, unused = self.NEEDS[kind]
        for name in needed:
            if cleaned.get(name) in (None, "", []):
                self.add_error(name, f"A \"{dict(AlertRule.KIND_CHOICES)[kind]}\" rule needs this.")
        for name in unused:
            cleaned[name] = [] if name == "days" else None
        return cleaned
