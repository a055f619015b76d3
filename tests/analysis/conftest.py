"""Synthetic duets and posteriors whose facts are known by construction.

A stick figure is built in its own body frame (x' = its right, y' = its forward, z up, metres,
feet on the floor z = 0), then turned so that its forward points along a given world direction
and moved to a given spot. Turning is a proper rotation, so a figure facing the audience (−y) has
its right hip on the −x side.
"""

import numpy as np
import pytest

from duetgraph import Duet
from duetgraph.analysis import StringPosterior
from duetgraph.skeleton import get_skeleton

# Body frame (right, forward, up) of a standing figure: pelvis 0.95 m high, legs 0.82 m long.
STAND = {
    "pelvis": (0, 0, 0.95), "left_hip": (-0.1, 0, 0.9), "right_hip": (0.1, 0, 0.9),
    "spine1": (0, 0, 1.05), "spine": (0, 0, 1.1), "spine2": (0, 0, 1.2), "spine3": (0, 0, 1.3),
    "thorax": (0, 0, 1.4), "neck": (0, 0, 1.5), "left_collar": (-0.08, 0, 1.42),
    "right_collar": (0.08, 0, 1.42), "jaw": (0, 0.05, 1.55), "head": (0, 0, 1.65),
    "nose": (0, 0.1, 1.62), "left_eye": (-0.03, 0.08, 1.66), "right_eye": (0.03, 0.08, 1.66),
    "left_ear": (-0.07, 0, 1.63), "right_ear": (0.07, 0, 1.63),
    "left_shoulder": (-0.18, 0, 1.42), "right_shoulder": (0.18, 0, 1.42),
    "left_elbow": (-0.2, 0, 1.15), "right_elbow": (0.2, 0, 1.15),
    "left_wrist": (-0.2, 0, 0.9), "right_wrist": (0.2, 0, 0.9),
    "left_thumb": (-0.2, 0.03, 0.85), "right_thumb": (0.2, 0.03, 0.85),
    "left_middle": (-0.2, 0, 0.8), "right_middle": (0.2, 0, 0.8),
    "left_knee": (-0.1, 0, 0.5), "right_knee": (0.1, 0, 0.5),
    "left_ankle": (-0.1, 0, 0.08), "right_ankle": (0.1, 0, 0.08),
    "left_foot": (-0.1, 0.12, 0.02), "right_foot": (0.1, 0.12, 0.02),
    "left_bigtoe": (-0.1, 0.18, 0.0), "right_bigtoe": (0.1, 0.18, 0.0),
}  # fmt: skip
_LEG = ("hip", "knee", "ankle", "foot", "bigtoe")


def _pose(kind: str) -> dict[str, np.ndarray]:
    """Body-frame joints of a standing, kneeling or sitting figure (leg bones keep their length)."""
    pose = {k: np.array(v, dtype=float) for k, v in STAND.items()}
    if kind == "stand":
        return pose
    # Kneeling upright: knees on the floor, shins flat behind; sitting: legs flat forward.
    drop = {"kneel": 0.45, "sit": 0.8}[kind]
    for name in pose:
        if not name.endswith(_LEG):
            pose[name][2] -= drop
    for side, x in (("left", -0.1), ("right", 0.1)):
        if kind == "kneel":
            pose[f"{side}_hip"] = np.array([x, 0, 0.45])
            pose[f"{side}_knee"] = np.array([x, 0, 0.05])
            pose[f"{side}_ankle"] = np.array([x, -0.42, 0.05])
            pose[f"{side}_foot"] = np.array([x, -0.5, 0.02])
            pose[f"{side}_bigtoe"] = np.array([x, -0.55, 0.0])
        else:
            pose[f"{side}_hip"] = np.array([x, 0, 0.1])
            pose[f"{side}_knee"] = np.array([x, 0.4, 0.1])
            pose[f"{side}_ankle"] = np.array([x, 0.82, 0.08])
            pose[f"{side}_foot"] = np.array([x, 0.86, 0.15])
            pose[f"{side}_bigtoe"] = np.array([x, 0.88, 0.2])
    return pose


def stick_figure(skeleton="h36m17", at=(0.0, 0.0), facing=(0.0, -1.0), pose="stand"):
    """(J, 3) joints of `skeleton` for a figure at `at` (x, y) whose forward is `facing` (x, y)."""
    skel = get_skeleton(skeleton)
    fx, fy = np.asarray(facing, dtype=float) / np.hypot(*facing)
    # Columns: where the body's right (x') and forward (y') go in the world; right = forward × up.
    right = np.array([fy, -fx])
    body = _pose(pose)
    out = np.zeros((skel.n_joints, 3))
    for j, name in enumerate(skel.joint_names):
        x, y, z = body[name]
        out[j, :2] = np.asarray(at) + x * right + y * np.array([fx, fy])
        out[j, 2] = z
    return out


def duet_of(frames_a, frames_b, skeleton="h36m17", fps=30.0, dancers=("A", "B")):
    """Duet from per-frame (T, J, 3) joints of A and B."""
    positions = np.stack([np.asarray(frames_a), np.asarray(frames_b)], axis=1)
    return Duet(
        positions, fps=fps, skeleton=skeleton, dancers=dancers, provenance=[{"source": "synthetic"}]
    )


def posterior_of(
    p_string,
    edges,
    skeleton="h36m17",
    window=1.0,
    stride=None,
    n_types=2,
    prior=None,
    dancers=("A", "B"),
):
    """StringPosterior from (W, E) P(string) and edges [("A:joint", "B:joint"), ...].

    Window w covers [w*stride, w*stride + window) seconds. With n_types > 2 the string
    probability is split over the string types, 2/3 to type 1.
    """
    p = np.asarray(p_string, dtype=np.float64)
    n_windows = p.shape[0]
    stride = window if stride is None else stride
    skel = get_skeleton(skeleton)
    names = sorted({n for e in edges for n in e}, key=lambda n: (n[0] != dancers[0], n))
    probs = np.zeros((*p.shape, n_types))
    probs[..., 0] = 1 - p
    if n_types == 2:
        probs[..., 1] = p
    else:
        probs[..., 1] = p * 2 / 3
        probs[..., 2:] = (p / 3 / (n_types - 2))[..., None]
    start = np.arange(n_windows) * stride
    return StringPosterior(
        probs=probs,
        window_start=start,
        window_end=start + window,
        senders=[names.index(s) for s, _ in edges],
        receivers=[names.index(r) for _, r in edges],
        node_names=tuple(names),
        node_dancer=[dancers.index(n.split(":")[0]) for n in names],
        node_joint=[skel.index(n.split(":")[1]) for n in names],
        skeleton=skeleton,
        dancers=dancers,
        edge_prior=prior,
        run="tests",
    )


@pytest.fixture
def figure():
    return stick_figure


@pytest.fixture
def make_duet():
    return duet_of


@pytest.fixture
def make_posterior():
    return posterior_of


@pytest.fixture
def face_to_face():
    """(T frames) → Duet of A at (−0.4, 0) facing +x and B at (0.4, 0) facing −x, standing."""

    def build(n_frames=30, skeleton="h36m17", fps=30.0):
        a = np.repeat(stick_figure(skeleton, (-0.4, 0.0), (1.0, 0.0))[None], n_frames, axis=0)
        b = np.repeat(stick_figure(skeleton, (0.4, 0.0), (-1.0, 0.0))[None], n_frames, axis=0)
        return a, b

    return build
