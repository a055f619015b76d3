import pytest

from duetgraph.errors import InputError
from duetgraph.train.config import RunConfig, TrainConfig, load_preset
from duetgraph.train.physics import physics_model_config, resumed_run_config


def test_physics_graph_is_nri_fully_connected_or_symmetric():
    mc = physics_model_config(load_preset("nri_springs5"), n_nodes=5, n_frames=49)
    assert mc.n_latent_edges == 20 and mc.latent_edges[:4] == ((0, 1), (0, 2), (0, 3), (0, 4))
    assert (mc.n_features, mc.n_input_frames) == (4, 49)
    sym = physics_model_config(RunConfig(model={"symmetric": True}), n_nodes=5, n_frames=49)
    assert sym.n_latent_edges == 10 and all(i < j for i, j in sym.latent_edges)


def test_resume_may_extend_but_not_change_what_is_learnt():
    stored = RunConfig(train=TrainConfig(epochs=5, lr=1e-3)).to_dict()
    longer = resumed_run_config(stored, {("train", "epochs"): 9, ("train", "threads"): 2})
    assert longer.train.epochs == 9 and longer.train.threads == 2 and longer.train.lr == 1e-3
    same = resumed_run_config(stored, {("train", "lr"): 1e-3})  # given again, unchanged: fine
    assert same.train.lr == 1e-3
    with pytest.raises(InputError, match="train.lr"):
        resumed_run_config(stored, {("train", "lr"): 5e-4})
    assert resumed_run_config(stored, {("model", "n_hidden"): 256}).model == {}  # the default
    with pytest.raises(InputError, match="model.n_hidden"):
        resumed_run_config(stored, {("model", "n_hidden"): 64})
