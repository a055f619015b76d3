import numpy as np
import pytest
import torch

from duetgraph import Duet, InputError
from duetgraph.data.joints import select_joints
from duetgraph.data.normalize import Normalizer, fit_normalizer, floor_height, root_positions
from duetgraph.data.windows import duet_windows


def make_duet(n_frames=60, seed=0, offset=(0.0, 0.0, 0.0)):
    rng = np.random.default_rng(seed)
    walk = np.cumsum(rng.normal(scale=0.05, size=(n_frames, 2, 1, 3)), axis=0)
    walk[..., 2] = 0.0
    body = rng.uniform(0.0, 1.7, size=(1, 2, 29, 3))
    body[:, 1, :, 0] += 2.0  # B stands 2 m along x from A
    return Duet((walk + body + offset).astype(np.float32), fps=10.0)


def test_origin_is_the_mean_pelvis_at_the_anchor_frame_and_z_is_height():
    duet = make_duet(offset=(30.0, -12.0, 5.0))  # far from the stage origin, floor at 5 m
    w = duet_windows(duet, select_joints("smpl29", "all"), length=8, stride=4)
    norm = Normalizer(position_scale=1.0, velocity_scale=1.0, anchor_frame=-1)
    x, origin, angle = norm.normalize_windows(w)
    pelvis = duet.positions[:, :, 0]
    np.testing.assert_allclose(origin[3, :2], pelvis[12 + 7].mean(axis=0)[:2], rtol=1e-6)
    assert origin[3, 2] == pytest.approx(floor_height(duet)) and floor_height(duet) > 4.9
    np.testing.assert_allclose(x[:, -1, [0, 29], :2].mean(axis=1), 0.0, atol=1e-5)
    assert (x[..., 2] > -0.2).all()  # heights above the floor, not centred
    np.testing.assert_array_equal(angle, 0.0)
    first = Normalizer(anchor_frame=0).normalize_windows(w)[0]
    np.testing.assert_allclose(first[:, 0, [0, 29], :2].mean(axis=1), 0.0, atol=1e-5)


def test_round_trip_numpy_and_torch_with_alignment():
    w = duet_windows(make_duet(), select_joints("smpl29", "random:3-5", rng=0), 8, 2)
    for z_origin in ("floor", "keep", "root"):
        norm = fit_normalizer(w, anchor_frame=-3, z_origin=z_origin, align=True)
        x, origin, angle = norm.normalize_windows(w)
        back = norm.denormalize(x, origin, angle)
        np.testing.assert_allclose(back, w.features, atol=1e-5)
        back_t = norm.denormalize(torch.from_numpy(x), torch.from_numpy(origin), angle)
        np.testing.assert_allclose(back_t.numpy(), w.features, atol=1e-5)
        again = norm.normalize(torch.from_numpy(np.array(w.features)), origin, angle)
        np.testing.assert_allclose(again.numpy(), x, atol=1e-5)


def test_alignment_puts_b_along_plus_x():
    duet = make_duet()
    w = duet_windows(duet, select_joints("smpl29", "pelvis"), 8, 1)
    x, _, angle = Normalizer(align=True).normalize_windows(w)
    a_to_b = x[:, -1, 1, :2] - x[:, -1, 0, :2]
    assert (a_to_b[:, 0] > 0).all()
    np.testing.assert_allclose(a_to_b[:, 1], 0.0, atol=1e-5)
    assert np.ptp(angle) > 0.0


def test_fitted_scales_make_unit_rms_and_use_only_the_given_windows():
    w = duet_windows(make_duet(n_frames=200), select_joints("smpl29", "all"), 8, 1)
    norm = fit_normalizer(w)
    x, _, _ = norm.normalize_windows(w)
    assert np.sqrt(np.mean(x[..., :3] ** 2)) == pytest.approx(1.0, rel=1e-4)
    assert np.sqrt(np.mean(x[..., 3:] ** 2)) == pytest.approx(1.0, rel=1e-4)
    assert norm.velocity_scale < norm.position_scale
    head = fit_normalizer(w.subset(np.arange(10)))
    assert head.velocity_scale != pytest.approx(norm.velocity_scale, rel=1e-3)


def test_stats_are_a_plain_dict_that_round_trips():
    norm = Normalizer(0.8, 0.04, anchor_frame=5, z_origin="keep", align=True)
    d = norm.to_dict()
    assert all(isinstance(v, int | float | str | bool) for v in d.values())
    assert Normalizer.from_dict(d) == norm
    with pytest.raises(InputError, match="keys"):
        Normalizer.from_dict({k: v for k, v in d.items() if k != "align"})
    with pytest.raises(InputError, match="z origin"):
        Normalizer(z_origin="ceiling")


def test_anchor_outside_the_window_is_rejected():
    w = duet_windows(make_duet(), select_joints("smpl29", "pelvis"), 8, 1)
    with pytest.raises(InputError, match="anchor frame 8"):
        Normalizer(anchor_frame=8).normalize_windows(w)


def test_root_falls_back_to_mid_hip():
    rng = np.random.default_rng(0)
    coco = Duet(rng.normal(size=(5, 2, 17, 3)).astype(np.float32), fps=10, skeleton="coco17")
    np.testing.assert_allclose(
        root_positions(coco), coco.positions[:, :, [11, 12]].mean(axis=2), rtol=1e-6
    )
