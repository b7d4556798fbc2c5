"""Forms of the web pages: they validate input only; the services in identity/services/ act."""

import base64
import binascii

from django import forms
from django.core.files.uploadedfile import UploadedFile

from identity.models import Camera, Person

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

    field_order = ["name", "code", "consent", "photos"]

    def clean_code(self) -> str | None:
        code = self.cleaned_data["code"].strip() or None
        if code and Person.objects.filter(code=code).exists():
            raise forms.ValidationError("Another person already has this code.")
        return code


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
    class Meta:
        model = Camera
        fields = ["name", "kind"]


class CompareForm(forms.Form):
    image1 = forms.FileField(label="First photo", widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))
    image2 = forms.FileField(label="Second photo", widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))


def posted(request) -> tuple:
    """(data, files) for binding a form on POST, even an empty one; (None, None) otherwise."""
    return (request.POST, request.FILES) if request.method == "POST" else (None, None)
