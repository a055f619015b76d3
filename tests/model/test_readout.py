"""The decoders' read-out: residual (x + constant-velocity step + Δ) or kinematic (Δv, then move)."""

import pytest
import torch

from duetgraph.model.config import DECODERS, ModelConfig
from duetgraph.model.decoders import next_frame
from duetgraph.model.nri import NRIModel

RATIO = 0.05  # position change per frame per unit of velocity feature


def _frames(n_frames=6, n_nodes=3, seed=0):
    """(1, T, N, 6) features of a constant-acceleration motion with backward-difference velocity."""
    g = torch.Generator().manual_seed(seed)
    p0, v0, a = (torch.randn(n_nodes, 3, generator=g) for _ in range(3))
    t = torch.arange(-1, n_frames, dtype=torch.float32)[:, None, None]
    pos = p0 + RATIO * (v0 * t + 0.5 * a * t * t)  # (T+1, N, 3)
    vel = (pos[1:] - pos[:-1]) / RATIO  # backward difference, in velocity-feature units
    return torch.cat([pos[1:], vel], dim=-1)[None], a


def test_kinematic_with_zero_output_is_constant_velocity():
    x, _ = _frames()
    nxt = next_frame(x, torch.zeros_like(x), RATIO, 3, "kinematic")
    torch.testing.assert_close(nxt[..., :3], x[..., :3] + RATIO * x[..., 3:])
    torch.testing.assert_close(nxt[..., 3:], x[..., 3:])


def test_kinematic_with_the_true_velocity_change_gives_the_next_frame_exactly():
    x, a = _frames()
    dv = torch.zeros_like(x[:, :-1])
    dv[..., 3:] = x[:, 1:, :, 3:] - x[:, :-1, :, 3:]  # what the decoder should output
    dv[..., :3] = 123.0  # position slots of the output are not used
    torch.testing.assert_close(next_frame(x[:, :-1], dv, RATIO, 3, "kinematic"), x[:, 1:])


def test_residual_adds_the_output_to_the_constant_velocity_step():
    x, _ = _frames()
    out = torch.randn_like(x)
    expected = x + out
    expected[..., :3] += RATIO * x[..., 3:]
    torch.testing.assert_close(next_frame(x, out, RATIO, 3, "residual"), expected)


@pytest.mark.parametrize("decoder", sorted(DECODERS))
def test_every_decoder_predicts_consistent_frames_with_the_kinematic_readout(decoder):
    """p' − p = ratio · v' for every predicted frame: the prediction is one motion."""
    config = ModelConfig(
        n_nodes=4,
        n_features=6,
        n_input_frames=6,
        latent_edges=((0, 2), (1, 3), (2, 0), (3, 1)),
        known_edges=((0, 1), (2, 3)),
        encoder="gcn",
        decoder=decoder,
        n_hidden=16,
        n_dims=3,
        velocity_ratio=RATIO,
        readout="kinematic",
        n_pred_steps=3,
    )
    torch.manual_seed(0)
    model = NRIModel(config)
    x = torch.randn(2, 6, 4, 6)
    pred = model(x).prediction  # (B, T-1, N, F)
    inputs = torch.cat([x[:, :1], pred[:, :-1]], dim=1)
    fed = inputs.clone()
    fed[:, ::3] = x[:, :-1][:, ::3]  # frames 0 and 3 come from the ground truth
    torch.testing.assert_close(pred[..., :3] - fed[..., :3], RATIO * pred[..., 3:])


def test_kinematic_readout_needs_a_velocity_ratio():
    with pytest.raises(ValueError, match="velocity_ratio > 0"):
        ModelConfig(n_nodes=2, n_features=6, n_input_frames=2, latent_edges=((0, 1),),
                    readout="kinematic")  # fmt: skip


def test_configs_saved_before_the_readout_existed_load_as_residual():
    config = ModelConfig(n_nodes=2, n_features=6, n_input_frames=2, latent_edges=((0, 1),))
    stored = config.to_dict()
    del stored["readout"]
    assert ModelConfig.from_dict(stored).readout == "residual"
