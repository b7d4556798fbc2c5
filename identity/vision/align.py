"""Face alignment: five keypoints -> 112x112 crop in the ArcFace template."""

from __future__ import annotations

import cv2
import numpy as np

CROP_SIZE = 112

# Where ArcFace models expect the eyes, nose tip and mouth corners in a 112x112 crop.
ARCFACE_DST = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
    dtype=np.float64,
)


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity (rotation, uniform scale, translation) mapping src onto dst.

    Umeyama's closed form (the same estimate as skimage's SimilarityTransform,
    which insightface uses). Returns the 2x3 matrix for ``cv2.warpAffine``.
    """
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    src_mean, dst_mean = src.mean(axis=0), dst.mean(axis=0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    cov = dst_c.T @ src_c / len(src)
    u, sigma, vt = np.linalg.svd(cov)
    d = np.ones(2)
    if np.linalg.det(cov) < 0:  # keep a rotation, never a reflection
        d[1] = -1.0
    rotation = u @ np.diag(d) @ vt
    src_var = (src_c**2).sum() / len(src)
    scale = (sigma * d).sum() / src_var if src_var > 0 else 1.0
    matrix = np.empty((2, 3))
    matrix[:, :2] = scale * rotation
    matrix[:, 2] = dst_mean - scale * rotation @ src_mean
    return matrix


def alignment_matrix(keypoints: np.ndarray, size: int = CROP_SIZE) -> np.ndarray:
    """2x3 matrix taking image coordinates to a ``size`` x ``size`` ArcFace crop."""
    keypoints = np.asarray(keypoints, dtype=np.float64).reshape(5, 2)
    return similarity_transform(keypoints, ARCFACE_DST * (size / CROP_SIZE))


def align_face(image: np.ndarray, keypoints: np.ndarray, size: int = CROP_SIZE) -> np.ndarray:
    """Warp the face with these five keypoints to an aligned ``size`` x ``size`` BGR crop."""
    matrix = alignment_matrix(keypoints, size)
    return cv2.warpAffine(image, matrix, (size, size), borderValue=0.0)


def crop_mask(image_shape: tuple[int, ...], keypoints: np.ndarray, size: int = CROP_SIZE) -> np.ndarray:
    """(size, size) bool: the pixels of ``align_face``'s crop that came from the image, False
    where the face reached past the image's edges and the crop was filled with black."""
    # Mapping the crop's pixels back costs size² points; warping a ones-image would cost the whole photo.
    inverse = cv2.invertAffineTransform(alignment_matrix(keypoints, size))
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float64)
    src_x = inverse[0, 0] * xs + inverse[0, 1] * ys + inverse[0, 2]
    src_y = inverse[1, 0] * xs + inverse[1, 1] * ys + inverse[1, 2]
    height, width = image_shape[:2]
    return (src_x >= 0) & (src_x <= width - 1) & (src_y >= 0) & (src_y <= height - 1)
