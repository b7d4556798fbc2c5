"""Enrolment pages: people, their face samples and attendance (operators and admins)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from identity.forms import PersonCreateForm, PersonEditForm, PhotosForm, posted
from identity.matching import REJECTION_PENALTY
from identity.models import FaceSample, MatchLog, Person
from identity.presenters import enrolment_limits_text, person_choice, sample_payload
from identity.roles import OPERATOR, role_required
from identity.selectors import PEOPLE_SORTS, people_page, people_search, person_by_display_id
from identity.services import duplicates, enrolment, merge
from identity.views.paging import list_query
from identity.views.refusals import refused

REJECTIONS_SHOWN = 24


def _get_person(person_id: int) -> Person:
    return get_object_or_404(Person, pk=person_id)


@role_required(OPERATOR)
def person_list(request):
    query, sort = request.GET.get("q", "").strip()[:100], request.GET.get("sort", "name")
    sort = sort if sort in PEOPLE_SORTS else "name"
    people = people_page(query=query, sort=sort, page=request.GET.get("page", 1))
    context = {"people": people, "query": query, "sort": sort, "query_string": list_query(request)}
    return render(request, "identity/person_list.html", context)


@role_required(OPERATOR)
@require_GET
def person_search(request):
    """GET ?q=… → {"people": [...]}: the type-ahead of the review page (at most 10, with faces)."""
    query = request.GET.get("q", "").strip()[:100]
    people = people_search(query=query) if query else []
    return JsonResponse({"people": [person_choice(person) for person in people]})


@role_required(OPERATOR)
def person_create(request):
    form = PersonCreateForm(*posted(request))
    if request.method == "POST" and form.is_valid():
        photos = form.photo_inputs()
        try:
            person, samples = enrolment.person_enroll(
                name=form.cleaned_data["name"],
                code=form.cleaned_data["code"],
                consent=form.cleaned_data["consent"],
                photos=photos,
                source="webcam" if all(isinstance(photo, tuple) for photo in photos) else "upload",
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{person.name} added with {len(samples)} photo(s): checking them now.")
            return redirect("person-detail", person_id=person.pk)
    return render(request, "identity/person_form.html", {"form": form, "photo_limits": enrolment_limits_text()})


@role_required(OPERATOR)
def person_detail(request, person_id: int):
    person = _get_person(person_id)
    samples = list(person.samples.select_related("held_as"))
    counts = {status: sum(sample.status == status for sample in samples) for status, _ in FaceSample.STATUS_CHOICES}
    namesakes = [] if person.code else list(Person.objects.filter(name__iexact=person.name).exclude(pk=person.pk)[:5])
    context = {
        "person": person,
        "samples": [sample_payload(sample) for sample in samples],
        "counts": counts,
        "namesakes": namesakes,
        "photos_form": PhotosForm(),
        "rejections": person.match_logs.filter(review_status=MatchLog.REJECTED).order_by("-created_at")[:REJECTIONS_SHOWN],
        "rejection_penalty": REJECTION_PENALTY,
    }
    return render(request, "identity/person_detail.html", context)


@role_required(OPERATOR)
def person_edit(request, person_id: int):
    person = _get_person(person_id)
    form = PersonEditForm(posted(request)[0], instance=person)
    if request.method == "POST" and form.is_valid():
        try:
            enrolment.person_update(
                person=person,
                name=form.cleaned_data["name"],
                code=form.cleaned_data["code"] or None,
                active=form.cleaned_data["active"],
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Saved.")
            return redirect("person-detail", person_id=person.pk)
    return render(request, "identity/person_edit.html", {"form": form, "person": person})


@role_required(OPERATOR)
def person_add_photos(request, person_id: int):
    person = _get_person(person_id)
    form = PhotosForm(*posted(request))
    if request.method == "POST" and form.is_valid():
        photos = form.photo_inputs()
        enrolment.photos_add(person=person, photos=photos, actor=request.user)
        messages.success(request, f"{len(photos)} photo(s) added: checking them now.")
        return redirect("person-detail", person_id=person.pk)
    context = {"form": form, "person": person, "photo_limits": enrolment_limits_text()}
    return render(request, "identity/person_add_photos.html", context)


@role_required(OPERATOR)
def person_delete(request, person_id: int):
    person = _get_person(person_id)
    if request.method == "POST":
        name = person.name
        enrolment.person_delete(person=person, actor=request.user)
        messages.success(request, f"{name} and all their photos, face crops and templates were erased.")
        return redirect("person-list")
    return render(request, "identity/person_delete.html", {"person": person})


@role_required(OPERATOR)
@require_POST
def sample_delete(request, person_id: int, sample_id: int):
    # The person by their key first: a foreign-key lookup is not range-checked (a huge id would be a 500).
    sample = get_object_or_404(_get_person(person_id).samples, pk=sample_id)
    enrolment.sample_delete(sample=sample, actor=request.user)
    messages.success(request, "Photo deleted.")
    return redirect("person-detail", person_id=person_id)


def _held_sample(person_id: int, sample_id: int) -> FaceSample:
    # The person by their key first: a foreign-key lookup is not range-checked (a huge id would be a 500).
    return get_object_or_404(_get_person(person_id).samples, pk=sample_id, status=FaceSample.HELD,
                             held_as__isnull=False)


@role_required(OPERATOR)
@require_POST
def sample_move(request, person_id: int, sample_id: int):
    """A held photo is of the person the gallery named: it becomes theirs (an entry left empty is erased)."""
    sample = _held_sample(person_id, sample_id)
    try:
        target = duplicates.held_sample_move(sample=sample, actor=request.user)
    except ValidationError as error:
        refused(request, error)
        return redirect("person-detail", person_id=person_id)
    gone = not Person.objects.filter(pk=person_id).exists()
    messages.success(request, f"The photo was added to {target.name}" + (": the new entry, left with no photo, "
                                                                          "was removed." if gone else "."))
    return redirect("person-detail", person_id=target.pk)


@role_required(OPERATOR)
@require_POST
def sample_distinct(request, person_id: int, sample_id: int):
    """A held photo's person and the one the gallery named are different people: remembered, the photo accepted."""
    sample = _held_sample(person_id, sample_id)
    other = sample.held_as
    duplicates.people_distinct(person=sample.person, other=other, actor=request.user)
    messages.success(request, f"{sample.person.name} and {other.name} are different people: their photos held as "
                              "each other are accepted, and this is remembered.")
    return redirect("person-detail", person_id=person_id)


@role_required(OPERATOR)
@require_POST
def person_merge(request, person_id: int):
    """POST other=<code or P-id>: a page that asks first, saying who and what moves; POST again with
    confirm=yes: that person is this one; their photos, faces and days come here."""
    person = _get_person(person_id)
    other = person_by_display_id(request.POST.get("other", "").strip())
    if other is None:
        messages.error(request, "Nobody enrolled has that code or ID.")
        return redirect("person-detail", person_id=person.pk)
    if other.pk != person.pk and request.POST.get("confirm") != "yes":
        context = {"person": person, "other": other, "other_id": request.POST["other"].strip(),
                   "photos": other.samples.filter(status=FaceSample.ACCEPTED).count(),
                   "faces": other.match_logs.count()}
        return render(request, "identity/person_merge.html", context)
    name = other.name
    try:
        merge.people_merge(keep=person, drop=other, actor=request.user)
    except ValidationError as error:
        refused(request, error)
    else:
        messages.success(request, f"{name} merged into {person.name}: their photos, faces and attendance are here now.")
    return redirect("person-detail", person_id=person.pk)

