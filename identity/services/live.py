"""The live worker: the loop that serves one shard of cameras while it holds the shard's
lease. Per-camera state (tracks, votes, open visits) lives in this process; frames come from
Redis in memory (identity.services.frames), and only visits are written.

A camera whose shard moves to another process (this one died or its turn ended while another
took the lease) starts with fresh tracks there: their visits extend the open ones through the
visit cooldown, so a takeover does not double a visit. A process that gets a shard back after
another served it drops the tracks it still had of it: they are the other's now.
"""

import logging
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError

from faceapp import metrics
from identity.face_engine import get_face_engine
from identity.live.motion import MotionGate, MotionSettings
from identity.live.pipeline import CameraPipeline
from identity.live.track import StepResult, TrackSettings
from identity.models import Camera
from identity.presenters import overlay_event, visit_event
from identity.services import frames, live_pictures
from identity.services.calibration import threshold_for
from identity.services.cameras import camera_status_push
from identity.services.realtime import DASHBOARD_GROUP, camera_group, push
from identity.services.recognizer import recognizer_current
from identity.services.visits import visit_close, visit_record
from identity.vision import ImageError
from integrations.hooks import live_visit

logger = logging.getLogger(__name__)

CONFIG_SECONDS = 5.0  # a camera's settings (threshold, active) are read again this often
STATS_SECONDS = 1.0
IDLE_EXIT_SECONDS = 20.0  # a loop with no frame and no open track for this long ends its turn
WAIT_SECONDS = 0.5


def track_settings() -> TrackSettings:
    return TrackSettings(
        min_face_px=settings.FACEAPP_TRACK_MIN_FACE_PX, min_blur=settings.FACEAPP_TRACK_MIN_BLUR,
        timeout_seconds=settings.FACEAPP_TRACK_TIMEOUT_SECONDS, confirm_frames=settings.FACEAPP_TRACK_CONFIRM_FRAMES,
        reembed_frames=settings.FACEAPP_TRACK_REEMBED_FRAMES,
    )


def motion_settings() -> MotionSettings:
    return MotionSettings(level=settings.FACEAPP_MOTION_LEVEL, share=settings.FACEAPP_MOTION_SHARE)


def camera_min_face_px(camera: Camera) -> int:
    """The smallest face the camera's detector pass must find: its own, else the site's, else the
    engine's name size (a smaller face is never named)."""
    own = camera.min_face_px if camera.min_face_px is not None else settings.FACEAPP_CAMERA_MIN_FACE_PX
    return get_face_engine().min_name_px if own is None else own


@dataclass
class LiveCamera:
    camera: Camera
    threshold: float
    pipeline: CameraPipeline
    config_at: float
    processed: int = 0
    errors: int = 0
    fps: float = 0.0
    stats_at: float = 0.0
    window: list = field(default_factory=list)  # processing times of the last frames
    session: int | None = None  # the reader's session of the last frame (frames.frame_put)
    picture_at: float = float("-inf")  # when a live picture was last due (monotonic)


_cameras: dict[int, LiveCamera] = {}  # camera id -> state, for the cameras this process served
_turns: dict[int, int] = {}  # shard -> the lease turn this process served last


def _turn_begin(shard: int, turn: int) -> None:
    if _turns.get(shard) != turn - 1:
        for camera_id in [c for c in _cameras if frames.shard_of(c) == shard]:
            del _cameras[camera_id]  # unwritten: whoever served the shard meanwhile owns those visits
    _turns[shard] = turn


def _live_camera(camera_id: int) -> LiveCamera | None:
    state = _cameras.get(camera_id)
    now = time.monotonic()
    if state is not None and now - state.config_at < CONFIG_SECONDS:
        return state
    camera = Camera.objects.filter(pk=camera_id).first()
    if camera is None or not camera.active:
        if state is not None:
            if camera is not None:  # switched off: its open visits end now; deleted: nothing more is written
                _finish(state)
            _cameras.pop(camera_id, None)
        return None
    if state is None:
        pipeline = CameraPipeline(engine=get_face_engine(), recognizer=recognizer_current(), settings=track_settings())
        state = _cameras[camera_id] = LiveCamera(camera=camera, threshold=0.0, pipeline=pipeline, config_at=now)
    state.camera, state.threshold, state.config_at = camera, threshold_for(camera), now
    gated = settings.FACEAPP_MOTION_GATE and camera.motion_gate
    if gated != (state.pipeline.motion is not None):  # new, or turned on or off on the camera's page
        state.pipeline.motion = MotionGate(motion_settings()) if gated else None
    state.pipeline.min_face_px = camera_min_face_px(camera)
    return state


def _push(camera: Camera, event: dict) -> None:
    push(camera_group(camera.pk), event)
    push(DASHBOARD_GROUP, event)


def _record(state: LiveCamera, result: StepResult) -> bool:
    """Write the visits of decided and ended tracks, and tell the pages; False when the camera was
    deleted since its settings were read (one indexed read per visit written, not per frame)."""
    if (result.decided or result.ended) and not _still_there(state):
        return False
    try:
        _write(state, result)
    except IntegrityError:  # deleted between that read and this commit: the visit's row names it
        if _still_there(state):
            raise
        return False
    return True


def _still_there(state: LiveCamera) -> bool:
    """False for a deleted camera: it is dropped, its open tracks unwritten (its visits so far stay),
    and its frames are refused from then on."""
    if Camera.objects.filter(pk=state.camera.pk).exists():
        return True
    logger.info("camera %s was deleted: its open tracks are dropped", state.camera.pk)
    _cameras.pop(state.camera.pk, None)
    return False


def _write(state: LiveCamera, result: StepResult) -> None:
    camera = state.camera
    recognizer = state.pipeline.recognizer
    # A track that ended undecided was decided from the votes it had: it opens its visit now.
    late = [t for t in result.ended if t.identity is not None and t.visit is None and t not in result.decided]
    for track in result.decided + late:
        opened = track.visit is None
        visit = visit_record(
            camera=camera, track=track, threshold=state.threshold, recognizer=recognizer,
            model_id=state.pipeline.engine.model_id, cooldown_seconds=settings.FACEAPP_VISIT_COOLDOWN_SECONDS,
        )
        if visit is None:
            continue
        track.visit = visit
        if opened and not visit.joined:  # a track joining an open visit extends it: not a visit more
            metrics.count("faceapp_visits_opened_total", camera=camera.pk)
        _push(camera, visit_event(event="opened" if opened else "named", camera_id=camera.pk,
                                  camera_name=camera.name, track=track))
        if not (opened and visit.joined):  # a track joining an open visit: its events went out once, as it opened
            live_visit(event="opened" if opened else "named", camera=camera, track=track)
    for track in result.ended:
        if track.visit is None:
            continue
        visit_close(camera=camera, track=track)
        _push(camera, visit_event(event="ended", camera_id=camera.pk, camera_name=camera.name, track=track))
        live_visit(event="ended", camera=camera, track=track)


def _finish(state: LiveCamera) -> None:
    _record(state, StepResult(views=[], decided=[], ended=state.pipeline.finish(name_threshold=state.threshold)))


def live_frame_process(*, camera_id: int, captured_at: float, jpeg: bytes, session: int = 0) -> bool:
    """Follow the faces of one camera frame; False when the camera is gone or the frame is
    not an image (counted, logged, nothing else lost). A frame of another reader session than
    the last (the stream reconnected, the file started again) ends every track first."""
    state = _live_camera(camera_id)
    if state is None:
        return False
    pipeline = state.pipeline
    pipeline.recognizer = recognizer_current()
    try:
        image = pipeline.engine.load_image(jpeg)
    except ImageError as exc:
        state.errors += 1
        metrics.count("faceapp_frames_dropped_total", camera=camera_id, reason="not_image")
        logger.warning("camera %s sent a frame that is not an image: %s", camera_id, exc)
        return False
    restarted = state.session is not None and session != state.session
    state.session = session
    started = time.perf_counter()
    result = pipeline.process(image, now=captured_at, name_threshold=state.threshold, cut=restarted)
    metrics.observe("faceapp_recognition_seconds", time.perf_counter() - started, camera=camera_id)
    if not _record(state, result):
        return False
    picture_id = _picture(state, image, captured_at)
    processed_at = time.time()
    camera = state.camera
    _push(camera, overlay_event(
        camera_id=camera.pk, camera_name=camera.name, width=image.shape[1], height=image.shape[0],
        captured_at=captured_at, processed_at=processed_at, faces=result.views, picture_id=picture_id,
        detected=result.detected,
    ))
    metrics.count("faceapp_frames_processed_total", camera=camera_id)
    if not result.detected:
        metrics.count("faceapp_frames_still_total", camera=camera_id)
    metrics.observe("faceapp_overlay_latency_seconds", processed_at - captured_at, camera=camera_id)
    _count(state, processed_at)
    return True


def _picture(state: LiveCamera, image, captured_at: float) -> int | None:
    """Keep this processed frame as the camera's live picture when a page watches the camera and
    the last one is PICTURE_SECONDS old (asked of Redis that often at most); its id, else None."""
    now = time.monotonic()
    if now - state.picture_at < live_pictures.PICTURE_SECONDS:
        return None
    state.picture_at = now
    if not live_pictures.pictures_watched(camera_id=state.camera.pk):
        return None
    return live_pictures.picture_keep(camera_id=state.camera.pk, image=image, captured_at=captured_at)


def _count(state: LiveCamera, processed_at: float) -> None:
    state.processed += 1
    state.window = [t for t in state.window if processed_at - t < 5.0] + [processed_at]
    if processed_at - state.stats_at >= STATS_SECONDS:
        span = max(state.window[-1] - state.window[0], 1e-3) if len(state.window) > 1 else 0.0
        state.fps = (len(state.window) - 1) / span if span else 0.0
        state.stats_at = processed_at
        frames.live_stats_put(camera_id=state.camera.pk, stats={
            "fps": state.fps, "processed": state.processed, "errors": state.errors,
            "last_processed_at": processed_at,
        })
        if not state.camera.is_stream:  # a stream camera's reader pushes its status, these figures in it
            camera_status_push(camera=state.camera)


def _expire_idle(shard: int, now: float, busy: set[int]) -> bool:
    """End the tracks of this shard's cameras that sent nothing; True while any track is open."""
    open_tracks = False
    for camera_id, state in list(_cameras.items()):
        if frames.shard_of(camera_id) != shard:
            continue
        if camera_id not in busy:
            ended = state.pipeline.idle(now=now, name_threshold=state.threshold)
            if ended:
                _record(state, StepResult(views=[], decided=[], ended=ended))
        open_tracks |= bool(state.pipeline.tracker.tracks)
    return open_tracks


def live_shard_run(*, shard: int, seconds: float) -> dict:
    """Serve the shard's cameras for up to `seconds` while holding its lease; returns counts.
    Ends early when the lease is lost or nothing happened for IDLE_EXIT_SECONDS."""
    lease = frames.lease_take(shard=shard)
    if lease is None:
        return {"owned": False, "processed": 0}
    _turn_begin(shard, lease.turn)
    token = lease.token
    processed, started = 0, time.monotonic()
    quiet_since = started
    try:
        while time.monotonic() - started < seconds:
            if not frames.lease_renew(shard=shard, token=token):
                logger.warning("live shard %s: lease lost, another worker serves it now", shard)
                break
            waiting = frames.frames_take(shard=shard)
            for camera_id, captured_at, jpeg, session in waiting:
                processed += live_frame_process(camera_id=camera_id, captured_at=captured_at, jpeg=jpeg,
                                                session=session)
            open_tracks = _expire_idle(shard, time.time(), {camera_id for camera_id, *_ in waiting})
            if waiting or open_tracks:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since > IDLE_EXIT_SECONDS:
                break
            if not waiting:
                frames.frames_wait(shard=shard, timeout=WAIT_SECONDS)
    finally:
        frames.lease_release(shard=shard, token=token)
    if time.monotonic() - quiet_since <= IDLE_EXIT_SECONDS:
        frames.shard_ensure(shard=shard, force=True)  # frames still come: the next turn starts now
    return {"owned": True, "processed": processed}
