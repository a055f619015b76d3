"""Where charged-5 edge accuracy is lost: the encoder alone, and the pairs a trained run gets wrong.

Two figures, for whoever pushes charged-5 towards NRI's 82.1 %:

1. `--supervised-minutes M`: the MLP encoder (relative pair inputs, hidden 64, batch 32) trained
   with the true edge labels (cross-entropy, no decoder) for M CPU-minutes on one thread; its
   validation accuracy against CPU time is the ceiling the unsupervised ELBO is not reaching.
2. `--run RUN`: a trained charged-5 run's validation accuracy split by how close each pair of
   balls comes during the 49 frames (quintiles of the closest approach), and by whether that
   approach falls in the frames the decoder was trained on (`train_decoder_frames`).

    python bench/bench_charged_diagnosis.py --data-dir data/nri --supervised-minutes 5
    python bench/bench_charged_diagnosis.py --data-dir data/nri --run runs/bench_charged5

The data are NRI-layout charged5 arrays (`duetgraph simulate charged --out DIR`).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F

from duetgraph.data.physics import PhysicsNormalisation, load_physics_split
from duetgraph.model.encoders import MLPEncoder
from duetgraph.model.graph import edge_index, fully_connected_edges
from duetgraph.sim.nri_format import load_nri_split
from duetgraph.train.evaluate import load_trained_model

CLOSE = 0.6  # a pair "meets" when the balls come this close (box half-width 5)


def supervised(data_dir: str, minutes: float, valid_sims: int) -> list[tuple[float, float]]:
    """(CPU minutes, validation accuracy) of the encoder trained on the true labels."""
    torch.set_num_threads(1)
    torch.manual_seed(0)
    train, stats = load_physics_split(data_dir, "charged5", "train")
    valid, _ = load_physics_split(data_dir, "charged5", "valid", stats, valid_sims)
    edges = fully_connected_edges(5)
    send, recv = edge_index(edges)
    x_train, y_train = train.features, train.edge_labels(edges)
    x_valid, y_valid = valid.features, valid.edge_labels(edges)
    _, T, _, n_features = x_train.shape
    encoder = MLPEncoder(T * n_features, 64, 2, relative_dims=2, n_frames=T)
    optimizer = torch.optim.Adam(encoder.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(0)
    curve: list[tuple[float, float]] = []
    start, next_report = time.process_time(), 0.5
    while (spent := (time.process_time() - start) / 60) < minutes:
        idx = torch.randint(0, len(x_train), (32,), generator=generator)
        logits = encoder(x_train[idx], send, recv)
        loss = F.cross_entropy(logits.reshape(-1, 2), y_train[idx].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if spent >= next_report:
            encoder.eval()
            with torch.no_grad():
                pred = encoder(x_valid, send, recv).argmax(-1)
            encoder.train()
            curve.append((spent, (pred == y_valid).float().mean().item()))
            print(
                f"supervised encoder: {spent:5.1f} CPU-min, validation accuracy {curve[-1][1]:.4f}"
            )
            next_report += 1.0
    return curve


def by_closest_approach(data_dir: str, run: str, valid_sims: int) -> dict[str, float]:
    """Validation accuracy of a run's best.pt by the pair's closest approach."""
    model, checkpoint = load_trained_model(run)
    config = model.config
    stats = PhysicsNormalisation.from_dict(checkpoint["data"]["normalisation"])
    valid, _ = load_physics_split(data_dir, "charged5", "valid", stats, valid_sims)
    edges = config.latent_edges
    with torch.no_grad():
        correct = (model.encode(valid.features).argmax(-1) == valid.edge_labels(edges)).numpy()
    loc = load_nri_split(data_dir, "charged5", "valid")[0][:valid_sims]  # (S, T, 2, n)
    send = np.array([s for s, _ in edges])
    recv = np.array([r for _, r in edges])
    dist = np.sqrt(((loc[:, :, :, send] - loc[:, :, :, recv]) ** 2).sum(axis=2))  # (S, T, E)
    closest = dist.min(axis=1)
    out = {"overall": float(correct.mean())}
    edges_q = np.quantile(closest, np.linspace(0, 1, 6))
    for lo, hi in zip(edges_q[:-1], edges_q[1:], strict=True):
        mask = (closest >= lo) & (closest <= hi)
        out[f"closest {lo:.2f}-{hi:.2f}"] = float(correct[mask].mean())
    frames = config.train_decoder_frames or dist.shape[1]
    early = dist[:, :frames].min(axis=1) < CLOSE
    late = dist[:, frames:].min(axis=1) < CLOSE if frames < dist.shape[1] else np.zeros_like(early)
    out[f"meet within the first {frames} frames ({early.mean():.1%} of pairs)"] = float(
        correct[early].mean()
    )
    only_late = late & ~early
    if only_late.any():
        out[f"meet only after frame {frames} ({only_late.mean():.1%})"] = float(
            correct[only_late].mean()
        )
    never = ~early & ~late
    out[f"never meet ({never.mean():.1%})"] = float(correct[never].mean())
    for name, value in out.items():
        print(f"{run}: {name}: accuracy {value:.3f}")
    return out


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--data-dir", required=True, help="NRI-layout charged5 data")
    p.add_argument("--supervised-minutes", type=float, default=0.0, help="CPU minutes (0: skip)")
    p.add_argument("--run", default="", help="a trained charged5 run folder")
    p.add_argument("--valid-sims", type=int, default=2_000)
    args = p.parse_args()
    if args.supervised_minutes > 0:
        supervised(args.data_dir, args.supervised_minutes, args.valid_sims)
    if args.run:
        by_closest_approach(args.data_dir, args.run, args.valid_sims)


if __name__ == "__main__":
    main()
