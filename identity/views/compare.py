"""Compare two photos: are they the same person? A worker decides (identity.services.compare);
nothing is stored."""

from django.conf import settings
from django.shortcuts import render

from identity.forms import CompareForm, posted
from identity.roles import OPERATOR, role_required
from identity.services.compare import compare_submit, compare_wait
from identity.services.uploads import image_check, image_read
from identity.views.refusals import worker_answer
from identity.vision import ImageError


@role_required(OPERATOR)
def compare_page(request):
    form = CompareForm(*posted(request))
    result = None
    if request.method == "POST" and form.is_valid():
        photos = {}
        for field in ("image1", "image2"):
            upload = form.cleaned_data[field]
            try:
                # Byte cap, type sniffing and the pixel cap from the header: no pixel decoded here.
                photos[field] = image_read(upload)
                image_check(photos[field])
            except ImageError as error:
                form.add_error(field, f"Unreadable photo ({upload.name}): {error}")
        answer = None
        if not form.errors:
            answer = worker_answer(form, lambda: compare_wait(
                job=compare_submit(user_id=request.user.pk, photo1=photos["image1"], photo2=photos["image2"]),
                timeout=settings.FACEAPP_COMPARE_WAIT_SECONDS))
        if answer:
            for field, error in answer.get("field_errors", {}).items():
                form.add_error(field, f"Unreadable photo ({form.cleaned_data[field].name}): {error}")
            if answer.get("error"):
                form.add_error(None, f"Cannot compare: {answer['error']}.")
            result = answer.get("result")
    return render(request, "identity/compare.html", {"form": form, "result": result})
