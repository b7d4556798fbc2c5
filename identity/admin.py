"""Django admin: match logs are reviewed here (every action goes through
identity.services.review); people, samples, cameras, snapshots and strangers are
browsable (attendance: attendance.admin). Raw embeddings are never shown; images come through
the permission-checked views."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html

from identity.models import (
    ApiToken,
    Camera,
    FaceSample,
    MatchLog,
    MatchLogReview,
    Person,
    ProvisionalIdentity,
    Snapshot,
)
from identity.roles import ADMIN, has_role
from identity.selectors import with_candidate_sample
from identity.services import accounts, recognition, retention, review
from identity.services.enrolment import person_delete, sample_delete
from identity.views.refusals import refusal_text

# The admin site holds every face and embedding: the admin role, not just is_staff, gets in.
admin.site.has_permission = lambda request: has_role(request.user, ADMIN)
admin.site.site_header = "faceapp administration"


def _thumb(url: str | None, alt: str):
    if not url:
        return "—"
    return format_html('<img src="{}" alt="{}" width="72" height="72">', url, alt)


class SimilarityFilter(admin.SimpleListFilter):
    title = "similarity"
    parameter_name = "similarity"
    BUCKETS = {
        "lt10": ("below 0.10", None, 0.10),
        "10-20": ("0.10 – 0.20", 0.10, 0.20),
        "20-30": ("0.20 – 0.30", 0.20, 0.30),
        "30-40": ("0.30 – 0.40", 0.30, 0.40),
        "40-60": ("0.40 – 0.60", 0.40, 0.60),
        "ge60": ("0.60 and above", 0.60, None),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _, _) in self.BUCKETS.items()] + [("none", "no one enrolled")]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(similarity__isnull=True)
        if self.value() not in self.BUCKETS:
            return queryset
        _, low, high = self.BUCKETS[self.value()]
        if low is not None:
            queryset = queryset.filter(similarity__gte=low)
        return queryset.filter(similarity__lt=high) if high is not None else queryset


class ReviewedFilter(admin.SimpleListFilter):
    title = "reviewed"
    parameter_name = "reviewed"

    def lookups(self, request, model_admin):
        return [("no", "Not reviewed"), ("yes", "Reviewed")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(review_status=MatchLog.UNREVIEWED)
        if self.value() == "yes":
            return queryset.exclude(review_status=MatchLog.UNREVIEWED)
        return queryset


class ReassignForm(forms.Form):
    person = forms.ModelChoiceField(queryset=Person.objects.all(), label="It is really")
    note = forms.CharField(max_length=200, required=False)


class PromoteForm(forms.Form):
    name = forms.CharField(max_length=200)
    code = forms.CharField(max_length=64, required=False)
    consent = forms.BooleanField(
        label="This person agreed that their face is stored and used here to recognise them."
    )


class MatchLogReviewInline(admin.TabularInline):
    model = MatchLogReview
    extra = 0
    can_delete = False
    fields = ("created_at", "action", "user", "from_person", "to_person", "note")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


def _run_on_each(modeladmin, request, queryset, verb: str, call) -> None:
    done, errors = 0, []
    for log in queryset:
        try:
            call(log)
            done += 1
        except ValidationError as error:
            errors.append(f"#{log.pk}: {refusal_text(error)}")
    if done:
        modeladmin.message_user(request, f"{verb} {done} face(s).", messages.SUCCESS)
    for error in errors:
        modeladmin.message_user(request, error, messages.ERROR)


def _intermediate(request, queryset, *, action: str, form, title: str):
    context = {
        "title": title,
        "form": form,
        "logs": queryset,
        "action": action,
        "opts": MatchLog._meta,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return render(request, "admin/identity/matchlog/action_form.html", context)


@admin.register(MatchLog)
class MatchLogAdmin(admin.ModelAdmin):
    list_display = (
        "id", "face", "candidate_face", "assigned_id", "decision", "person", "similarity_shown",
        "margin_shown", "review_status", "reviewed_person", "camera", "created_at",
    )
    list_display_links = ("id", "assigned_id")
    list_filter = (
        "decision", ReviewedFilter, "review_status", SimilarityFilter, ("snapshot__camera", admin.RelatedOnlyFieldListFilter),
        ("person", admin.RelatedOnlyFieldListFilter),
    )
    date_hierarchy = "created_at"
    search_fields = ("assigned_id", "person__name", "person__code", "reviewed_person__name", "reviewed_person__code")
    actions = ("confirm", "reject", "reassign", "promote_provisional", "add_as_sample")
    exclude = ("embedding", "crop")
    readonly_fields = (
        "face", "candidate_face", "snapshot", "face_index", "box", "model_id", "quality", "person", "best_person",
        "similarity", "margin", "threshold", "provisional", "assigned_id", "decision", "created_at",
        "review_status", "reviewed_person", "reviewed_by", "reviewed_at", "review_note",
    )
    inlines = (MatchLogReviewInline,)
    list_per_page = 50

    def get_queryset(self, request):
        logs = super().get_queryset(request).select_related("person", "best_person", "reviewed_person", "snapshot__camera")
        return with_candidate_sample(logs)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # history: logs leave only with retention or with their person

    def has_change_permission(self, request, obj=None):
        return False  # decisions change only through the review actions

    @admin.display(description="face")
    def face(self, log):
        return _thumb(reverse("media-log-crop", args=[log.pk]) if log.crop else None, log.assigned_id)

    @admin.display(description="enrolled face")
    def candidate_face(self, log):
        sample_id = getattr(log, "candidate_sample_id", None)
        return _thumb(reverse("media-sample-crop", args=[sample_id]) if sample_id else None, "enrolled")

    @admin.display(description="similarity", ordering="similarity")
    def similarity_shown(self, log):
        return "—" if log.similarity is None else f"{log.similarity:.3f}"

    @admin.display(description="margin", ordering="margin")
    def margin_shown(self, log):
        return "—" if log.margin is None else f"{log.margin:.3f}"

    @admin.display(description="camera", ordering="snapshot__camera__name")
    def camera(self, log):
        return log.snapshot.source_name

    @admin.action(description="Confirm the decision")
    def confirm(self, request, queryset):
        _run_on_each(self, request, queryset, "Confirmed", lambda log: review.log_confirm(log=log, user=request.user))

    @admin.action(description="Reject: not this person")
    def reject(self, request, queryset):
        _run_on_each(self, request, queryset, "Rejected", lambda log: review.log_reject(log=log, user=request.user))

    @admin.action(description="Reassign to another person…")
    def reassign(self, request, queryset):
        form = ReassignForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return _intermediate(request, queryset, action="reassign", form=form, title="Reassign faces")
        person, note = form.cleaned_data["person"], form.cleaned_data["note"]
        _run_on_each(
            self, request, queryset, f"Reassigned to {person}:",
            lambda log: review.log_reassign(log=log, person=person, user=request.user, note=note),
        )

    @admin.action(description="Turn the provisional ID into a new person…")
    def promote_provisional(self, request, queryset):
        provisional_ids = set(queryset.values_list("provisional_id", flat=True))
        if len(provisional_ids) != 1 or None in provisional_ids:
            self.message_user(request, "Choose faces of exactly one provisional ID (U-…).", messages.ERROR)
            return None
        provisional = ProvisionalIdentity.objects.get(pk=provisional_ids.pop())
        form = PromoteForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            title = f"Make {provisional.label} a person"
            return _intermediate(request, queryset, action="promote_provisional", form=form, title=title)
        try:
            person = review.provisional_promote(
                provisional=provisional, name=form.cleaned_data["name"], code=form.cleaned_data["code"] or None,
                user=request.user,
            )
        except ValidationError as error:
            self.message_user(request, refusal_text(error), messages.ERROR)
            return None
        self.message_user(request, f"{provisional.label} is now {person}, with all their faces.", messages.SUCCESS)
        return None

    @admin.action(description="Add the face as a sample of its person")
    def add_as_sample(self, request, queryset):
        _run_on_each(self, request, queryset, "Enrolled", lambda log: review.log_add_as_sample(log=log, user=request.user))


class _ErasingAdmin(admin.ModelAdmin):
    """Deletion goes through the service that also erases the files (`erase(obj)`)."""

    def erase(self, request, obj) -> None:
        raise NotImplementedError

    def delete_model(self, request, obj):
        self.erase(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.erase(request, obj)


@admin.register(Person)
class PersonAdmin(_ErasingAdmin):
    list_display = ("name", "code", "active", "consent_given_at", "created_at")
    list_filter = ("active",)
    search_fields = ("name", "code")

    def erase(self, request, obj) -> None:
        person_delete(person=obj, actor=request.user)


@admin.register(FaceSample)
class FaceSampleAdmin(_ErasingAdmin):
    list_display = ("id", "face", "person", "status", "reason", "source", "model_id", "created_at")
    list_filter = ("status", "source", "model_id")
    search_fields = ("person__name", "person__code")
    fields = ("face", "person", "status", "reason", "source", "model_id", "quality", "created_at", "processed_at")
    readonly_fields = fields

    @admin.display(description="face")
    def face(self, sample):
        return _thumb(reverse("media-sample-crop", args=[sample.pk]) if sample.crop else None, str(sample.person))

    def has_add_permission(self, request):
        return False

    def erase(self, request, obj) -> None:
        sample_delete(sample=obj, actor=request.user)


@admin.register(Camera)
class CameraAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "active", "threshold", "created_at")
    list_filter = ("kind", "active")
    fields = ("name", "kind", "active", "threshold")


@admin.register(Snapshot)
class SnapshotAdmin(_ErasingAdmin):
    list_display = ("id", "camera", "received_at", "status", "face_count", "attempts", "error_shown")
    list_filter = ("status", ("camera", admin.RelatedOnlyFieldListFilter))
    date_hierarchy = "received_at"
    fields = (
        "camera", "submitted_by", "received_at", "processed_at", "status", "error", "attempts", "face_count", "width", "height",
    )
    readonly_fields = fields
    actions = ("retry_failed",)

    @admin.display(description="error")
    def error_shown(self, snapshot):
        return snapshot.error[:80]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Retry failed snapshots")
    def retry_failed(self, request, queryset):
        failed = list(queryset.filter(status=Snapshot.FAILED))
        for snapshot in failed:
            recognition.snapshot_retry(snapshot=snapshot)
        self.message_user(request, f"Queued {len(failed)} failed snapshot(s) again.", messages.SUCCESS)

    def erase(self, request, obj) -> None:
        retention.snapshot_erase(snapshot=obj)


@admin.register(ProvisionalIdentity)
class ProvisionalIdentityAdmin(admin.ModelAdmin):
    list_display = ("label", "first_seen", "last_seen", "sightings", "promoted_to")
    list_filter = (("promoted_to", admin.EmptyFieldListFilter),)
    search_fields = ("label",)
    fields = ("label", "model_id", "first_seen", "last_seen", "sightings", "promoted_to")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are listed by name and prefix; a new one's key is shown once, in the message."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    fields = ("user", "name")
    actions = ("revoke",)

    def has_change_permission(self, request, obj=None):
        return obj is None  # a token is made or revoked, never edited

    def save_model(self, request, obj, form, change):
        token, key = accounts.api_token_create(user=obj.user, name=obj.name, actor=request.user)
        obj.pk = token.pk
        self.message_user(request, f"Token {token.name} for {token.user}: {key} (shown only now).", messages.WARNING)

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        for token in queryset:
            accounts.api_token_revoke(token=token, actor=request.user)
        self.message_user(request, f"{queryset.count()} token(s) revoked.")
