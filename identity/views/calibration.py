"""Threshold calibration (admins): the error curves from reviewed faces, and applying a
threshold globally or to one camera."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render

from identity.charts import curves_svg
from identity.models import Camera, ThresholdChange
from identity.roles import ADMIN, role_required
from identity.services import calibration as calibration_service
from identity.views.refusals import refused


def _camera_from(value: str | None) -> Camera | None:
    return get_object_or_404(Camera, pk=int(value)) if value and value.isdigit() else None


def _threshold_from(text: str) -> float | None:
    """Blank: back to the default. Raises ValidationError when it is not a number."""
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError as error:
        raise ValidationError(f"{text!r} is not a number.") from error


@role_required(ADMIN)
def calibration_page(request):
    camera = _camera_from(request.POST.get("camera") if request.method == "POST" else request.GET.get("camera"))
    result = calibration_service.calibration_compute(camera=camera)
    if request.method == "POST":
        try:
            threshold = _threshold_from(request.POST.get("threshold", ""))
            calibration_service.threshold_apply(threshold=threshold, camera=camera, user=request.user, calibration=result)
        except ValidationError as error:
            refused(request, error)
        else:
            scope = f"camera {camera.name}" if camera else "all cameras"
            shown = f"{threshold:.2f}" if threshold is not None else "the default"
            messages.success(request, f"Threshold for {scope} is now {shown}.")
        return redirect(f"{request.path}?camera={camera.pk}" if camera else request.path)
    current = calibration_service.threshold_for(camera)
    marks = [("in force", current)] + ([("suggested", result.suggested)] if result.suggested is not None else [])
    chart = curves_svg(
        result.thresholds,
        [("false accepts", "far", result.far), ("false rejects", "frr", result.frr)],
        title="False accept and false reject rates by threshold",
        x_label="threshold (cosine similarity)", y_label="share of reviewed pairs",
        marks=marks,
    )
    context = {
        "camera": camera,
        "cameras": Camera.objects.all(),
        "result": result,
        "chart": chart,
        "current": current,
        "current_rates": result.at(current),
        "default": calibration_service.default_match_threshold(),
        "global_threshold": calibration_service.global_threshold(),
        "history": ThresholdChange.objects.select_related("camera", "applied_by")[:20],
    }
    return render(request, "identity/calibration.html", context)
