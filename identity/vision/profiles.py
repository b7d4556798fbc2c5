"""Model profiles: a detector, an embedder and the thresholds measured for that pair, by one name
(FACEAPP_PROFILE). FACEAPP_DETECTOR, FACEAPP_EMBEDDER and the thresholds' own settings still
override a profile's choice."""

from __future__ import annotations

from dataclasses import dataclass

from .adaptive import DEFAULT_FLIP_BAND



@dataclass(frozen=True)
class ModelProfile:
    name: str
    detector: str  # manifest names (models/manifest.json)
    embedder: str
    threshold: float  # 1:1 (compare): best accuracy on LFW View 1 (pairsDevTrain), plain: bench/lfw.py --tune
    match_threshold: float  # 1:N (naming an enrolled person): bench/README.md says how each was chosen
    flip_band: float  # adaptive mode's and compare's "close": bench/lfw.py --tune, from View 1
    unknown_threshold: float  # a face below it is evidence of a stranger (identity.live.recognizer.Thresholds)
    strong_threshold: float  # one frame this close names a track at once
    licence: str  # in a few words; the README's licence table names each file's


PROFILES = {
    "research": ModelProfile(
        name="research", detector="scrfd_500m_bnkps", embedder="w600k_mbf", threshold=0.23,
        match_threshold=0.35, flip_band=DEFAULT_FLIP_BAND, unknown_threshold=0.25, strong_threshold=0.6,
        licence="InsightFace model zoo: non-commercial research purposes only",
    ),
    # View 1: best plain threshold 0.3143 (DevTest 98.70 % at it), band 0.10; 1:N 0.50: at 0.45,
    # 0.3-1 % of class-photo faces were named as someone else among 1,000 enrolled (bench/README.md)
    "commercial": ModelProfile(
        name="commercial", detector="yunet_2023mar_int8bq", embedder="sface_2021dec_int8bq", threshold=0.31,
        match_threshold=0.50, flip_band=0.10, unknown_threshold=0.35, strong_threshold=0.65,
        licence="YuNet MIT, SFace Apache-2.0 (OpenCV Zoo)",
    ),
}
DEFAULT_PROFILE = "research"  # measures best on LFW (bench/README.md)


def model_profile(name: str) -> ModelProfile:
    """The profile of this name; ValueError naming the known ones."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown model profile {name!r} (known: {', '.join(PROFILES)})") from None
