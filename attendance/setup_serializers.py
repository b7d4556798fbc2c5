"""The API's shapes for the register's setup: groups and members, schedules, closures, codes,
planned absences (attendance.setup_api)."""

from rest_framework import serializers

from attendance.models import AttendanceCode, Closure, Group, PlannedAbsence, Schedule
from attendance.setup.schedules import MAX_MINUTES, MINUTE_FIELDS, SessionRow
from identity.api.serializers import MAX_ROW_ID, PersonBriefSerializer
from identity.models import Person

MAX_IDS = 1000  # people added or removed in one request


def _row_id() -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ROW_ID)


class GroupSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Group.KIND_CHOICES)
    member_count = serializers.IntegerField()
    responsible = serializers.ListField(child=serializers.CharField(), help_text="Their user names.")


class GroupDetailSerializer(GroupSerializer):
    members = PersonBriefSerializer(many=True)
    schedule_in_force = serializers.IntegerField(allow_null=True, help_text="Today's schedule's id, if any.")


class GroupWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=Group.KIND_CHOICES, default=Group.CLASS)


class MembersChangeSerializer(serializers.Serializer):
    add = serializers.ListField(child=_row_id(), required=False, max_length=MAX_IDS, help_text="Ids of people to add.")
    remove = serializers.ListField(child=_row_id(), required=False, max_length=MAX_IDS,
                                   help_text="Ids of people to remove.")

    def validate(self, attrs: dict) -> dict:
        wanted = set(attrs.get("add", [])) | set(attrs.get("remove", []))
        found = set(Person.objects.filter(pk__in=wanted).values_list("pk", flat=True))
        if wanted - found:
            missing = ", ".join(str(pk) for pk in sorted(wanted - found))
            raise serializers.ValidationError(f"No person has the id {missing}: nothing was changed.")
        return attrs


class MembersResultSerializer(serializers.Serializer):
    added = serializers.IntegerField()
    removed = serializers.IntegerField()
    member_count = serializers.IntegerField()


class ResponsibleSerializer(serializers.Serializer):
    users = serializers.ListField(child=_row_id(), max_length=MAX_IDS,
                                  help_text="Ids of the users responsible for the group (exactly these).")


class SessionSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 Monday … 6 Sunday.")
    start = serializers.TimeField(format="%H:%M")
    end = serializers.TimeField(format="%H:%M")
    overnight = serializers.BooleanField(default=False, help_text="It ends the next day (a night shift).")


class ScheduleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    group = serializers.IntegerField(source="group_id")
    starts_on = serializers.DateField()
    grace_late = serializers.IntegerField()
    grace_early = serializers.IntegerField()
    absent_after = serializers.IntegerField()
    checkin_before = serializers.IntegerField()
    checkout_after = serializers.IntegerField()
    close_out = serializers.ChoiceField(choices=Schedule.CLOSE_OUT_CHOICES)
    sessions = SessionSerializer(many=True, source="sessions.all")


class ScheduleWriteSerializer(serializers.Serializer):
    starts_on = serializers.DateField()
    sessions = SessionSerializer(many=True, max_length=7 * 12)
    grace_late = serializers.IntegerField(min_value=0, max_value=MAX_MINUTES, required=False)
    grace_early = serializers.IntegerField(min_value=0, max_value=MAX_MINUTES, required=False)
    absent_after = serializers.IntegerField(min_value=0, max_value=MAX_MINUTES, required=False)
    checkin_before = serializers.IntegerField(min_value=0, max_value=MAX_MINUTES, required=False)
    checkout_after = serializers.IntegerField(min_value=0, max_value=MAX_MINUTES, required=False)
    close_out = serializers.ChoiceField(choices=Schedule.CLOSE_OUT_CHOICES, required=False)

    def service_fields(self) -> dict:
        data = self.validated_data
        minutes = {name: data[name] for name in (*MINUTE_FIELDS, "close_out") if name in data}
        rows = [SessionRow(row["weekday"], row["start"], row["end"], row["overnight"]) for row in data["sessions"]]
        return {"starts_on": data["starts_on"], "sessions": rows, **minutes}


class ClosureSerializer(serializers.ModelSerializer):
    groups = serializers.PrimaryKeyRelatedField(many=True, queryset=Group.objects.all(), required=False,
                                                help_text="Ids of the groups it closes for; none: every group.")

    class Meta:
        model = Closure
        fields = ["id", "name", "first_day", "last_day", "groups"]


class CodeSerializer(serializers.ModelSerializer):
    class Meta:
        model = AttendanceCode
        fields = ["id", "label", "category", "colour"]
        extra_kwargs = {"label": {"validators": []}}  # the service says a label is taken, in a sentence


class AbsenceSerializer(serializers.ModelSerializer):
    person = serializers.PrimaryKeyRelatedField(queryset=Person.objects.all())
    code = serializers.PrimaryKeyRelatedField(queryset=AttendanceCode.objects.all(),
                                              help_text="An excused-absence code's id.")

    class Meta:
        model = PlannedAbsence
        fields = ["id", "person", "first_day", "last_day", "code", "reason"]


class AbsenceFilterSerializer(serializers.Serializer):
    person = serializers.IntegerField(min_value=1, max_value=MAX_ROW_ID, required=False)
    since = serializers.DateField(required=False)

    def validate(self, attrs: dict) -> dict:
        from faceapp.clock import site_date

        attrs.setdefault("since", site_date())
        return attrs
