"""From video to duet: built-in two-person 3D pose extraction (the optional `video` extra).

    duetgraph extract duet.mp4 -o detections.json

`extract_video` reads a video with the ffmpeg that imageio-ffmpeg ships, finds the people in
each sampled frame with MediaPipe's pose landmarker (model files from mediapipe's own wheel,
nothing downloaded), places each pose in the scene and returns `Detections` for the cleaning
pipeline. mediapipe is imported only when extraction starts: importing this package needs none
of the video extra. May import io, skeleton, errors and atomic; not clean, model, train, viz or
cli.
"""

from duetgraph.extract.estimator import INSTALL_HINT, MissingExtraError
from duetgraph.extract.extractor import ExtractConfig, extract_video, write_detections
from duetgraph.extract.landmarks import MEDIAPIPE33, map_landmarks, mapping_matrix
from duetgraph.extract.video import VIDEO_SUFFIXES, is_video

__all__ = [
    "INSTALL_HINT",
    "MEDIAPIPE33",
    "VIDEO_SUFFIXES",
    "ExtractConfig",
    "MissingExtraError",
    "extract_video",
    "is_video",
    "map_landmarks",
    "mapping_matrix",
    "write_detections",
]
