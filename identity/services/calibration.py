"""Calibration, Django side: reviewed logs → (similarity, genuine) pairs, and the threshold
in force (per camera, else the newest global ThresholdChange, else FACEAPP_MATCH_THRESHOLD)."""

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from audit.models import AuditEntry
from audit.services import audit_record
from identity.models import Camera, MatchLog, ThresholdChange
from identity.threshold_search import MIN_EACH, Calibration, calibrate


def default_match_threshold() -> float:
    """The default 1:N identification threshold (settings.FACEAPP_MATCH_THRESHOLD).

    Stricter than the engine's 1:1 verification threshold: searching many people gives an
    impostor many chances to pass (bench/identify.py measures it)."""
    return float(settings.FACEAPP_MATCH_THRESHOLD)


def global_threshold() -> float | None:
    """The newest globally applied threshold, or None (FACEAPP_MATCH_THRESHOLD is in force)."""
    change = ThresholdChange.objects.filter(camera__isnull=True).order_by("-applied_at", "-id").first()
    return change.threshold if change else None


def threshold_for(camera: Camera | None) -> float:
    """The match threshold for faces from `camera`: its own, else the global one, else the default."""
    if camera is not None and camera.threshold is not None:
        return float(camera.threshold)
    applied = global_threshold()
    return float(applied) if applied is not None else default_match_threshold()


def is_genuine(log: MatchLog) -> bool | None:
    """Was the candidate (decided person, else best guess) truly this face? None: not usable."""
    candidate_id = log.person_id if log.decision == MatchLog.KNOWN else log.best_person_id
    if log.review_status == MatchLog.UNREVIEWED or candidate_id is None or log.similarity is None:
        return None
    if log.review_status == MatchLog.CONFIRMED:
        # Confirming an unknown face says it is nobody enrolled: the best guess was wrong.
        return log.decision == MatchLog.KNOWN
    if log.review_status == MatchLog.REASSIGNED:
        return log.reviewed_person_id == candidate_id
    return False  # rejected: not this person


def calibration_pairs(*, camera: Camera | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Similarities and genuine flags of every usable reviewed log (of one camera if given)."""
    logs = MatchLog.objects.exclude(review_status=MatchLog.UNREVIEWED).filter(similarity__isnull=False)
    if camera is not None:
        logs = logs.filter(snapshot__camera=camera)
    similarities, genuine = [], []
    for log in logs.only("person_id", "best_person_id", "decision", "review_status", "reviewed_person_id", "similarity"):
        flag = is_genuine(log)
        if flag is not None:
            similarities.append(log.similarity)
            genuine.append(flag)
    return np.asarray(similarities, dtype=np.float64), np.asarray(genuine, dtype=bool)


def calibration_compute(*, camera: Camera | None = None, min_each: int = MIN_EACH) -> Calibration:
    similarities, genuine = calibration_pairs(camera=camera)
    return calibrate(similarities, genuine, min_each=min_each)


def threshold_apply(
    *, threshold: float | None, user, camera: Camera | None = None, calibration: Calibration | None = None
) -> ThresholdChange:
    """Put `threshold` in force globally (camera None) or for one camera; None goes back to the
    default (global) or to the global threshold (camera). Every change is kept as a row."""
    if threshold is not None and not 0.0 <= threshold <= 1.0:
        raise ValidationError("A threshold is a cosine similarity between 0 and 1.")
    # Two admins applying at once: the camera's value and its history row must agree.
    with transaction.atomic():
        before = threshold_for(camera)
        if camera is not None:
            Camera.objects.filter(pk=camera.pk).update(threshold=threshold)
            camera.threshold = threshold
        change = ThresholdChange.objects.create(
            camera=camera,
            threshold=threshold,
            applied_by=user,
            genuine_count=calibration.genuine_count if calibration else 0,
            impostor_count=calibration.impostor_count if calibration else 0,
        )
        audit_record(actor=user, action=AuditEntry.THRESHOLD_CHANGED, target=camera.name if camera else "all cameras",
                     detail=f"{before:.3f} → {threshold_for(camera):.3f}")
    return change
