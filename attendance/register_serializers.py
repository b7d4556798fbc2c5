"""The API's shapes for the register's reads and corrections (attendance.register_api); the
payloads are attendance.register_presenters'."""

from rest_framework import serializers

from attendance.forms import MARK_CHOICES
from attendance.models import RegisterDay
from identity.api.serializers import MAX_ROW_ID



def _table(help_text: str) -> serializers.ListField:
    """Rows of cells: text, or numbers in the count and total columns."""
    return serializers.ListField(child=serializers.ListField(child=serializers.JSONField()), help_text=help_text)


class GroupRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class RegisterRowSerializer(serializers.Serializer):
    person_id = serializers.IntegerField()
    name = serializers.CharField()
    code = serializers.CharField(help_text="The person's code (empty without one).")
    status = serializers.ChoiceField(choices=RegisterDay.STATUS_CHOICES,
                                     help_text="pending: not derived or not decided yet.")
    status_label = serializers.CharField()
    cell = serializers.CharField(help_text="The month sheet's cell: the attendance code's label, else a status letter.")
    colour = serializers.CharField(allow_null=True, help_text="The attendance code's colour (#rrggbb), if any.")
    first_in = serializers.DateTimeField(allow_null=True)
    last_out = serializers.DateTimeField(allow_null=True)
    minutes_late = serializers.IntegerField()
    minutes_on_site = serializers.IntegerField()
    on_site = serializers.CharField(help_text='Time on site as the page writes it ("7 h 07").')
    in_now = serializers.BooleanField()
    forgotten_out = serializers.BooleanField(help_text="No exit seen: the stay was closed by the schedule's rule.")
    marked = serializers.BooleanField(help_text="A mark by hand set the status.")
    mark_id = serializers.IntegerField(allow_null=True, help_text="The mark in force (DELETE it to take it back).")
    mark_reason = serializers.CharField()


class RegisterCountsSerializer(serializers.Serializer):
    expected = serializers.IntegerField()
    locals()["in"] = serializers.IntegerField(help_text="Present, late or left early.")  # a Python keyword
    late = serializers.IntegerField()
    absent = serializers.IntegerField()
    excused = serializers.IntegerField()
    left_early = serializers.IntegerField()
    in_now = serializers.IntegerField()
    pending = serializers.IntegerField()
    holiday = serializers.IntegerField()


class RegisterSerializer(serializers.Serializer):
    group = GroupRefSerializer()
    day = serializers.DateField()
    counts = RegisterCountsSerializer()
    rows = RegisterRowSerializer(many=True)


class RegisterFilterSerializer(serializers.Serializer):
    day = serializers.DateField(required=False, help_text="YYYY-MM-DD; today when left out.")


class MonthSheetSerializer(serializers.Serializer):
    group = GroupRefSerializer()
    month = serializers.CharField(help_text="YYYY-MM")
    table = _table((
        "The month sheet as the CSV and XLSX downloads have it: a header row (person, code, each day's number, "
        "days present, late, minutes late, hours on site, excused absences, unexcused absences), then one row per "
        "person."))


class SummaryFilterSerializer(serializers.Serializer):
    locals()["from"] = serializers.DateField(required=False,
                                             help_text="YYYY-MM-DD; the first of this month when left out.")
    to = serializers.DateField(required=False, help_text="YYYY-MM-DD; today when left out.")


class SummaryDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    attended = serializers.IntegerField()
    expected = serializers.IntegerField()


class SummarySerializer(serializers.Serializer):
    locals()["from"] = serializers.DateField()
    to = serializers.DateField()
    table = _table((
        "Each group a user may read: a header row (group, person-days expected, attended, late, attendance "
        "rate %, late rate %), then one row per group, as the CSV and XLSX downloads."))
    days = SummaryDaySerializer(many=True)


class MarkWriteSerializer(serializers.Serializer):
    person_id = serializers.IntegerField(min_value=1, max_value=MAX_ROW_ID, required=False, allow_null=True,
                                         help_text="A member; left out or null: every member of the group.")
    day = serializers.DateField()
    status = serializers.ChoiceField(choices=MARK_CHOICES)
    code_id = serializers.IntegerField(min_value=1, max_value=MAX_ROW_ID, required=False, allow_null=True,
                                       help_text="An attendance code's id.")
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class MarkSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    person_id = serializers.IntegerField()
    day = serializers.DateField()
    status = serializers.CharField()
    code_id = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()
