import numpy as np
import pytest

from duetgraph.errors import InputError
from duetgraph.sim.independent_duet import simulate_independent_duet
from duetgraph.sim.kinematics import bone_lengths, descendants, rest_offsets
from duetgraph.sim.spring_duet import (
    B_JOINTS,
    SPRING_KINDS,
    SpringDuetConfig,
    SpringString,
    random_spring_strings,
    simulate_spring_duet,
)
from duetgraph.skeleton import SMPL29

I = SMPL29.index


def simulate(seed=0, **kw):
    kw = {"duration_s": 30.0, "fps": 30.0, **kw}
    return simulate_spring_duet(SpringDuetConfig(**kw), np.random.default_rng(seed))


def lagged(x, lag):
    """x as it was `lag` frames ago (the first frame repeats)."""
    return x[np.clip(np.arange(len(x)) - lag, 0, len(x) - 1)]


def velocity_correlation(a, b):
    """Mean over x, y, z of corr(velocity of a, velocity of b) for (T, 3) trajectories."""
    va, vb = np.diff(a, axis=0), np.diff(b, axis=0)
    return np.mean([np.corrcoef(va[:, k], vb[:, k])[0, 1] for k in range(3)])


def test_a_spring_duet_has_the_canonical_layout_and_records_how_it_was_made():
    duet, strings = simulate(seed=7, duration_s=10.0)
    assert duet.positions.shape == (300, 2, 29, 3) and duet.positions.dtype == np.float32
    assert np.isfinite(duet.positions).all()
    assert duet.fps == 30.0 and duet.skeleton == "smpl29" and duet.dancers == ("A", "B")
    (step,) = duet.provenance
    assert step["step"] == "simulate_spring_duet" and step["seed"] == 7
    assert step["strings"] == [s.to_dict() for s in strings]
    assert len(strings) == 3
    for s in strings:  # resolved: what analysis.recovery.recover_planted reads
        assert s.spans == ((0.0, 10.0),) and s.lag_frames >= 1
        assert s.stiffness is not None and s.damping is not None
        assert (s.rest_offset is not None) == (s.kind == "spring")
        assert (s.rest_length_m is not None) == (s.kind == "repel")


def test_the_same_seed_gives_the_same_duet_and_seeds_plant_different_strings():
    first, strings = simulate(seed=5, duration_s=5.0)
    again, strings_again = simulate(seed=5, duration_s=5.0)
    np.testing.assert_array_equal(first.positions, again.positions)
    assert strings == strings_again
    planted = {
        tuple((s.a_joint, s.b_joint, s.kind) for s in simulate(seed, duration_s=2.0)[1])
        for seed in range(5)
    }
    assert len(planted) == 5


def test_b_keeps_its_bone_lengths_and_a_is_never_driven():
    explicit = (
        SpringString("left_wrist", "pelvis", "repel", lag_frames=6),
        SpringString("head", "right_wrist", "spring", lag_frames=3, spans=((5.0, 20.0),)),
        SpringString("right_ankle", "left_knee", "velocity", lag_frames=9),
    )
    for seed, strings in ((0, None), (1, None), (2, explicit)):
        duet, _ = simulate(seed=seed, strings=strings, switch_off=True)
        free, _ = simulate(seed=seed, strings=())
        np.testing.assert_array_equal(duet.positions[:, 0], free.positions[:, 0])
        lengths = bone_lengths(duet.positions[:, 1].astype(np.float64))  # (T, J-1)
        assert np.abs(lengths - lengths[:1]).max() < 1e-6
        assert np.abs(duet.positions[:, 1] - free.positions[:, 1]).max() > 0.05  # B did move


@pytest.mark.parametrize("kind", SPRING_KINDS)
def test_a_string_moves_b_while_on_and_lets_go_after_its_span(kind):
    string = SpringString("right_wrist", "left_wrist", kind, lag_frames=3, spans=((0.0, 20.0),))
    duet, _ = simulate(seed=3, strings=(string,))
    free, _ = simulate(seed=3, strings=())
    joint = I("left_wrist")
    gap = np.linalg.norm(duet.positions[:, 1, joint] - free.positions[:, 1, joint], axis=-1)
    t = np.arange(len(gap)) / duet.fps
    on = gap[(t >= 2.0) & (t < 20.0)].mean()
    later = gap[t >= 23.0].mean()
    assert on > 0.02
    assert later < 0.2 * on
    # Only the wrist's own sub-tree moves: B's other arm is B's own motion.
    other = I("right_elbow")
    np.testing.assert_array_equal(duet.positions[:, 1, other], free.positions[:, 1, other])


def test_a_velocity_string_carries_b_along_with_a_lagged_velocity():
    lag = 3
    string = SpringString("right_wrist", "left_wrist", "velocity", lag_frames=lag, damping=8.0)
    duet, _ = simulate(seed=11, strings=(string,), duration_s=120.0, fps=10.0)
    free, _ = simulate(seed=11, strings=(), duration_s=120.0, fps=10.0)
    a, b = duet.positions[:, 0].astype(float), duet.positions[:, 1].astype(float)
    b_free = free.positions[:, 1].astype(float)
    wrist = I("left_wrist")
    coupled = velocity_correlation(lagged(a[:, I("right_wrist")], lag), b[:, wrist])
    unrelated = velocity_correlation(lagged(a[:, I("left_ankle")], lag), b[:, wrist])
    before = velocity_correlation(lagged(a[:, I("right_wrist")], lag), b_free[:, wrist])
    assert coupled > 0.15  # B's joint also keeps its own motion and its bone's reach
    assert coupled > abs(unrelated) + 0.1
    assert coupled > abs(before) + 0.1


def test_random_strings_keep_to_the_documented_set():
    rng = np.random.default_rng(0)
    seen_kinds, seen_b = set(), set()
    for n_strings in (1,) * 40 + (2, 3, 4, 5) * 10:
        strings = random_spring_strings(rng, n_strings, duration_s=40.0, fps=30.0)
        assert len(strings) == n_strings
        b = [I(s.b_joint) for s in strings]
        assert len(set(b)) == n_strings
        for j in b:  # no planted B joint is above or below another
            assert not set(descendants(j).tolist()) & (set(b) - {j})
        for s in strings:
            assert s.a_joint in SMPL29.joint_names and s.b_joint in B_JOINTS
            assert s.kind in SPRING_KINDS
            assert s.lag_frames in (3, 6, 9, 12, 15)  # 0.1-0.5 s at 30 fps
            assert sum(end - start for start, end in s.spans) == pytest.approx(30.0)  # 1 off
        seen_kinds |= {s.kind for s in strings}
        seen_b |= set(b)
    assert seen_kinds == set(SPRING_KINDS)
    assert {SMPL29.joint_names[j] for j in seen_b} == set(B_JOINTS)
    bone = np.linalg.norm(rest_offsets(), axis=-1)  # row 0: the pelvis, not a bone
    assert all(j == "pelvis" or bone[I(j)] >= 0.2 for j in B_JOINTS)
    assert {"jaw", "head", "left_thumb", "left_middle", "left_bigtoe", "left_foot"}.isdisjoint(
        B_JOINTS
    )
    with pytest.raises(InputError, match="n_strings"):
        random_spring_strings(rng, 6)


def test_spring_strings_check_their_fields_and_round_trip():
    s = SpringString("pelvis", "left_wrist", "spring", spans=((1, 2),), rest_offset=(0, 1, 0))
    assert SpringString.from_dict(s.to_dict()) == s
    with pytest.raises(InputError, match="kind"):
        SpringString("pelvis", "left_wrist", "follow")
    with pytest.raises(InputError, match="rest_offset"):
        SpringString("pelvis", "left_wrist", "repel", rest_offset=(0, 0, 0))
    with pytest.raises(InputError, match="spans"):
        SpringString("pelvis", "left_wrist", "velocity", spans=((3, 2),))
    with pytest.raises(InputError, match="unknown joint"):
        SpringString("pelvis", "left_hand", "velocity")
    with pytest.raises(InputError, match="two spring strings"):
        simulate(strings=(s, SpringString("neck", "left_wrist", "repel")))


def test_a_shared_beat_correlates_independent_dancers_and_no_beat_does_not():
    for seed in (0, 1, 2):
        beat = simulate_independent_duet(120.0, 10.0, np.random.default_rng(seed), 0.8)
        alone = simulate_independent_duet(300.0, 10.0, np.random.default_rng(seed))
        for duet in (beat, alone):
            assert duet.positions.shape[1:] == (2, 29, 3)
            assert duet.provenance[0]["strings"] == []
            lengths = bone_lengths(duet.positions.astype(np.float64))
            assert np.abs(lengths - lengths[:1]).max() < 1e-6
        z_beat = beat.positions[:, :, I("pelvis"), 2].astype(float)
        z_alone = alone.positions[:, :, I("pelvis"), 2].astype(float)
        assert abs(np.corrcoef(z_beat.T)[0, 1]) > 0.3
        assert abs(np.corrcoef(z_alone.T)[0, 1]) < 0.2
    # The beat is added on top of the same independent dancers.
    beat = simulate_independent_duet(10.0, 10.0, np.random.default_rng(4), 1.0)
    alone = simulate_independent_duet(10.0, 10.0, np.random.default_rng(4))
    assert beat.provenance[0]["beat"]["tempo_hz"] == 1.0
    assert not np.array_equal(beat.positions, alone.positions)
