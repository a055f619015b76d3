import json
from dataclasses import replace

import numpy as np
import pytest

from duetgraph.errors import InputError
from duetgraph.sim import (
    DuetSimConfig,
    PlantedString,
    default_strings,
    simulate_duet,
    string_activity,
    strings_from_json,
    strings_to_json,
)
from duetgraph.sim.kinematics import FOOT_JOINTS, bone_lengths
from duetgraph.skeleton import SMPL29

I = SMPL29.index
FOLLOW = PlantedString("right_wrist", "left_wrist", "follow", strength=1.0, lag_frames=3)
MIRROR = PlantedString("left_wrist", "right_wrist", "mirror", strength=1.0, lag_frames=2)
OPPOSITION = PlantedString("pelvis", "pelvis", "opposition", strength=1.0, lag_frames=4)


def simulate(seed=0, **kw):
    kw = {"duration_s": 60.0, "fps": 10.0, **kw}
    return simulate_duet(DuetSimConfig(**kw), np.random.default_rng(seed))


def lagged(x, lag):
    """x as it was `lag` frames ago (the first frame repeats)."""
    return x[np.clip(np.arange(len(x)) - lag, 0, len(x) - 1)]


def velocity_correlation(a, b, lag):
    """Mean over x, y, z of |corr(velocity of a at t - lag, velocity of b at t)| for (T, 3)."""
    va, vb = np.diff(a, axis=0), np.diff(b, axis=0)
    va, vb = va[: len(va) - lag], vb[lag:]
    return np.mean([abs(np.corrcoef(va[:, k], vb[:, k])[0, 1]) for k in range(3)])


def mirrored(point, pelvis_a, pelvis_b):
    """Reflect (T, 3) points across the vertical plane halfway between two (T, 3) pelvises."""
    mid = (pelvis_a[:, :2] + pelvis_b[:, :2]) / 2
    normal = pelvis_b[:, :2] - pelvis_a[:, :2]
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    out = point.copy()
    out[:, :2] -= 2 * np.sum((point[:, :2] - mid) * normal, axis=1, keepdims=True) * normal
    return out


def test_a_duet_has_the_canonical_layout_and_records_how_it_was_made():
    duet, strings = simulate(seed=7, duration_s=12.0, fps=30.0)
    assert duet.positions.shape == (360, 2, 29, 3) and duet.positions.dtype == np.float32
    assert np.isfinite(duet.positions).all()
    assert duet.fps == 30.0 and duet.skeleton == "smpl29" and duet.dancers == ("A", "B")
    (step,) = duet.provenance
    assert step["step"] == "simulate_duet" and step["seed"] == 7
    assert DuetSimConfig.from_dict(step["config"]) == DuetSimConfig(duration_s=12.0, fps=30.0)
    assert [PlantedString.from_dict(s) for s in step["strings"]] == strings
    json.dumps(duet.metadata())  # provenance stays plain JSON
    # the dancers stand about 1.5 m apart and face each other
    gap = np.linalg.norm(duet.positions[:, 1, 0, :2] - duet.positions[:, 0, 0, :2], axis=1)
    assert 0.8 < gap.min() and gap.max() < 2.5


def test_default_strings_resolve_to_the_paper_six_joint_setting_with_positive_lags():
    duet, strings = simulate(duration_s=10.0, fps=30.0)
    assert [(s.a_joint, s.b_joint, s.kind) for s in strings] == [
        (s.a_joint, s.b_joint, s.kind) for s in default_strings()
    ]
    joints = {s.a_joint for s in strings} | {s.b_joint for s in strings}
    assert joints == {"pelvis", "left_wrist", "right_wrist"}
    assert all(s.lag_frames >= 6 and s.spans == ((0.0, 10.0),) for s in strings)  # >= 2 at 10 fps
    assert strings[0].offset is not None and strings[2].rest_length_m > 0.8


@pytest.mark.parametrize("fps", [10.0, 30.0])
def test_bones_keep_their_length_and_feet_stay_on_the_floor(fps):
    duet, _ = simulate(seed=1, duration_s=30.0, fps=fps, switch_off=True)
    pos = duet.positions.astype(float)
    for dancer in (0, 1):
        lengths = bone_lengths(pos[:, dancer])
        assert np.ptp(lengths, axis=0).max() < 1e-3  # 1 mm (float32 storage)
    feet = pos[:, :, FOOT_JOINTS, 2].min(axis=2)  # (T, 2) lowest foot joint per dancer
    assert np.abs(feet - 0.025).max() < 0.01
    assert pos[..., 2].min() > -0.01


def test_bodies_move_smoothly_even_where_strings_bend_limbs():
    duet, _ = simulate(seed=2, duration_s=60.0, fps=30.0)
    speed = np.linalg.norm(np.diff(duet.positions.astype(float), axis=0), axis=-1) * 30.0
    assert speed.max() < 8.0  # m/s: no joint pops between frames
    assert np.quantile(speed[:, 1], 0.999) < 3.5


def test_the_same_seed_gives_the_same_duet():
    a, sa = simulate(seed=3, duration_s=5.0)
    b, sb = simulate(seed=3, duration_s=5.0)
    c, _ = simulate(seed=4, duration_s=5.0)
    np.testing.assert_array_equal(a.positions, b.positions)
    assert sa == sb and a.provenance == b.provenance
    assert not np.allclose(a.positions, c.positions)


def test_the_planted_joint_depends_on_the_past_of_the_leader():
    duet, (s,) = simulate(strings=(replace(FOLLOW, strength=0.9),))
    free, _ = simulate(strings=())
    a, b = duet.positions[:, 0].astype(float), duet.positions[:, 1].astype(float)
    leader = a[:, I("right_wrist")]
    planted = velocity_correlation(leader, b[:, I("left_wrist")], s.lag_frames)
    other = velocity_correlation(leader, b[:, I("right_ankle")], s.lag_frames)
    unplanted = velocity_correlation(
        leader, free.positions[:, 1, I("left_wrist")].astype(float), s.lag_frames
    )
    assert planted > 0.7
    assert other < 0.25 and unplanted < 0.25
    assert planted > velocity_correlation(leader, b[:, I("left_wrist")], 0) + 0.2  # lag matters
    # B's own motion is the same with and without the string, away from the pulled arm
    legs = SMPL29.group_indices("left_leg") + SMPL29.group_indices("torso")
    np.testing.assert_array_equal(duet.positions[:, 1, legs], free.positions[:, 1, legs])
    np.testing.assert_array_equal(duet.positions[:, 0], free.positions[:, 0])
    # A's planted joint reaches: it travels well over half a metre in every direction
    assert np.ptp(leader, axis=0).min() > 0.6


def test_switching_a_string_off_removes_the_dependence_in_the_off_span():
    spans = ((0.0, 20.0), (40.0, 60.0))
    duet, (s,) = simulate(strings=(replace(FOLLOW, spans=spans),))
    free, _ = simulate(strings=())
    active = string_activity([s], duet.n_frames, duet.fps)[:, 0]
    t = np.arange(duet.n_frames) / duet.fps
    np.testing.assert_array_equal(active, (t < 20) | (t >= 40))
    wrist = I("left_wrist")
    off = ~active
    np.testing.assert_array_equal(duet.positions[off, 1, wrist], free.positions[off, 1, wrist])
    assert np.abs(duet.positions[active, 1, wrist] - free.positions[active, 1, wrist]).max() > 0.2
    leader = lagged(duet.positions[:, 0, I("right_wrist")].astype(float), s.lag_frames)
    follower = duet.positions[:, 1, wrist].astype(float)
    on_corr = velocity_correlation(leader[t >= 41], follower[t >= 41], 0)
    off_corr = velocity_correlation(leader[off], follower[off], 0)
    assert on_corr > 0.7 and off_corr < 0.25
    # the ramp: B's wrist does not jump where the string switches on again
    step = np.linalg.norm(np.diff(follower, axis=0), axis=1)
    assert step[int(39 * 10) : int(41 * 10)].max() < 0.15


def test_switch_off_gives_each_default_string_a_different_off_quarter():
    duet, strings = simulate(duration_s=40.0, switch_off=True)
    active = string_activity(strings, duet.n_frames, duet.fps)
    assert active.shape == (400, 3) and active.dtype == bool
    np.testing.assert_allclose(active.mean(axis=0), 0.75)
    off_quarter = [np.flatnonzero(~active[:, i])[0] // 100 for i in range(3)]
    assert off_quarter == [1, 2, 3]


def check_reaches(b, joint, target, free_b):
    """B's (two-bone IK) `joint` is on `target` where it is within reach of the limb's top joint
    and, beyond reach, points at it with the limb stretched; without the string it is not."""
    top = SMPL29.parents[SMPL29.parents[I(joint)]]
    limb = bone_lengths(b[:1])[0, [SMPL29.parents[I(joint)] - 1, I(joint) - 1]].sum()
    from_top = target - b[:, top]
    reachable = np.linalg.norm(from_top, axis=1) < limb - 1e-3
    beyond = np.linalg.norm(from_top, axis=1) > limb + 1e-3
    error = np.linalg.norm(b[:, I(joint)] - target, axis=1)
    assert reachable.mean() > 0.3
    assert error[reachable].max() < 1e-3
    hand = b[beyond, I(joint)] - b[beyond, top]
    cosine = np.sum(hand * from_top[beyond], axis=1) / (
        np.linalg.norm(hand, axis=1) * np.linalg.norm(from_top[beyond], axis=1)
    )
    assert cosine.min() > 0.999
    np.testing.assert_allclose(np.linalg.norm(hand, axis=1), limb, atol=2e-3)
    free_error = np.linalg.norm(free_b[:, I(joint)] - target, axis=1)
    assert np.median(free_error) > 0.15


@pytest.mark.parametrize("seed", [5, 11])
def test_follow_puts_b_where_a_was_plus_the_offset(seed):
    duet, (s,) = simulate(seed=seed, strings=(FOLLOW,))
    free, _ = simulate(seed=seed, strings=())
    a, b = duet.positions[:, 0].astype(float), duet.positions[:, 1].astype(float)
    target = lagged(a[:, I("right_wrist")], s.lag_frames) + s.offset
    check_reaches(b, "left_wrist", target, free.positions[:, 1].astype(float))


@pytest.mark.parametrize("seed", [6, 12])
def test_mirror_reflects_a_across_the_plane_between_the_dancers(seed):
    duet, (s,) = simulate(seed=seed, strings=(MIRROR,))
    free, _ = simulate(seed=seed, strings=())
    a, b = duet.positions[:, 0].astype(float), duet.positions[:, 1].astype(float)
    a_then = lagged(a, s.lag_frames)
    target = mirrored(a_then[:, I("left_wrist")], a_then[:, 0], b[:, 0])
    check_reaches(b, "right_wrist", target, free.positions[:, 1].astype(float))
    # the mirror keeps A's side: A's left hand (y > 0 at home) pulls B's right hand (also y > 0)
    assert np.corrcoef(target[:, 1], b[:, I("right_wrist"), 1])[0, 1] > 0.8


def test_pelvis_mirror_mirrors_travel_across_the_home_plane():
    string = PlantedString("pelvis", "pelvis", "mirror", lag_frames=3)
    duet, _ = simulate(seed=6, strings=(string,))
    pa = lagged(duet.positions[:, 0, 0].astype(float), 3)
    pb = duet.positions[:, 1, 0].astype(float)
    np.testing.assert_allclose(pb[:, :2], pa[:, :2] * [-1, 1], atol=1e-4)


@pytest.mark.parametrize("strength", [1.0, 0.6])
def test_opposition_keeps_the_distance_when_a_approaches_or_retreats(strength):
    duet, (s,) = simulate(seed=8, strings=(replace(OPPOSITION, strength=strength),))
    free, _ = simulate(seed=8, strings=())

    def distance(d):
        pa = lagged(d.positions[:, 0, 0].astype(float), s.lag_frames)
        return np.linalg.norm(d.positions[:, 1, 0, :2] - pa[:, :2], axis=1)

    with_string, without = distance(duet).std(), distance(free).std()
    assert (duet.positions[:, 1, 0, 0] > duet.positions[:, 0, 0, 0] + 0.5).all()  # B stays B's side
    assert with_string < (1 - strength) * without + 1e-3
    assert without > 0.05
    if strength == 1.0:
        np.testing.assert_allclose(distance(duet), s.rest_length_m, atol=1e-3)


def test_opposition_on_a_hand_moves_it_away_from_an_approaching_hand():
    string = PlantedString("right_wrist", "left_wrist", "opposition", lag_frames=3)
    duet, (s,) = simulate(seed=9, strings=(string,))
    free, _ = simulate(seed=9, strings=())

    def distance(d):
        leader = lagged(d.positions[:, 0, I("right_wrist")].astype(float), 3)
        return np.linalg.norm(d.positions[:, 1, I("left_wrist")] - leader, axis=1)

    assert distance(duet).std() < 0.6 * distance(free).std()


def test_a_string_of_strength_zero_changes_nothing():
    duet, _ = simulate(strings=(replace(FOLLOW, strength=0.0),), duration_s=10.0)
    free, _ = simulate(strings=(), duration_s=10.0)
    np.testing.assert_array_equal(duet.positions, free.positions)


def test_resolved_strings_reproduce_the_duet():
    duet, strings = simulate(seed=10, duration_s=20.0, switch_off=True)
    again, same = simulate(seed=10, duration_s=20.0, strings=tuple(strings))
    assert same == strings
    np.testing.assert_allclose(again.positions, duet.positions, atol=1e-6)


def test_strings_round_trip_through_json():
    _, strings = simulate(duration_s=5.0)
    text = strings_to_json(strings, fps=10.0)
    assert json.loads(text)["fps"] == 10.0
    assert strings_from_json(text) == strings
    assert strings_from_json(strings_to_json([])) == []
    with pytest.raises(InputError, match="not JSON"):
        strings_from_json("{")
    with pytest.raises(InputError, match="format"):
        strings_from_json("[]")
    bad = json.loads(text)
    bad["strings"][0]["colour"] = "red"
    with pytest.raises(InputError, match="colour"):
        strings_from_json(json.dumps(bad))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "magnet"}, "unknown kind"),
        ({"strength": 1.5}, "strength"),
        ({"spans": ((5.0, 2.0),)}, "spans"),
        ({"spans": ((0.0, 5.0), (4.0, 8.0))}, "spans"),
        ({"lag_frames": -1}, "lag_frames"),
        ({"rest_length_m": 1.0}, "rest_length_m"),
    ],
)
def test_bad_strings_are_refused_with_a_clear_message(kwargs, message):
    with pytest.raises(InputError, match=message):
        replace(FOLLOW, **kwargs)


def test_bad_string_sets_are_refused_when_simulating():
    with pytest.raises(InputError, match="unknown joint 'left_hand'"):
        simulate(strings=(replace(FOLLOW, b_joint="left_hand"),), duration_s=2.0)
    with pytest.raises(InputError, match="one string"):
        simulate(strings=(FOLLOW, replace(MIRROR, b_joint="left_wrist")), duration_s=2.0)


def test_config_round_trips_and_refuses_unknown_keys():
    config = DuetSimConfig(duration_s=3.0, strings=(FOLLOW, MIRROR), heights_m=(1.6, 1.9))
    assert DuetSimConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    with pytest.raises(InputError, match="speed"):
        DuetSimConfig.from_dict({"speed": 2})
    with pytest.raises(InputError, match="amplitude"):
        DuetSimConfig(amplitude=2.0)
