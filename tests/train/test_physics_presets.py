"""The physics presets: NRI's recipe (nri_*) and the 30-CPU-minute springs recipe (fast_*)."""

from duetgraph.train.config import load_preset, preset_names
from duetgraph.train.physics import physics_model_config


def test_nri_presets_train_with_soft_samples_as_nri_does():
    for name in ("nri_springs5", "nri_charged5"):
        mc = physics_model_config(load_preset(name), n_nodes=5, n_frames=49)
        assert mc.hard is False  # NRI's train.py: --hard is off by default
        assert mc.kl_reduction == "edge"


def test_fast_springs_preset_is_a_cpu_limited_narrow_nri():
    assert "fast_springs5" in preset_names()
    cfg = load_preset("fast_springs5")
    tc = cfg.train
    assert cfg.data.system == "springs5"
    assert tc.cpu_limit_min == 30.0 and tc.batch_size == 32
    assert tc.lr_decay_every == 1 and 0 < tc.lr_decay < 1  # decays every epoch
    assert tc.lr_at(10) < tc.lr_at(0) / 2
    mc = physics_model_config(cfg, n_nodes=5, n_frames=49)
    assert (mc.encoder, mc.decoder, mc.n_hidden) == ("mlp", "mlp", 64)
    assert mc.skip_first_edge_type and not mc.hard


def test_fast_charged_preset_is_the_cauchy_recipe():
    cfg = load_preset("fast_charged5")
    assert cfg.data.system == "charged5"
    assert cfg.train.cpu_limit_min == 190.0 and cfg.train.lr_decay_every == 1
    assert cfg.train.epochs * 1.2 > cfg.train.cpu_limit_min  # the CPU limit, not epochs, stops it
    mc = physics_model_config(cfg, n_nodes=5, n_frames=49)
    assert (mc.likelihood, mc.pair_inputs, mc.n_hidden) == ("cauchy", "relative", 64)
    assert not mc.skip_first_edge_type and not mc.hard  # charged: both types interact
    assert cfg.data.max_valid_sims == 2000  # validates as the measured run did
