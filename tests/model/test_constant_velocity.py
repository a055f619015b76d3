import torch

from duetgraph.model.config import ModelConfig
from duetgraph.model.decoders import constant_velocity
from duetgraph.model.graph import fully_connected_edges
from duetgraph.model.nri import NRIModel


def test_constant_velocity_moves_positions_and_holds_velocities():
    x = torch.tensor([[1.0, 2.0, 0.5, -1.0]])  # (x, y, vx, vy)
    torch.testing.assert_close(constant_velocity(x, 2.0, 2), torch.tensor([[1.0, -2.0, 0, 0]]))
    assert constant_velocity(x, 0.0, 2).abs().sum() == 0


def test_a_decoder_with_zero_output_layer_predicts_constant_velocity():
    for decoder in ("mlp", "rnn", "graph_rnn"):
        cfg = ModelConfig(n_nodes=3, n_features=4, n_input_frames=5,
                          latent_edges=fully_connected_edges(3), known_edges=((0, 1),),
                          decoder=decoder, n_hidden=8, velocity_ratio=0.5)  # fmt: skip
        model = NRIModel(cfg).eval()
        out = model.decoder.out_fc3 if decoder != "graph_rnn" else model.decoder.out_fc
        torch.nn.init.zeros_(out.weight)
        torch.nn.init.zeros_(out.bias)
        t = torch.arange(5.0).view(1, 5, 1, 1)
        x = torch.cat([0.5 * t, -t, torch.ones(1, 5, 1, 1), -2 * torch.ones(1, 5, 1, 1)], -1)
        x = x.expand(2, 5, 3, 4)  # straight lines: position += 0.5 * velocity each frame
        with torch.no_grad():
            pred = model(x, edge_mode="argmax", n_pred_steps=4).prediction
        torch.testing.assert_close(pred, x[:, 1:])
