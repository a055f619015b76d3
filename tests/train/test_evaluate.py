import numpy as np
import pytest
import torch

from duetgraph.data.physics import PhysicsNormalisation, box_symmetries
from duetgraph.model.config import ModelConfig
from duetgraph.model.graph import fully_connected_edges
from duetgraph.model.nri import NRIModel
from duetgraph.train.evaluate import averaged_logits, edge_metrics, evaluate_samples


def test_edge_metrics_with_swapped_type_labels():
    labels = torch.tensor([[0, 1, 1, 0], [1, 0, 0, 1]])
    logits = torch.stack([labels.float() * 4, (1 - labels.float()) * 4], dim=-1)  # types swapped
    m = edge_metrics(logits, labels)
    assert m["edge_accuracy"] == 0.0 and m["edge_accuracy_perm"] == 1.0
    assert m["edge_type_mapping"] == [1, 0]
    assert m["auroc"] == 0.0 and m["auroc_perm"] == 1.0


def tiny_model(T_in=6, n=3, seed=0):
    torch.manual_seed(seed)
    cfg = ModelConfig(
        n_nodes=n,
        n_features=4,
        n_input_frames=T_in,
        latent_edges=fully_connected_edges(n),
        n_hidden=8,
    )
    return NRIModel(cfg).eval()


def uniform_motion(S=5, T=30, n=3, seed=0):
    rng = np.random.default_rng(seed)
    x0, v = rng.normal(size=(S, 1, n, 2)), rng.normal(size=(S, 1, n, 2)) * 0.05
    pos = x0 + np.arange(T)[None, :, None, None] * v
    feats = np.concatenate([pos, np.broadcast_to(v * 10, pos.shape)], axis=-1)
    return torch.tensor(feats, dtype=torch.float32)


def test_rollout_starts_after_the_encoder_window_when_it_can():
    model = tiny_model(T_in=6)
    x = uniform_motion(T=30)
    labels = torch.randint(0, 2, (5, 6))
    r = evaluate_samples(model, x, labels, horizons=(1, 10, 20), batch_size=2)
    assert r["rollout_start"] == 6 and r["horizons"] == [1, 10, 20]
    assert set(r["mse"]) == {"1", "10", "20"} and len(r["mse_curve"]) == 20
    assert max(r["mse_cv"].values()) < 1e-10  # exact for uniform motion
    assert r["mse_static"]["20"] > r["mse_static"]["1"] > 0
    assert 0.0 <= r["edge_accuracy"] <= r["edge_accuracy_perm"] <= 1.0
    assert r["n_samples"] == 5 and np.isfinite(r["nll"])


def test_short_sequences_roll_out_from_frame_one_and_drop_long_horizons():
    model = tiny_model(T_in=6)
    r = evaluate_samples(model, uniform_motion(T=12), None, horizons=(1, 10, 20))
    assert r["rollout_start"] == 1 and r["horizons"] == [1, 10]
    assert "edge_accuracy" not in r


def test_model_mse_is_the_decoders_rollout():
    model = tiny_model(T_in=6)
    x = uniform_motion(S=2, T=12)
    r = evaluate_samples(model, x, None, horizons=(1, 5), seed=3)
    gen = torch.Generator().manual_seed(3)
    with torch.no_grad():
        out = model(x[:, :6], generator=gen)
        pred = model.decode(x[:, 6:12], out.edges, n_pred_steps=5)
    want = ((pred - x[:, 7:12]) ** 2).mean(dim=(0, 2, 3))
    assert r["mse"]["5"] == pytest.approx(float(want[4]), rel=1e-5)
    assert r["mse"]["1"] == pytest.approx(float(want[0]), rel=1e-5)


def test_the_averaged_posterior_is_the_same_for_every_turn_and_mirror_of_the_input():
    model = tiny_model(T_in=6)
    stats = PhysicsNormalisation(-3.0, 4.0, -2.0, 2.5)  # ranges not centred on zero
    x = uniform_motion(T=6) * 0.3
    symmetries = box_symmetries(stats)
    with torch.no_grad():
        base = averaged_logits(model, x, symmetries)
        for turn in symmetries[1:]:
            turned = turn(x)
            assert not torch.allclose(model.encode(turned), model.encode(x), atol=1e-3)
            torch.testing.assert_close(averaged_logits(model, turned, symmetries), base)
        # the average is a probability: its exponentials sum to one over the types
        torch.testing.assert_close(base.exp().sum(-1), torch.ones(base.shape[:-1]))


def test_losses_without_symmetries_are_the_models_own():
    model = tiny_model(T_in=6)
    x = uniform_motion(T=30)
    r = evaluate_samples(model, x, None, seed=2, batch_size=8)
    with torch.no_grad():
        window = x[:, :6]
        losses = model.loss(model(window, generator=torch.Generator().manual_seed(2)), window)
    assert r["nll"] == pytest.approx(float(losses["nll"]), rel=1e-5)
    assert r["kl"] == pytest.approx(float(losses["kl"]), rel=1e-5)


def test_one_identity_symmetry_evaluates_like_the_plain_model():
    model = tiny_model(T_in=6)
    x, labels = uniform_motion(T=30), torch.randint(0, 2, (5, 6))
    plain = evaluate_samples(model, x, labels, seed=1)
    same = evaluate_samples(model, x, labels, seed=1, symmetries=[lambda t: t])
    assert plain["n_symmetries"] == 1 and same["n_symmetries"] == 1
    for key in ("edge_accuracy", "auroc", "nll", "kl"):
        assert same[key] == pytest.approx(plain[key], rel=1e-5), key
    assert same["mse"] == pytest.approx(plain["mse"], rel=1e-5)
