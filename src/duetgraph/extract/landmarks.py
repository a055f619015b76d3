"""MediaPipe's 33 pose landmarks and their mapping onto duetgraph's skeletons.

MediaPipe Pose (BlazePose GHUM) reports 33 landmarks per person. "Left" and "right" are the
person's own sides (a dancer facing the camera has their left shoulder on the image's right), as
in every skeleton of ours, so no side is swapped.

Mapping onto H36M-17 (`h36m17`, DESIGN.md §3). Twelve joints are landmarks; five are weighted
means of landmarks, because MediaPipe has no spine, thorax, neck or head-centre point:

| h36m17 joint   | from MediaPipe landmarks                                   |
|----------------|------------------------------------------------------------|
| pelvis         | ½ (left_hip + right_hip)                                   |
| right_hip      | right_hip (24)                                             |
| right_knee     | right_knee (26)                                            |
| right_ankle    | right_ankle (28)                                           |
| left_hip       | left_hip (23)                                              |
| left_knee      | left_knee (25)                                             |
| left_ankle     | left_ankle (27)                                            |
| spine          | ½ (pelvis + thorax) = ¼ (hips + shoulders)                 |
| thorax         | ½ (left_shoulder + right_shoulder)                         |
| neck           | ½ (thorax + mouth centre) = ¼ (shoulders + mouth corners)  |
| head           | ½ (left_ear + right_ear), the centre of the head           |
| left_shoulder  | left_shoulder (11)                                         |
| left_elbow     | left_elbow (13)                                            |
| left_wrist     | left_wrist (15)                                            |
| right_shoulder | right_shoulder (12)                                        |
| right_elbow    | right_elbow (14)                                           |
| right_wrist    | right_wrist (16)                                           |

MediaPipe's hips sit a little higher and wider than motion-capture hip joints, so the pelvis lies a
few centimetres above Human3.6M's. The head is the ear midpoint (H36M's "head" is the top of the
skull, which MediaPipe does not see). Every row of the mapping matrix sums to one, so the mapping
commutes with translation and works the same on metres, pixels and visibilities.
"""

from __future__ import annotations

import numpy as np

from duetgraph.skeleton import get_skeleton

MEDIAPIPE33 = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
    "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip",
    "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
    "right_heel", "left_foot_index", "right_foot_index",
)  # fmt: skip
"""MediaPipe Pose landmark names in index order (0 nose … 32 right_foot_index)."""

N_LANDMARKS = len(MEDIAPIPE33)

# Line segments of the body, used to paint a found person out of a frame (limbs, torso, face).
BODY_SEGMENTS = (
    (11, 12), (11, 23), (12, 24), (23, 24), (11, 24), (12, 23),  # torso and its diagonals
    (11, 13), (13, 15), (15, 17), (15, 19), (15, 21), (12, 14), (14, 16), (16, 18), (16, 20),
    (16, 22), (23, 25), (25, 27), (27, 29), (29, 31), (27, 31), (24, 26), (26, 28), (28, 30),
    (30, 32), (28, 32), (0, 7), (0, 8), (7, 8), (9, 10), (0, 11), (0, 12),
)  # fmt: skip

# h36m17 joint name -> {MediaPipe landmark name: weight}; weights of a joint sum to 1.
_H36M17_RECIPE: dict[str, dict[str, float]] = {
    "pelvis": {"left_hip": 0.5, "right_hip": 0.5},
    "right_hip": {"right_hip": 1.0},
    "right_knee": {"right_knee": 1.0},
    "right_ankle": {"right_ankle": 1.0},
    "left_hip": {"left_hip": 1.0},
    "left_knee": {"left_knee": 1.0},
    "left_ankle": {"left_ankle": 1.0},
    "spine": {"left_hip": 0.25, "right_hip": 0.25, "left_shoulder": 0.25, "right_shoulder": 0.25},
    "thorax": {"left_shoulder": 0.5, "right_shoulder": 0.5},
    "neck": {
        "left_shoulder": 0.25,
        "right_shoulder": 0.25,
        "mouth_left": 0.25,
        "mouth_right": 0.25,
    },
    "head": {"left_ear": 0.5, "right_ear": 0.5},
    "left_shoulder": {"left_shoulder": 1.0},
    "left_elbow": {"left_elbow": 1.0},
    "left_wrist": {"left_wrist": 1.0},
    "right_shoulder": {"right_shoulder": 1.0},
    "right_elbow": {"right_elbow": 1.0},
    "right_wrist": {"right_wrist": 1.0},
}

RECIPES = {"h36m17": _H36M17_RECIPE}
"""Skeletons the extractor can write, each as joint -> {landmark: weight}."""


def mapping_matrix(skeleton: str = "h36m17") -> np.ndarray:
    """The (J, 33) float32 matrix W with joints = W @ landmarks for `skeleton`.

    Raises:
        KeyError: no recipe for that skeleton (the message names the ones there are).
    """
    skel = get_skeleton(skeleton)
    if skel.name not in RECIPES:
        raise KeyError(
            f"the video extractor cannot produce skeleton {skeleton!r}; use one of {', '.join(RECIPES)}"
        )
    recipe = RECIPES[skel.name]
    w = np.zeros((skel.n_joints, N_LANDMARKS), dtype=np.float32)
    for j, joint in enumerate(skel.joint_names):
        for landmark, weight in recipe[joint].items():
            w[j, MEDIAPIPE33.index(landmark)] = weight
    return w


def map_landmarks(values: np.ndarray, skeleton: str = "h36m17") -> np.ndarray:
    """Map per-landmark values onto a skeleton's joints.

    Args:
        values: (..., 33, C) or (..., 33) per-landmark values (metres, pixels or visibilities).
        skeleton: target skeleton name.

    Returns:
        (..., J, C) or (..., J) float32: each joint the weighted mean of its landmarks.
    """
    w = mapping_matrix(skeleton)
    values = np.asarray(values, dtype=np.float32)
    if values.shape[-1] == N_LANDMARKS:  # (..., 33): per-landmark scalars
        return values @ w.T
    return np.einsum("jl,...lc->...jc", w, values)  # (..., 33, C) -> (..., J, C)
