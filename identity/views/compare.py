"""Compare two photos: are they the same person? Nothing is stored."""

import numpy as np
from django.shortcuts import render

from identity.engine import get_face_engine
from identity.forms import CompareForm, posted
from identity.presenters import jpeg_data_url
from identity.roles import OPERATOR, role_required
from identity.services.uploads import image_check, image_read
from identity.vision import ImageError, NoFaceError, decode_image, encode_jpeg


def _crop_data_url(crop: np.ndarray) -> str:
    return jpeg_data_url(encode_jpeg(crop))


@role_required(OPERATOR)
def compare_page(request):
    form = CompareForm(*posted(request))
    result = None
    if request.method == "POST" and form.is_valid():
        engine = get_face_engine()
        images: dict[str, np.ndarray] = {}
        for field in ("image1", "image2"):
            upload = form.cleaned_data[field]
            try:
                # Byte cap and type sniffing first, then the pixel cap from the header, then decoding.
                data = image_read(upload)
                image_check(data)
                images[field] = decode_image(data, max_pixels=engine.config.max_pixels)
            except ImageError as error:
                form.add_error(field, f"Unreadable photo ({upload.name}): {error}")
        verification = None
        try:
            if not form.errors:
                verification = engine.verify(images["image1"], images["image2"], fallback_center=False)
        except NoFaceError as error:
            form.add_error(None, f"Cannot compare: {error}.")
        if verification is not None:
            result = {
                "similarity": verification.similarity,
                "same": verification.same,
                "threshold": verification.threshold,
                "model_id": verification.model_id,
                "mirrored": verification.mirrored,
                "notes": verification.notes,
                "crop1": _crop_data_url(verification.face1.crop),
                "crop2": _crop_data_url(verification.face2.crop),
            }
    return render(request, "identity/compare.html", {"form": form, "result": result})
