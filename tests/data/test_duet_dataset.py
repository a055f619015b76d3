import numpy as np
import pytest
import torch

from duetgraph import Duet, InputError
from duetgraph.data.duet_dataset import DuetWindowDataset, build_duet_windows
from duetgraph.data.joints import select_joints
from duetgraph.data.normalize import Normalizer
from duetgraph.data.windows import duet_windows


def make_duet(n_frames=120, seed=0, fps=10.0, source="mem"):
    rng = np.random.default_rng(seed)
    walk = np.cumsum(rng.normal(scale=0.05, size=(n_frames, 2, 1, 3)), axis=0)
    walk[..., 2] = 0.0
    body = rng.uniform(0.0, 1.7, size=(1, 2, 29, 3)).astype(np.float32)
    body[:, 1, :, 0] += 2.0
    wiggle = rng.normal(scale=0.02, size=(n_frames, 2, 29, 3))
    return Duet(
        (walk + body + wiggle).astype(np.float32),
        fps=fps,
        provenance=[{"step": "read", "source": source}],
    )


def test_build_gives_float32_batches_times_and_names():
    duet = make_duet()
    sel = select_joints("smpl29", "random:3-5", rng=0)
    data = build_duet_windows(duet, sel, window=8, stride=2)
    train, valid = data.train, data.valid
    assert train.node_names == valid.node_names == data.node_names == sel.node_names
    assert len(train) > 0 and len(valid) > 0
    batch = next(train.iter_batches(batch_size=5))
    assert batch.features.shape == (5, 8, sel.n_nodes, 6)
    assert batch.features.dtype == torch.float32
    np.testing.assert_allclose(batch.start_time.numpy(), np.arange(0, 10, 2) / 10.0)
    # Validation windows start after the cut, and their times say so.
    assert valid.start_times.min() >= data.splits[0].cut_frame / duet.fps
    # Items equal their batch rows, and denormalising gives back the duet's metres.
    torch.testing.assert_close(train[3], batch.features[3])
    metres = data.normalizer.denormalize(batch.features, batch.origin, batch.angle)
    w = duet_windows(duet, sel, 8, 2)
    np.testing.assert_allclose(metres.numpy(), w.features[:5], atol=1e-5)


def test_normaliser_is_fitted_on_training_windows_only():
    duet = make_duet(n_frames=200)
    n = duet.positions.copy()
    n[170:] *= 5.0  # wild motion in the validation part only
    wild = Duet(n, fps=10.0)
    sel = select_joints("smpl29", "all")
    calm = build_duet_windows(duet, sel, 8, 1).normalizer
    assert build_duet_windows(wild, sel, 8, 1).normalizer == calm


def test_fixed_rotations_expand_and_random_rotations_vary():
    duet = make_duet()
    sel = select_joints("smpl29", "pelvis,left_wrist")
    plain = build_duet_windows(duet, sel, 8, 4).train
    fixed = build_duet_windows(duet, sel, 8, 4, n_rotations=4, rotation="fixed").train
    assert len(fixed) == 4 * len(plain) == 4 * fixed.n_windows
    w = plain.n_windows
    b0, b2 = fixed.batch([1]), fixed.batch([1 + 2 * w])  # copies 0 and 2 of window 1
    torch.testing.assert_close(b0.features, plain.batch([1]).features)
    torch.testing.assert_close(b2.features[..., :2], -b0.features[..., :2], atol=1e-5, rtol=0)
    torch.testing.assert_close(b2.features[..., 2], b0.features[..., 2])
    rand = build_duet_windows(duet, sel, 8, 4, n_rotations=2, rotation="random", seed=1).train
    first, second = rand.batch([0, 1]), rand.batch([0, 1])
    assert not torch.allclose(first.features, second.features)
    same = build_duet_windows(duet, sel, 8, 4, n_rotations=2, rotation="random", seed=1).train
    torch.testing.assert_close(same.batch([0, 1]).features, first.features)


def test_several_duets_share_one_normaliser_and_keep_their_parts():
    sel = select_joints("smpl29", "pelvis,head")
    a, b = make_duet(seed=1, source="a.npz"), make_duet(n_frames=90, seed=2, source="b.npz")
    data = build_duet_windows([a, b], sel, 8, 1)
    assert len(data.splits) == 2 and len(data.train.parts) == 2
    batch = data.train.batch(np.arange(len(data.train)))
    counts = np.bincount(batch.part.numpy())
    assert counts.tolist() == [len(data.splits[0].train), len(data.splits[1].train)]
    with pytest.raises(InputError, match="b.npz"):
        build_duet_windows([a, make_duet(n_frames=12, source="b.npz")], sel, 8, 1)


def test_inconsistent_options_are_rejected():
    w = duet_windows(make_duet(), select_joints("smpl29", "pelvis"), 8, 1)
    with pytest.raises(InputError, match="seed"):
        DuetWindowDataset(w, Normalizer(), 2, "random")
    with pytest.raises(InputError, match="align"):
        DuetWindowDataset(w, Normalizer(align=True), 2, "fixed")
    with pytest.raises(InputError, match="n_rotations"):
        DuetWindowDataset(w, Normalizer(), 3, "none")


def test_full_body_long_duet_stays_small():
    # 41 minutes at 10 fps, 29 + 29 joints, 8-frame windows at stride 1.
    duet = make_duet(n_frames=24_600)
    data = build_duet_windows(
        duet, select_joints("smpl29", "all"), 8, 1, n_rotations=10, rotation="fixed"
    )
    assert data.train.n_nodes == 58 and len(data.train) == 10 * data.train.n_windows
    # Held: the per-frame features (24 600 × 58 × 6 float32 = 34.2 MB) and roots, shared by both
    # splits; materialised windows would be 24 593 × 8 × 58 × 6 × 4 B = 274 MB (× 10 rotations).
    assert data.train.nbytes < 40e6
    assert data.train.parts[0].frames is data.valid.parts[0].frames
    assert data.train.batch(np.arange(128)).features.shape == (128, 8, 58, 6)
