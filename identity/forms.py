"""Forms of the web pages: they validate input only; the services in identity/services/ act."""

import base64
import binascii
from pathlib import Path
from zoneinfo import available_timezones

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from identity.live.addresses import AddressError
from identity.live.source_url import SourceUrlError
from identity.models import Camera, MatchLog, Person
from identity.roles import ADMIN, OPERATOR, VIEWER
from identity.selectors import person_by_display_id
from identity.services.camera_sources import camera_source_check, camera_source_set
from identity.services.enrolment import person_code_clean

CONSENT_SENTENCE = (
    "This person agreed, knowingly and freely, that their face photos and the face templates "
    "computed from them are stored and used here to recognise them, until they are deleted."
)
MAX_WEBCAM_PHOTOS = 20


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file input that takes several files; cleans to a list of uploads (maybe empty)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        cleaned, errors = [], []
        for item in files:
            try:
                cleaned.append(super().clean(item, initial))
            except forms.ValidationError as error:  # say which of several files it was
                errors += [f"{getattr(item, 'name', 'file')}: {message}" for message in error.messages]
        if errors:
            raise forms.ValidationError(errors)
        return cleaned


def decode_data_url(data_url: str) -> bytes:
    """The bytes of a `data:image/...;base64,...` URL from a webcam capture."""
    header, _, payload = data_url.partition(",")
    if not (header.startswith("data:image/") and header.endswith(";base64")) or not payload:
        raise forms.ValidationError("is not an image data URL")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as error:
        raise forms.ValidationError("is not valid base64") from error


class PhotosForm(forms.Form):
    """Enrolment photos: files and/or webcam captures (hidden `webcam_photos` inputs)."""

    photos = MultipleFileField(label="Photos")

    def __init__(self, *args, photos_required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.photos_required = photos_required

    def clean(self):
        cleaned = super().clean()
        webcam: list[tuple[str, bytes]] = []
        data_urls = self.data.getlist("webcam_photos") if hasattr(self.data, "getlist") else []
        if len(data_urls) > MAX_WEBCAM_PHOTOS:
            raise forms.ValidationError(f"At most {MAX_WEBCAM_PHOTOS} webcam captures at once.")
        for number, data_url in enumerate(data_urls, start=1):
            try:
                webcam.append((f"webcam-{number}.jpg", decode_data_url(data_url)))
            except forms.ValidationError as error:
                self.add_error(None, f"Webcam capture {number} {error.messages[0]}.")
        cleaned["webcam_photos"] = webcam
        if self.photos_required and not cleaned.get("photos") and not webcam and not self.errors:
            self.add_error("photos", "Add at least one photo: choose files or capture from the camera.")
        return cleaned

    def photo_inputs(self) -> list[UploadedFile | tuple[str, bytes]]:
        return list(self.cleaned_data.get("photos") or []) + list(self.cleaned_data["webcam_photos"])


class PersonCreateForm(PhotosForm):
    name = forms.CharField(max_length=200)
    code = forms.CharField(max_length=64, required=False, help_text="Optional: badge or staff number.")
    consent = forms.BooleanField(
        label=CONSENT_SENTENCE,
        error_messages={"required": "Consent is required: a face is never enrolled without it."},
    )

    same_name = forms.BooleanField(
        required=False, label="This is a different person with the same name (I will tell them apart by their face)")

    field_order = ["name", "code", "consent", "photos"]

    def clean_code(self) -> str | None:
        try:
            return person_code_clean(self.cleaned_data["code"])
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["code"]) from None

    def clean(self):
        cleaned = super().clean()
        name = (cleaned.get("name") or "").strip()
        namesake = Person.objects.filter(name__iexact=name).first() if name and not cleaned.get("code") else None
        if namesake is not None and not cleaned.get("same_name"):
            self.same_name_warning = namesake
            self.add_error("name", f"{namesake.name} is enrolled already ({namesake.display_id}). The same person? "
                                   "Add these photos on their page. Someone else? Give a code to tell them apart, "
                                   "or tick the box below.")
        return cleaned


class PersonEditForm(forms.ModelForm):
    class Meta:
        model = Person
        fields = ["name", "code", "active"]


class UploadForm(forms.Form):
    photos = MultipleFileField(label="Photos", required=True)
    camera = forms.ModelChoiceField(
        queryset=Camera.objects.filter(active=True),
        required=False,
        empty_label="Uploads (no camera)",
        help_text="Which camera took these photos, if any.",
    )

    def clean_photos(self):
        photos = self.cleaned_data["photos"]
        if not photos:
            raise forms.ValidationError("Choose at least one photo.")
        return photos


class CameraForm(forms.ModelForm):
    """A camera and its source. The URL passes the source gate (identity.live.source_url) and is
    stored split: its address, shown from then on, and its credentials, sealed and never put
    back in the form or shown. Left empty on an edit, the stored source is kept."""

    source_url = forms.CharField(
        label="Stream URL or file", required=False, strip=False, widget=forms.PasswordInput(render_value=False),
        help_text="The camera's address as its manual gives it, e.g. rtsp://user:password@192.168.1.20/stream "
                  "or http://192.168.1.20/snapshot.jpg; for a video file, its name in the videos folder. In a "
                  "password, write @ as %40 and a space as %20. The address is shown from then on; the password "
                  "never again.",
    )

    class Meta:
        model = Camera
        fields = ["name", "kind", "fps", "poll_seconds", "motion_gate", "min_face_px"]
        labels = {"fps": "Pictures a second to check for faces",
                  "poll_seconds": "Snapshot cameras: seconds between two pictures",
                  "motion_gate": "Look for faces only when something moves",
                  "min_face_px": "Smallest face to look for (pixels wide)"}
        help_texts = {"motion_gate": "Saves the computer's time on an empty doorway. Turn it off for a camera "
                                     "whose picture always moves (a screen, trees, traffic): it would gain nothing.",
                      "min_face_px": "A doorway camera's faces are large: the larger this is, the less time each "
                                     "picture takes. Faces smaller than this may be missed. Empty: the site's "
                                     "setting, by default the smallest face that can be named."}

    def __init__(self, *args, video_dir=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.video_dir = video_dir
        self.order_fields(["name", "kind", "source_url"])
        # "Upload" is the server's own uploads camera and "API" an old kind (an API client may name any
        # camera): neither is a choice, though a camera that already is one keeps it on its own page.
        offered = (Camera.WEBCAM, *Camera.STREAM_KINDS, *([self.instance.kind] if self.instance.pk else []))
        self.fields["kind"].choices = [(kind, label) for kind, label in Camera.KIND_CHOICES if kind in offered]
        for name in ("fps", "poll_seconds"):  # left empty: the model's default
            self.fields[name].required = False

    def clean_fps(self):
        fps = self.cleaned_data["fps"]
        if fps is None:
            return Camera._meta.get_field("fps").default
        if not 0.1 <= fps <= 30:
            raise forms.ValidationError("between 0.1 and 30 frames a second")
        return fps

    def clean_poll_seconds(self):
        seconds = self.cleaned_data["poll_seconds"]
        if seconds is None:
            return Camera._meta.get_field("poll_seconds").default
        if not 0.2 <= seconds <= 3600:
            raise forms.ValidationError("between 0.2 and 3600 seconds")
        return seconds

    def clean_min_face_px(self):
        pixels = self.cleaned_data["min_face_px"]
        if pixels is not None and not 8 <= pixels <= 1000:
            raise forms.ValidationError("between 8 and 1000 pixels, or empty for the site's setting")
        return pixels

    def clean(self):
        cleaned = super().clean()
        # Only plain spaces around it are the input's: a line break or tab is the gate's to refuse.
        kind, url = cleaned.get("kind"), (cleaned.get("source_url") or "").strip(" ")
        cleaned["source_url"] = None  # None: the stored source stays as it is
        if kind not in Camera.STREAM_KINDS:
            cleaned["source_url"] = ""
        elif not url and self.instance.pk and self.instance.kind == kind:
            pass  # unchanged: keep the stored one
        elif not url:
            self.add_error("source_url", "a stream camera needs its URL (or file)")
        elif kind == Camera.FILE:
            cleaned["source_url"] = self._video_path(url)
        else:
            try:
                camera_source_check(kind=kind, url=url)
            except (SourceUrlError, AddressError) as error:
                self.add_error("source_url", f"{error}.")
            else:
                cleaned["source_url"] = url
        return cleaned

    def save(self, commit=True):
        url = self.cleaned_data.get("source_url")
        if url is not None:
            camera_source_set(camera=self.instance, url=url)
        return super().save(commit=commit)

    def _video_path(self, value: str) -> str:
        # Only files in the videos folder: a camera must not become a way to read the server's files.
        folder = Path(self.video_dir).resolve()
        path = (folder / value).resolve()
        if folder not in path.parents:
            self.add_error("source_url", f"the file must be in the videos folder ({folder})")
        elif not path.is_file():
            self.add_error("source_url", f"no such file in the videos folder: {value}")
        return str(path)


class CameraEditForm(CameraForm):
    class Meta(CameraForm.Meta):
        fields = [*CameraForm.Meta.fields, "active"]


class CompareForm(forms.Form):
    image1 = forms.FileField(label="First photo", widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))
    image2 = forms.FileField(label="Second photo", widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))


def posted(request) -> tuple:
    """(data, files) for binding a form on POST, even an empty one; (None, None) otherwise."""
    return (request.POST, request.FILES) if request.method == "POST" else (None, None)


ROLE_CHOICES = [(VIEWER, "Viewer: the dashboard"), (OPERATOR, "Operator: enrol, cameras, review"),
                (ADMIN, "Admin: everything, users and settings")]


class UserCreateForm(forms.Form):
    username = forms.CharField(max_length=150, label="User name")
    email = forms.EmailField(required=False)
    role = forms.ChoiceField(choices=ROLE_CHOICES, initial=VIEWER)
    password = forms.CharField(
        required=False, widget=forms.PasswordInput, strip=False,
        help_text="Leave empty to get a random one, shown once.",
    )


class UserRoleForm(forms.Form):
    role = forms.ChoiceField(choices=ROLE_CHOICES)


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What uses it, e.g. “front desk kiosk”.")


class ProfileForm(forms.Form):
    time_zone = forms.ChoiceField(label="Time zone", required=False)

    def __init__(self, *args, site_zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        zones = sorted(available_timezones())
        self.fields["time_zone"].choices = [("", f"The site's ({site_zone})"), *((zone, zone) for zone in zones)]


class HistoryFilterForm(forms.Form):
    """The recognition history's filters (GET): each one optional."""

    who = forms.CharField(required=False, max_length=100, label="Person or stranger",
                          widget=forms.TextInput(attrs={"type": "search", "placeholder": "name, code or U-…"}))
    camera = forms.ModelChoiceField(queryset=Camera.objects.all(), required=False, empty_label="Every camera")
    decision = forms.ChoiceField(required=False, choices=[("", "Every decision"), *MatchLog.DECISION_CHOICES])
    review = forms.ChoiceField(required=False, choices=[
        ("", "Reviewed or not"), ("unreviewed", "Not reviewed"), ("reviewed", "Reviewed"), ("confirmed", "Confirmed"),
        ("rejected", "Rejected"), ("reassigned", "Reassigned")])
    start = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))


class StrangerNameForm(forms.Form):
    """Name a stranger: a new person (name, optional code), or an enrolled one by their code."""

    name = forms.CharField(required=False, max_length=200, label="New person's name")
    code = forms.CharField(required=False, max_length=50, label="Code")
    existing = forms.CharField(required=False, max_length=50, label="…or an enrolled person's code (or P-number)")
    # The answer to "already enrolled as X?": X's id, a different person (identity.services.duplicates).
    different_from = forms.ModelChoiceField(queryset=Person.objects.all(), required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if bool(data.get("name", "").strip()) == bool(data.get("existing", "").strip()):
            raise ValidationError("Give a new person's name, or the code of someone enrolled (one of the two).")
        data["existing_person"] = person_by_display_id(data.get("existing", "").strip())
        if data.get("existing", "").strip() and data["existing_person"] is None:
            raise ValidationError(f"Nobody enrolled has the code {data['existing'].strip()}.")
        return data


class FaceSearchForm(forms.Form):
    photo = forms.FileField(label="A photo of the face to look for")
