"""The graph-recurrent decoder's message read-out: hand-written backward against autograd's.

    python bench/bench_message_readout.py                 # paper setting, K = 4 and K = 2
    python bench/bench_message_readout.py --threads 1 --rounds 8

Per decoder step the typed messages (K' sending types × batch × edges × H floats) go through
LayerNorm, ELU and the sum over types weighted by the sampled edges. `norm_elu_weighted_sum`
does this with an in-place ELU and a backward that needs only the input, the LayerNorm
statistics and the ELU output; the baseline, timed in the same run, is autograd's composition of
the same operations (`GraphRNNDecoder.fused_readout = False`). Both time whole training steps
(forward, loss, backward, Adam) of the paper's 6-joint model, H = 64, batch 256, on random
windows of the real shape; rounds alternate between the two so that a busy machine slows both.
"""

from __future__ import annotations

import argparse
import platform
import time
from datetime import date

import numpy as np
import torch
from bench_train_duet import PAPER_MODEL, PAPER_TYPES  # same folder

from duetgraph.data.joints import select_joints
from duetgraph.model.nri import NRIModel
from duetgraph.train.duet import PAPER_JOINTS, duet_model_config, duet_run_config


def step_times(n_types: int, batch: int, rounds: int, steps: int) -> dict[str, list[float]]:
    """Milliseconds per training step, per round, with the fused and the composed read-out."""
    overrides = PAPER_TYPES if n_types == 4 else PAPER_MODEL
    selection = select_joints("smpl29", PAPER_JOINTS)
    model = NRIModel(duet_model_config(duet_run_config(**overrides), selection, 0.1))
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(batch, 8, model.config.n_nodes, 6)

    def step() -> None:
        loss = model.loss(model(x), x)["total"]
        opt.zero_grad()
        loss.backward()
        opt.step()

    times: dict[str, list[float]] = {"fused": [], "autograd": []}
    for name in times:  # warm-up
        model.decoder.fused_readout = name == "fused"
        step()
    for _ in range(rounds):
        for name in times:
            model.decoder.fused_readout = name == "fused"
            t0 = time.perf_counter()
            for _ in range(steps):
                step()
            times[name].append(1000 * (time.perf_counter() - t0) / steps)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--steps", type=int, default=10, help="training steps per round")
    parser.add_argument("--types", default="4,2", help="comma list of K (edge types) to time")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"# bench_message_readout  {date.today()}  {platform.machine()}, {args.threads} "
          f"thread(s), torch {torch.__version__}, batch {args.batch}")  # fmt: skip
    for n_types in (int(k) for k in args.types.split(",")):
        t = step_times(n_types, args.batch, args.rounds, args.steps)
        fused, base = np.median(t["fused"]), np.median(t["autograd"])
        print(f"K = {n_types}: training step {fused:.1f} ms (min {min(t['fused']):.1f}) against "
              f"autograd's read-out {base:.1f} ms (min {min(t['autograd']):.1f}): "
              f"{base / fused:.2f}x ({100 * (fused / base - 1):+.0f} % time)")  # fmt: skip
    print(f"reproduce: python bench/bench_message_readout.py --threads {args.threads} "
          f"--batch {args.batch} --rounds {args.rounds} --steps {args.steps} "
          f"--types {args.types}")  # fmt: skip


if __name__ == "__main__":
    main()
