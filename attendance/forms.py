"""Attendance's forms: they validate input only; attendance.setup and the services act."""

import re

from django import forms
from django.core.exceptions import ValidationError

from attendance.models import (
    AttendanceCode, AttendanceEvent, CameraRole, Group, RegisterDay, Schedule, ScheduleSession,
)
from attendance.setup.schedules import MAX_MINUTES, SessionRow
from identity.matching.strangers import person_id_shown
from identity.models import Person

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_MEMBERS_AT_ONCE = 200  # codes typed in one go; more come through the import CSV's groups column
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
CODES_HELP = "Their codes (P-… for someone without one), separated by commas, spaces or new lines."


def person_shown_as(text: str) -> Person | None:
    """The person a page shows as `text`: their code, or P-<id> for one without a code."""
    person_id = person_id_shown(text)
    if person_id is not None:
        return Person.objects.filter(pk=person_id, code=None).first()
    return Person.objects.filter(code=text).first() if text else None


def refusal_onto(form: forms.Form, error: ValidationError) -> None:
    """A service's refusal on the form: on the field it names, else above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


class GroupForm(forms.Form):
    name = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=Group.KIND_CHOICES, initial=Group.CLASS)


class MembersAddForm(forms.Form):
    people = forms.CharField(
        label="Add people", widget=forms.Textarea(attrs={"rows": 2}), help_text=CODES_HELP)

    def clean_people(self) -> list[Person]:
        return people_typed(self.cleaned_data["people"], refused="nobody was added")


def people_typed(text: str, *, refused: str) -> list[Person]:
    """The people of codes (P-… for someone without one) separated by commas, spaces or new lines."""
    wanted = list(dict.fromkeys(part for part in re.split(r"[\s,;]+", text) if part))
    if len(wanted) > MAX_MEMBERS_AT_ONCE:
        raise ValidationError(f"At most {MAX_MEMBERS_AT_ONCE} people at once (the import CSV takes more).")
    found = {text: person_shown_as(text) for text in wanted}
    unknown = [text for text, person in found.items() if person is None]
    if unknown:
        raise ValidationError(f"Nobody enrolled is {', '.join(unknown)}: {refused}.")
    return list(dict.fromkeys(found.values()))


class ScheduleForm(forms.Form):
    starts_on = forms.DateField(label="In force from", widget=DATE)
    grace_late = forms.IntegerField(min_value=0, max_value=MAX_MINUTES, initial=5, label="Grace for a late arrival (min)")
    grace_early = forms.IntegerField(min_value=0, max_value=MAX_MINUTES, initial=5,
                                     label="Grace for an early departure (min)")
    absent_after = forms.IntegerField(min_value=0, max_value=MAX_MINUTES, initial=30,
                                      label="Absent when not seen after (min)")
    checkin_before = forms.IntegerField(min_value=0, max_value=MAX_MINUTES, initial=60,
                                        label="Check-in counts from, before the start (min)")
    checkout_after = forms.IntegerField(min_value=0, max_value=MAX_MINUTES, initial=240,
                                        label="Check-out counts until, after the end (min)")
    close_out = forms.ChoiceField(choices=Schedule.CLOSE_OUT_CHOICES, label="A forgotten check-out is closed")

    def minutes(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items() if name != "starts_on"}


class SessionForm(forms.Form):
    # A blank first choice: a blank row left as it is has not changed, so it is no session.
    weekday = forms.TypedChoiceField(choices=[("", "—"), *enumerate(ScheduleSession.WEEKDAYS)], coerce=int)
    start = forms.TimeField(widget=TIME)
    end = forms.TimeField(widget=TIME)
    overnight = forms.BooleanField(required=False, label="ends the next day")

    def row(self) -> SessionRow:
        data = self.cleaned_data
        return SessionRow(data["weekday"], data["start"], data["end"], data["overnight"])


SessionFormSet = forms.formset_factory(SessionForm, extra=3, can_delete=True, max_num=7 * 12, validate_max=True)


def session_rows_of(formset) -> list[SessionRow]:
    """The schedule's rows and the filled new ones, less those marked to remove (a blank row is no session)."""
    existing = formset.initial_form_count()
    return [form.row() for index, form in enumerate(formset.forms)
            if (index < existing or form.has_changed()) and not form.cleaned_data.get("DELETE")]


class ClosureForm(forms.Form):
    name = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"placeholder": "e.g. Autumn holidays"}))
    first_day = forms.DateField(widget=DATE)
    last_day = forms.DateField(widget=DATE)
    groups = forms.ModelMultipleChoiceField(queryset=Group.objects.all(), required=False,
                                            help_text="None chosen: every group.",
                                            widget=forms.CheckboxSelectMultiple)


class CodeForm(forms.Form):
    label = forms.CharField(max_length=40, widget=forms.TextInput(attrs={"placeholder": "e.g. T: school trip"}))
    category = forms.ChoiceField(choices=AttendanceCode.CATEGORY_CHOICES)
    colour = forms.CharField(max_length=7, initial="#888888", widget=forms.TextInput(attrs={"type": "color"}))


class AbsenceForm(forms.Form):
    person = forms.CharField(max_length=64, label="Person's code (P-… for someone without one)")
    first_day = forms.DateField(widget=DATE)
    last_day = forms.DateField(widget=DATE)
    code = forms.ModelChoiceField(queryset=AttendanceCode.objects.filter(category=AttendanceCode.EXCUSED_ABSENCE),
                                  empty_label=None)
    reason = forms.CharField(max_length=200, required=False,
                             widget=forms.TextInput(attrs={"placeholder": "leave, sick, a trip"}))

    def clean_person(self) -> Person:
        text = self.cleaned_data["person"].strip()
        person = person_shown_as(text)
        if person is None:
            raise ValidationError(f"Nobody enrolled has the code {text}.")
        return person


class CameraRoleForm(forms.Form):
    role = forms.ChoiceField(choices=CameraRole.ROLE_CHOICES, label="Attendance role")
class ContactForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="e.g. \"Mother\" or her name")
    email = forms.EmailField(label="E-mail")


MARK_CHOICES = [(status, label) for status, label in RegisterDay.STATUS_CHOICES if status in AttendanceEvent.MARK_STATUSES]
WHOLE_GROUP = ""


class MarkForm(forms.Form):
    """A correction on a group's day: one member (or the whole group), a status, a code, a reason."""

    person = forms.TypedChoiceField(coerce=int, empty_value=WHOLE_GROUP, required=False, label="Who")
    status = forms.ChoiceField(choices=MARK_CHOICES, label="Mark as")
    code = forms.ModelChoiceField(queryset=AttendanceCode.objects.all(), required=False, label="Code",
                                  empty_label="no code")
    reason = forms.CharField(max_length=200, required=False, label="Reason")

    def __init__(self, *args, members: list[tuple[int, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [(WHOLE_GROUP, "The whole group"), *members]


class RollCallPhotoForm(forms.Form):
    """A photo for a roll call and its day (the photo is checked by the service)."""

    day = forms.DateField(widget=DATE)
    photo = forms.FileField(label="Class photo")


class RollCallForm(RollCallPhotoForm):
    """A group's roll call: one of its sessions that day (its start is when the members are seen;
    none: the upload's moment)."""

    day = forms.DateField(widget=forms.HiddenInput)  # chosen above the form: its sessions are offered
    session = forms.TypedChoiceField(coerce=int, empty_value=None, required=False, label="Session")

    def __init__(self, *args, sessions: list[ScheduleSession] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].choices = [("", "none: the time of the upload")] + [
            (session.pk, f"{session.get_weekday_display()} {session.start:%H:%M}–{session.end:%H:%M}")
            for session in sessions]


class RollCallPeopleForm(RollCallPhotoForm):
    """A roll call for a chosen list of people (no group, so no session: the upload's time)."""

    people = forms.CharField(label="The people expected", widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=CODES_HELP)

    def clean_people(self) -> list[Person]:
        return people_typed(self.cleaned_data["people"], refused="no roll call was taken")


class RollCallFaceForm(forms.Form):
    """Whom one face of a roll call is: a member, or (empty) no member of the group."""

    person = forms.TypedChoiceField(coerce=int, empty_value=None, required=False, label="Who")

    def __init__(self, *args, members: list[tuple[int, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [("", "not a member"), *members]
