"""Full-body duet model: training time per window against the batch size.

    python bench/bench_duet_batch.py                      # batches 16, 32, 64, 256; 1 thread
    python bench/bench_duet_batch.py --batches 32,256 --threads 2

On the full 29 + 29 body (1 682 inter-dancer edges) each message tensor of a batch of 256
windows holds 256 x 1 682 x 64 floats (110 MB), and the per-edge operations stream it from memory;
a smaller batch keeps a step's tensors in the cache. Baseline, in the same run: batch 256, the
duet default. Random inputs of the real shape (B, 8, 58, 6); the median over steps after the first.
"""

from __future__ import annotations

import argparse
import platform
import time
from datetime import date

import numpy as np
import torch

from duetgraph.data.joints import select_joints
from duetgraph.model.nri import NRIModel
from duetgraph.train.duet import duet_model_config, duet_run_config


def seconds_per_step(model: NRIModel, batch: int, windows: int) -> float:
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(batch, 8, model.config.n_nodes, 6)
    times = []
    for _ in range(max(3, windows // batch)):
        t0 = time.perf_counter()
        loss = model.loss(model(x), x)["total"]
        opt.zero_grad()
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - t0)
    return float(np.median(times[1:]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", default="16,32,64,256", help="comma list of batch sizes")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--windows", type=int, default=512, help="windows timed per batch size")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"# bench_duet_batch  {date.today()}  {platform.machine()}, {args.threads} thread(s), "
          f"torch {torch.__version__}")  # fmt: skip
    selection = select_joints("smpl29", "all")
    model = NRIModel(duet_model_config(duet_run_config(data__joints="all"), selection, 0.1))
    base = seconds_per_step(model, 256, args.windows) / 256
    for batch in (int(b) for b in args.batches.split(",")):
        per = seconds_per_step(model, batch, args.windows) / batch
        print(f"batch {batch:4d}: {1000 * per:6.1f} ms per window, "
              f"{base / per:.2f}x batch 256 ({1000 * base:.1f} ms)")  # fmt: skip
    print(f"reproduce: python bench/bench_duet_batch.py --batches {args.batches} "
          f"--threads {args.threads} --windows {args.windows}")  # fmt: skip


if __name__ == "__main__":
    main()
