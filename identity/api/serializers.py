"""API serializers: multipart inputs, query filters, and the JSON the API answers with.

The recognition result is built by `identity.presenters.snapshot_payload` (shared
with the websocket events); its serializers here only document it in the OpenAPI schema.
"""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from identity.models import Camera, FaceSample, MatchLog, Person
from identity.presenters import camera_brief

MAX_PHOTOS_PER_REQUEST = 20
# A row id is a signed 64-bit integer: a larger number names no row (and overflows SQLite).
MAX_ROW_ID = 2**63 - 1


# Inputs


@extend_schema_field({"type": "boolean", "enum": [True]})
class ConsentField(serializers.BooleanField):
    """A yes/no field whose only acceptable answer is yes (the schema says so)."""


@extend_schema_field(OpenApiTypes.BINARY)
class UploadField(serializers.FileField):
    """An uploaded file, documented as binary (COMPONENT_SPLIT_REQUEST is off)."""


def _photos_field() -> serializers.ListField:
    return serializers.ListField(
        child=UploadField(allow_empty_file=True),
        min_length=1,
        max_length=MAX_PHOTOS_PER_REQUEST,
        help_text="One or more photos of the person, one face each (repeat the field).",
    )


class DistinctFromField(serializers.IntegerField):
    """The override of a 409: the id of the enrolled person these photos were held as, whom the
    caller confirms is a different person (remembered for the pair, audited)."""

    def __init__(self):
        super().__init__(required=False, min_value=1, max_value=MAX_ROW_ID, help_text=(
            "Override: the id of the enrolled person a 409 named, confirmed to be a different person "
            "(twins): the photos are not held as them. Remembered for the pair and audited."))

    def run_validation(self, data=serializers.empty) -> Person | None:
        person_id = super().run_validation(data)  # an int in range, or None when not sent
        person = None if person_id is None else Person.objects.filter(pk=person_id).first()
        if person_id is not None and person is None:
            raise serializers.ValidationError("Nobody enrolled has this id.")
        return person


class PersonEnrollSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    code = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    consent = ConsentField(help_text="The person consented to biometric enrolment: must be true.")
    photos = _photos_field()
    different_from = DistinctFromField()

    def validate_consent(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError("Consent is required to enrol a person: send consent=true.")
        return value


class PhotosAddSerializer(serializers.Serializer):
    photos = _photos_field()
    different_from = DistinctFromField()


class PersonUpdateSerializer(serializers.Serializer):
    """PATCH: only the fields sent change (the service checks the name and that the code is free)."""

    name = serializers.CharField(max_length=200, required=False)
    code = serializers.CharField(max_length=64, required=False, allow_blank=True, allow_null=True,
                                 help_text="Empty or null: no code.")
    active = serializers.BooleanField(required=False, help_text="An inactive person is not recognised.")


class LogReviewSerializer(serializers.Serializer):
    CONFIRM, REJECT, REASSIGN, UNDO = "confirm", "reject", "reassign", "undo"

    action = serializers.ChoiceField(
        choices=[CONFIRM, REJECT, REASSIGN, UNDO],
        help_text="confirm: the system was right; reject: not this person (nobody); reassign: it is `person`; "
        "undo: back to the system's decision.",
    )
    person = serializers.PrimaryKeyRelatedField(
        queryset=Person.objects.all(), required=False, allow_null=True, help_text="The person's id: for reassign."
    )
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict) -> dict:
        if attrs["action"] == self.REASSIGN and attrs.get("person") is None:
            raise serializers.ValidationError({"person": ["Say who this face really is: a person id to reassign to."]})
        return attrs


class RecognizeSerializer(serializers.Serializer):
    image = UploadField(allow_empty_file=True, help_text="A JPEG or PNG photo to recognise.")
    camera = serializers.PrimaryKeyRelatedField(
        queryset=Camera.objects.filter(active=True), required=False, allow_null=True,
        help_text="The id of the camera the photo comes from (optional).",
    )



def _row_id(help_text: str) -> serializers.IntegerField:
    return serializers.IntegerField(required=False, min_value=1, max_value=MAX_ROW_ID, help_text=help_text)


class LogFilterSerializer(serializers.Serializer):
    person = _row_id("Only faces matched to this person id.")
    decision = serializers.ChoiceField(choices=[choice for choice, _ in MatchLog.DECISION_CHOICES], required=False)
    camera = _row_id("Only faces seen by this camera id.")
    since = serializers.DateTimeField(required=False, help_text="Only faces logged at or after this ISO 8601 time.")


# Outputs


class PersonSerializer(serializers.ModelSerializer):
    accepted_samples = serializers.IntegerField(read_only=True)

    class Meta:
        model = Person
        fields = ["id", "name", "code", "display_id", "active", "created_at", "accepted_samples"]


class SampleSerializer(serializers.ModelSerializer):
    photo_url = serializers.SerializerMethodField()
    crop_url = serializers.SerializerMethodField()

    class Meta:
        model = FaceSample
        fields = ["id", "status", "reason", "quality", "source", "created_at", "processed_at", "photo_url", "crop_url"]

    def get_photo_url(self, sample: FaceSample) -> str | None:
        return reverse("media-sample-photo", args=[sample.id]) if sample.photo else None

    def get_crop_url(self, sample: FaceSample) -> str | None:
        return reverse("media-sample-crop", args=[sample.id]) if sample.crop else None


class PersonDetailSerializer(serializers.ModelSerializer):
    samples = SampleSerializer(many=True, read_only=True)

    class Meta:
        model = Person
        fields = ["id", "name", "code", "display_id", "active", "created_at", "samples"]


class EnrolledPhotoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    filename = serializers.CharField(help_text="The uploaded file's name.")
    status = serializers.ChoiceField(choices=[FaceSample.PENDING, FaceSample.ACCEPTED, FaceSample.REJECTED,
                                              FaceSample.HELD])
    reason = serializers.CharField(help_text="Why the photo was rejected or held; empty otherwise.")


class PersonBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    code = serializers.CharField(allow_null=True)


class DuplicateRefusedSerializer(serializers.Serializer):
    error = serializers.CharField()
    matched = PersonBriefSerializer(help_text="The enrolled person the photos' face was named as: send "
                                              "different_from=<their id> if this is someone else.")
    photos = EnrolledPhotoSerializer(many=True)


class EnrolmentResultSerializer(serializers.Serializer):
    person = PersonBriefSerializer()
    photos = EnrolledPhotoSerializer(many=True)
    status_url = serializers.URLField(help_text="GET it to follow the photos' status.")


def person_brief(person: Person | None) -> dict | None:
    """The PersonBriefSerializer shape."""
    return {"id": person.id, "name": person.name, "code": person.code} if person else None


class CameraBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="Null: the camera was deleted (its visits stay).")
    name = serializers.CharField()


class MatchLogSerializer(serializers.ModelSerializer):
    snapshot_id = serializers.IntegerField(read_only=True)
    camera = serializers.SerializerMethodField()
    person = serializers.SerializerMethodField()
    reviewed_person = serializers.SerializerMethodField()
    provisional = serializers.SerializerMethodField()
    label = serializers.SerializerMethodField()
    crop_url = serializers.SerializerMethodField()

    class Meta:
        model = MatchLog
        fields = [
            "id", "snapshot_id", "camera", "face_index", "box", "decision", "assigned_id", "label", "person",
            "provisional", "similarity", "margin", "review_status", "reviewed_person", "created_at", "crop_url",
        ]

    @extend_schema_field(CameraBriefSerializer(allow_null=True))
    def get_camera(self, log: MatchLog) -> dict | None:
        return camera_brief(log.snapshot)

    @extend_schema_field(PersonBriefSerializer(allow_null=True))
    def get_person(self, log: MatchLog) -> dict | None:
        return person_brief(log.person)

    @extend_schema_field(PersonBriefSerializer(allow_null=True, help_text="Who a reviewer said it is, if anyone."))
    def get_reviewed_person(self, log: MatchLog) -> dict | None:
        return person_brief(log.reviewed_person)

    def get_provisional(self, log: MatchLog) -> str | None:
        return log.provisional.label if log.provisional else None

    def get_label(self, log: MatchLog) -> str:
        return log.label

    def get_crop_url(self, log: MatchLog) -> str | None:
        return reverse("media-log-crop", args=[log.id]) if log.crop else None




# Schema-only: the shape of `identity.presenters.snapshot_payload`.


class SnapshotInfoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    camera = CameraBriefSerializer(allow_null=True)
    received_at = serializers.DateTimeField()
    processed_at = serializers.DateTimeField(allow_null=True)
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    status = serializers.CharField()
    error = serializers.CharField()
    image_url = serializers.CharField()


class RecognizedFaceSerializer(serializers.Serializer):
    log_id = serializers.IntegerField()
    face_index = serializers.IntegerField()
    box = serializers.ListField(child=serializers.FloatField(), min_length=4, max_length=4)
    decision = serializers.ChoiceField(choices=[choice for choice, _ in MatchLog.DECISION_CHOICES])
    too_small = serializers.BooleanField(
        help_text="The face is under the model's name size (FACEAPP_MIN_NAME_PX): reported, never named.")
    assigned_id = serializers.CharField(allow_blank=True)
    label = serializers.CharField()
    person = PersonBriefSerializer(allow_null=True)
    provisional = serializers.CharField(allow_null=True, help_text='A stranger\'s provisional ID, e.g. "U-0001".')
    similarity = serializers.FloatField(allow_null=True)
    margin = serializers.FloatField(allow_null=True)
    crop_url = serializers.CharField(allow_null=True)


class RecognitionResultSerializer(serializers.Serializer):
    snapshot = SnapshotInfoSerializer()
    faces = RecognizedFaceSerializer(many=True)
    status_url = serializers.URLField(required=False, help_text="Only while pending: GET it for the result.")
    error = serializers.CharField(required=False, help_text="Only when the recognition failed.")


class ErrorSerializer(serializers.Serializer):
    error = serializers.CharField()
