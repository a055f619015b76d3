"""A small synthetic duet and posteriors whose P(string) is set by the test."""

import numpy as np
import pytest

from duetgraph.analysis import StringPosterior
from duetgraph.sim import DuetSimConfig, simulate_duet

JOINTS = ("pelvis", "left_wrist", "right_wrist")


@pytest.fixture(scope="session")
def duet():
    """4 s at 10 fps, SMPL29, dancers A and B about 1.5 m apart."""
    duet, _ = simulate_duet(DuetSimConfig(duration_s=4.0, fps=10.0), np.random.default_rng(0))
    return duet


def posterior_for(duet, p_string, window=1.0, stride=0.5, n_types=3, run="tests"):
    """Posterior over all directed A<->B edges between JOINTS, windows [w*stride, w*stride+window).

    Args:
        p_string: (W, E) P(string) or a float for every window and edge; E = 2 * 3 * 3 = 18, edge
            2 * (3a + b) is A:JOINTS[a] -> B:JOINTS[b] and edge 2 * (3a + b) + 1 its reverse.
    """
    skel = duet.skeleton_def
    names = [f"A:{j}" for j in JOINTS] + [f"B:{j}" for j in JOINTS]
    senders, receivers = [], []
    for a in range(3):
        for b in range(3, 6):
            senders += [a, b]
            receivers += [b, a]
    n_windows = int(np.floor((duet.duration - window) / stride)) + 1
    p = np.broadcast_to(np.asarray(p_string, dtype=np.float64), (n_windows, len(senders)))
    probs = np.zeros((*p.shape, n_types))
    probs[..., 0] = 1 - p
    probs[..., 1:] = (p / (n_types - 1))[..., None]
    start = np.arange(n_windows) * stride
    return StringPosterior(
        probs=probs,
        window_start=start,
        window_end=start + window,
        senders=senders,
        receivers=receivers,
        node_names=tuple(names),
        node_dancer=[0, 0, 0, 1, 1, 1],
        node_joint=[skel.index(n.split(":")[1]) for n in names],
        skeleton=duet.skeleton,
        dancers=duet.dancers,
        edge_prior=(0.4, 0.3, 0.3) if n_types == 3 else None,
        run=run,
    )


def one_string(duet, p_on, p_off=0.05, edge=2, **kw):
    """Posterior where only `edge` has P(string) = p_on (default A:pelvis -> B:left_wrist)."""
    n_windows = int(np.floor((duet.duration - kw.get("window", 1.0)) / kw.get("stride", 0.5))) + 1
    p = np.full((n_windows, 18), p_off)
    p[:, edge] = p_on
    return posterior_for(duet, p, **kw)


def near(image, rgb, tol=40):
    """(H, W) bool: pixels within `tol` (max abs channel difference) of colour `rgb`."""
    diff = np.abs(np.asarray(image, dtype=np.int16)[..., :3] - np.array(rgb, dtype=np.int16))
    return diff.max(axis=-1) <= tol


@pytest.fixture
def make_posterior():
    return posterior_for


@pytest.fixture
def make_one_string():
    return one_string


@pytest.fixture
def color_near():
    return near
