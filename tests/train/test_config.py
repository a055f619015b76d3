import dataclasses
import tomllib

import pytest

from duetgraph.data.physics import PhysicsDataConfig
from duetgraph.errors import InputError
from duetgraph.model.config import ModelConfig
from duetgraph.train.config import (
    FLAGS,
    MODEL_FIELDS_FROM_DATA,
    RunConfig,
    TrainConfig,
    apply_overrides,
    load_preset,
    load_run_config,
    preset_names,
    run_config_from_dict,
)
from duetgraph.train.run import to_toml


def write(tmp_path, text):
    path = tmp_path / "c.toml"
    path.write_text(text)
    return path


def test_unknown_key_raises_naming_file_section_and_key(tmp_path):
    path = write(tmp_path, "[train]\nepoch = 3\n")
    with pytest.raises(InputError, match=r"c\.toml: \[train\] has no key 'epoch'"):
        load_run_config(path)


def test_unknown_section_and_data_derived_model_key_raise(tmp_path):
    with pytest.raises(InputError, match="unknown section"):
        load_run_config(write(tmp_path, "[optim]\nlr = 1e-3\n"))
    with pytest.raises(InputError, match="set from the data"):
        load_run_config(write(tmp_path, "[model]\nn_nodes = 5\n"))


def test_wrong_types_and_bad_values_raise(tmp_path):
    with pytest.raises(InputError, match="should be an integer"):
        load_run_config(write(tmp_path, "[train]\nepochs = 2.5\n"))
    with pytest.raises(InputError, match="should be true or false"):
        load_run_config(write(tmp_path, "[model]\nhard = 1\n"))
    with pytest.raises(InputError, match="encoder"):
        load_run_config(write(tmp_path, '[model]\nencoder = "cnn"\n'))
    with pytest.raises(InputError, match="not valid TOML"):
        load_run_config(write(tmp_path, "[train\n"))


def test_values_are_read(tmp_path):
    cfg = load_run_config(
        write(
            tmp_path,
            '[data]\nsystem = "charged5"\n[model]\nn_hidden = 32\nedge_prior = [0.9, 0.1]\n'
            "[train]\nepochs = 7\nlr = 1\n",
        )
    )
    assert cfg.data.system == "charged5" and cfg.train.epochs == 7 and cfg.train.lr == 1.0
    mc = cfg.model_config(n_nodes=3, n_features=4, n_input_frames=5, latent_edges=((0, 1),))
    assert mc.n_hidden == 32 and mc.edge_prior == (0.9, 0.1)


def test_presets_hold_nri_defaults():
    assert {"nri_springs5", "nri_charged5"} <= set(preset_names())
    for name, system in (("nri_springs5", "springs5"), ("nri_charged5", "charged5")):
        cfg = load_preset(name)
        assert cfg.data.system == system
        assert (cfg.train.lr, cfg.train.batch_size, cfg.train.lr_decay_every) == (5e-4, 128, 200)
        assert cfg.train.epochs == 500
        mc = cfg.model_config(n_nodes=5, n_features=4, n_input_frames=49, latent_edges=((0, 1),))
        assert (mc.encoder, mc.decoder, mc.n_hidden, mc.n_edge_types) == ("mlp", "mlp", 256, 2)
        assert (mc.tau, mc.n_pred_steps, mc.output_variance) == (0.5, 10, 5e-5)
    with pytest.raises(InputError, match="unknown preset"):
        load_preset("nri_kuramoto")


def test_schedules():
    tc = TrainConfig(epochs=500, lr=1e-3, lr_decay_every=200, lr_decay=0.5)
    assert [tc.lr_at(e) for e in (0, 199, 200, 399, 400)] == [1e-3, 1e-3, 5e-4, 5e-4, 2.5e-4]
    tc = TrainConfig(lr=2e-3, lr_decay_every=1, lr_decay=0.5, lr_min=3e-4)
    assert [tc.lr_at(e) for e in range(5)] == [2e-3, 1e-3, 5e-4, 3e-4, 3e-4]
    for bad in (-1e-4, 3e-3, float("nan")):
        with pytest.raises(InputError, match="lr_min"):
            TrainConfig(lr=2e-3, lr_min=bad)
    tc = TrainConfig(epochs=10, beta_start=0.2, beta_anneal_epochs=4)
    assert [tc.beta_at(e) for e in range(6)] == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0, 1.0])
    with pytest.raises(InputError, match="never reach 1"):
        TrainConfig(epochs=3, beta_start=0.1, beta_anneal_epochs=4)


def test_flags_map_one_to_one_onto_fields():
    names = [f.name for f in FLAGS]
    targets = [(f.section, f.key) for f in FLAGS]
    assert len(set(names)) == len(names) and len(set(targets)) == len(targets)
    fields = {
        "data": {f.name for f in dataclasses.fields(PhysicsDataConfig)},
        "model": {f.name for f in dataclasses.fields(ModelConfig)} - MODEL_FIELDS_FROM_DATA,
        "train": {f.name for f in dataclasses.fields(TrainConfig)},
    }
    for section, key in targets:
        assert key in fields[section]
    # every field of every section has a flag
    for section in ("data", "model", "train"):
        assert fields[section] == {k for s, k in targets if s == section}


def test_overrides_and_toml_round_trip():
    cfg = apply_overrides(
        load_preset("nri_springs5"), {("train", "epochs"): 3, ("model", "n_hidden"): 8}
    )
    assert cfg.train.epochs == 3 and cfg.model["n_hidden"] == 8
    again = run_config_from_dict(tomllib.loads(to_toml(cfg.to_dict())))
    assert again == cfg
    assert RunConfig().train == TrainConfig()
