import io

import pytest
import torch

from duetgraph.data.joints import inter_dancer_edges, known_edges, select_joints
from duetgraph.model import ModelConfig, NRIModel, bipartite_edges

from .helpers import COMBOS, tiny_config


@pytest.mark.parametrize("encoder, decoder", COMBOS)
def test_shapes(encoder, decoder):
    model = NRIModel(tiny_config(encoder, decoder, n_edge_types=3, edge_prior=(0.4, 0.3, 0.3)))
    x = torch.randn(4, 8, 5, 4)
    out = model(x)
    assert out.logits.shape == out.probs.shape == out.edges.shape == (4, 20, 3)
    assert out.prediction.shape == (4, 7, 5, 4)
    torch.testing.assert_close(out.probs.sum(-1), torch.ones(4, 20))
    losses = model.loss(out, x)
    assert set(losses) == {"nll", "kl", "total", "mse"}
    assert all(v.shape == () for v in losses.values())


@pytest.mark.parametrize("encoder, decoder", COMBOS)
@pytest.mark.parametrize("skip_first", [False, True])
def test_reconstruction_alone_reaches_every_encoder_parameter(encoder, decoder, skip_first):
    torch.manual_seed(0)
    model = NRIModel(tiny_config(encoder, decoder, skip_first_edge_type=skip_first, dropout=0.1))
    x = torch.randn(4, 6, 5, 4)
    out = model(x, generator=torch.Generator().manual_seed(0))
    model.loss(out, x, beta=0.0)["nll"].backward()
    for name, p in model.encoder.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, f"no gradient reaches encoder.{name}"
    for name, p in model.decoder.named_parameters():
        assert p.grad is not None, f"decoder.{name} is unused"


@pytest.mark.parametrize("skip_first", [False, True])
def test_relative_pair_inputs_reach_every_parameter(skip_first):
    torch.manual_seed(0)
    config = tiny_config(pair_inputs="relative", skip_first_edge_type=skip_first)
    model = NRIModel(config)
    assert model.encoder.mlp_pair.fc1.in_features == 6 * 5  # T·(F + 1)
    assert model.decoder.msg_fc1.in_features == 3 * 4 + 1  # x_i, x_j, x_j − x_i, distance
    x = torch.randn(4, 6, 5, 4)
    out = model(x, generator=torch.Generator().manual_seed(0))
    model.loss(out, x, beta=0.0)["nll"].backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, f"no gradient reaches {name}"


@pytest.mark.parametrize("encoder, decoder", [("gcn", "mlp"), ("mlp", "graph_rnn")])
def test_relative_pair_inputs_name_what_they_need(encoder, decoder):
    with pytest.raises(ValueError, match="pair_inputs 'relative' is implemented for the mlp"):
        tiny_config(encoder, decoder, pair_inputs="relative")


def test_detached_edges_would_cut_the_encoder_off():
    """The check above can fail: edges used without their gradient leave the encoder untrained."""
    model = NRIModel(tiny_config())
    x = torch.randn(4, 6, 5, 4)
    logits = model.encode(x)
    edges = model.sample_edges(logits).detach()
    prediction = model.decode(x, edges)
    ((prediction - x[:, 1:]) ** 2).sum().backward()
    assert all(p.grad is None for p in model.encoder.parameters())


@pytest.mark.parametrize("encoder, decoder", COMBOS)
@pytest.mark.parametrize("mode", ["argmax", "probs"])
def test_eval_is_deterministic_and_training_is_not(encoder, decoder, mode):
    model = NRIModel(tiny_config(encoder, decoder, dropout=0.5, eval_edges=mode))
    x = torch.randn(4, 6, 5, 4)
    model.eval()
    a, b = model(x), model(x)
    torch.testing.assert_close(a.prediction, b.prediction, rtol=0, atol=0)
    torch.testing.assert_close(a.edges, b.edges, rtol=0, atol=0)
    model.train()
    assert not torch.equal(model(x).prediction, model(x).prediction)


def test_eval_samples_follow_the_generator():
    model = NRIModel(tiny_config(eval_edges="sample")).eval()
    x = torch.randn(16, 6, 5, 4)
    a = model(x, generator=torch.Generator().manual_seed(3))
    b = model(x, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(a.edges, b.edges, rtol=0, atol=0)
    torch.testing.assert_close(a.prediction, b.prediction, rtol=0, atol=0)
    assert torch.all(a.edges.sum(-1) == 1)
    argmax = model(x, edge_mode="argmax")
    torch.testing.assert_close(argmax.edges.argmax(-1), argmax.logits.argmax(-1))
    torch.testing.assert_close(model(x, edge_mode="probs").edges, a.probs)
    with pytest.raises(ValueError, match="edge mode"):
        model(x, edge_mode="soft")


def test_training_samples_are_hard_or_soft_as_configured():
    x = torch.randn(4, 6, 5, 4)
    hard = NRIModel(tiny_config(hard=True)).train()(x).edges
    soft = NRIModel(tiny_config(hard=False)).train()(x).edges
    assert torch.all((hard == 0) | (hard == 1))
    assert not torch.all((soft == 0) | (soft == 1))


def test_loss_parts_add_up():
    config = tiny_config(bone_weight=0.5, n_edge_types=3, edge_prior=(0.5, 0.25, 0.25))
    model = NRIModel(config)
    x = torch.randn(4, 6, 5, 4)
    out = model(x)
    losses = model.loss(out, x, beta=0.3)
    assert set(losses) == {"nll", "kl", "bone", "total", "mse"}
    torch.testing.assert_close(
        losses["total"], losses["nll"] + 0.3 * losses["kl"] + 0.5 * losses["bone"]
    )
    assert losses["kl"] > 0 and losses["bone"] > 0
    weighted = model.loss(out, x, node_weights=torch.tensor([0.0, 0.0, 0.0, 0.0, 5.0]))
    assert not torch.allclose(weighted["nll"], losses["nll"])


def test_kl_is_zero_when_the_encoder_outputs_the_prior():
    prior = (0.4, 0.3, 0.3)
    model = NRIModel(tiny_config(n_edge_types=3, edge_prior=prior))
    with torch.no_grad():  # logits = log prior for every edge
        model.encoder.fc_out.weight.zero_()
        model.encoder.fc_out.bias.copy_(torch.tensor(prior).log())
    x = torch.randn(4, 6, 5, 4)
    assert model.loss(model(x), x)["kl"].abs() < 1e-6


def test_symmetric_pairs_share_one_variable_and_send_both_ways():
    latent = bipartite_edges([0, 1], [2, 3, 4], directed=False)
    config = tiny_config(
        latent_edges=latent, symmetric=True, known_edges=(), skip_first_edge_type=True
    )
    model = NRIModel(config).eval()
    x = torch.randn(2, 6, 5, 4)
    out = model(x)
    assert out.logits.shape == (2, 6, 2)
    edges = torch.zeros(2, 6, 2)
    edges[..., 0] = 1.0
    edges[:, latent.index((0, 2))] = torch.tensor([0.0, 1.0])  # one string between 0 and 2
    y = x.clone()
    y[:, :, 2] += 1.0  # move node 2, the receiver in the listed direction
    with torch.no_grad():
        delta = (model.decode(x, edges) - model.decode(y, edges)).abs().amax(dim=(0, 1, 3))
    assert delta[0] > 0 and torch.all(delta[[1, 3, 4]] == 0)


def test_checkpoint_round_trip_with_weights_only():
    config = tiny_config("gcn", "graph_rnn", n_edge_types=3, known_edges=((0, 1),))
    model = NRIModel(config).eval()
    buffer = io.BytesIO()
    torch.save({"config": config.to_dict(), "state_dict": model.state_dict()}, buffer)
    buffer.seek(0)
    checkpoint = torch.load(buffer, weights_only=True)
    rebuilt = NRIModel(ModelConfig.from_dict(checkpoint["config"]))
    rebuilt.load_state_dict(checkpoint["state_dict"])
    rebuilt.eval()
    assert not any(
        k.endswith(("send", "recv", "adj", "log_prior", "bones")) for k in checkpoint["state_dict"]
    )
    x = torch.randn(2, 6, 5, 4)
    torch.testing.assert_close(
        rebuilt(x, edge_mode="argmax").prediction, model(x, edge_mode="argmax").prediction
    )


@pytest.mark.parametrize("shape", [(2, 6, 4, 4), (2, 6, 5, 3), (6, 5, 4), (2, 5, 5, 4)])
def test_bad_input_shapes_raise(shape):
    with pytest.raises(ValueError, match="frames|input must be"):
        NRIModel(tiny_config())(torch.randn(shape))


@pytest.mark.gpu
@pytest.mark.parametrize("encoder, decoder", COMBOS)
def test_runs_on_cuda(encoder, decoder):
    device = torch.device("cuda")
    model = NRIModel(tiny_config(encoder, decoder, bone_weight=1.0)).to(device)
    x = torch.randn(4, 6, 5, 4, device=device)
    generator = torch.Generator(device=device).manual_seed(0)
    out = model(x, generator=generator)
    model.loss(out, x)["total"].backward()
    assert all(p.grad is not None for p in model.encoder.parameters())
    again = model(x, generator=torch.Generator(device=device).manual_seed(0))
    torch.testing.assert_close(out.edges, again.edges)


def test_decode_checks_its_input():
    model = NRIModel(tiny_config())
    with pytest.raises(ValueError, match="at least 2"):
        model.decode(torch.randn(2, 1, 5, 4), torch.zeros(2, 20, 2))
    with pytest.raises(ValueError, match="input must be"):
        model.decode(torch.randn(2, 6, 4, 4), torch.zeros(2, 20, 2))


@pytest.mark.parametrize("directed", [True, False])
def test_paper_duet_model_trains_end_to_end(directed):
    """The duet paper's best setting, shrunk: 3 joints per dancer, 4 edge types with the paper's
    prior, GCN encoder and graph-recurrent decoder, bone loss on."""
    selection = select_joints("smpl29", "pelvis,left_wrist,right_wrist")  # the duet graph
    latent = tuple(map(tuple, inter_dancer_edges(selection, directed=directed).tolist()))
    known = tuple(map(tuple, known_edges(selection).tolist()))
    config = ModelConfig(
        n_nodes=6,
        n_features=6,
        n_input_frames=8,
        latent_edges=latent,
        known_edges=known,
        encoder="gcn",
        decoder="graph_rnn",
        n_hidden=16,
        n_edge_types=4,
        edge_prior=(0.35, 0.25, 0.15, 0.25),
        skip_first_edge_type=True,
        symmetric=not directed,
        dropout=0.1,
        n_pred_steps=4,
        bone_weight=1.0,
    )
    assert config.n_latent_edges == (18 if directed else 9) and known == (
        (0, 1),
        (0, 2),
        (3, 4),
        (3, 5),
    )
    model = NRIModel(config)
    x = torch.randn(4, 8, 6, 6)
    out = model(x)
    assert out.edges.shape == (4, config.n_latent_edges, 4)
    losses = model.loss(out, x)
    assert {"nll", "kl", "bone", "total"} <= set(losses)
    losses["nll"].backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.encoder.parameters())


@pytest.mark.parametrize("encoder, decoder", [("gcn", "graph_rnn"), ("mlp", "rnn"), ("gcn", "mlp")])
@pytest.mark.parametrize("symmetric", [False, True])
def test_dense_duet_edges_change_nothing(encoder, decoder, symmetric):
    """The DancerPairs path (broadcasts, no index lists) equals the indexed gather and scatter."""
    latent = bipartite_edges(range(3), range(3, 6), directed=not symmetric)
    config = ModelConfig(
        n_nodes=6, n_features=6, n_input_frames=5, latent_edges=latent,
        known_edges=((1, 0), (2, 0), (4, 3), (5, 3)), encoder=encoder, decoder=decoder,
        n_hidden=16, n_pred_steps=2, symmetric=symmetric, skip_first_edge_type=True,
    )  # fmt: skip
    torch.manual_seed(0)
    model = NRIModel(config)
    assert model.pairs is not None and model.pairs.n == 3
    x = torch.randn(4, 5, 6, 6)
    runs = []
    for pairs in (model.pairs, None):
        model.pairs = pairs
        model.zero_grad()
        out = model(x, generator=torch.Generator().manual_seed(1))
        model.loss(out, x)["total"].backward()
        grads = [p.grad.clone() for p in model.parameters() if p.grad is not None]
        runs.append((out.logits, out.prediction, grads))
    (logits, prediction, grads), (logits0, prediction0, grads0) = runs
    torch.testing.assert_close(logits, logits0)
    torch.testing.assert_close(prediction, prediction0)
    assert len(grads) == len(grads0)
    for g, g0 in zip(grads, grads0, strict=True):
        torch.testing.assert_close(g, g0)


def test_train_decoder_frames_shortens_training_only():
    model = NRIModel(tiny_config("mlp", "rnn", train_decoder_frames=3))
    x = torch.randn(4, 6, 5, 4)
    out = model(x)
    assert out.logits.shape == (4, 20, 2)  # the encoder saw all six frames
    assert out.prediction.shape == (4, 2, 5, 4)  # frames 1 and 2 only
    torch.testing.assert_close(
        model.loss(out, x)["mse"], ((out.prediction - x[:, 1:3]) ** 2).mean()
    )
    model.eval()
    assert model(x).prediction.shape == (4, 5, 5, 4)
    with pytest.raises(ValueError, match="train_decoder_frames"):
        tiny_config(train_decoder_frames=1)
