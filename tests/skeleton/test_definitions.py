import pytest

from duetgraph.skeleton import BODY_PARTS, SKELETONS, SMPL24, SMPL29, Skeleton, get_skeleton


@pytest.mark.parametrize("name", sorted(SKELETONS))
def test_every_skeleton_is_a_tree_with_all_body_parts(name):
    skel = SKELETONS[name]
    assert set(skel.groups) == set(BODY_PARTS)
    assert len(skel.bones) == skel.n_joints - 1
    assert skel.parents.count(-1) == 1


def test_smpl29_matches_design_facts():
    assert SMPL29.n_joints == 29
    assert SMPL29.joint_names[24] == "head" and SMPL29.parents[24] == 15
    assert SMPL29.parents[27] == 10 and SMPL29.parents[28] == 11
    assert SMPL24.joint_names == SMPL29.joint_names[:24]
    assert SMPL24.parents == SMPL29.parents[:24]
    assert SMPL29.group_of("left_wrist") == "left_arm"
    assert SMPL29.index("right_elbow") == 19


def test_lookup_is_forgiving_about_case_and_dashes():
    assert get_skeleton("SMPL-29") is SMPL29
    with pytest.raises(KeyError, match="known"):
        get_skeleton("mediapipe99")


def test_cycles_and_bad_groups_are_rejected():
    with pytest.raises(ValueError, match="root"):
        Skeleton("loop", ("a", "b"), (1, 0), {"head": ("a", "b")})
    with pytest.raises(ValueError, match="groups"):
        Skeleton("g", ("a", "b"), (-1, 0), {"head": ("a",)})
    with pytest.raises(KeyError, match="unknown joint"):
        SMPL29.index("tail")
