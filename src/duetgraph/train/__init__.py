"""duetgraph.train: training loop, checkpoints, metrics and evaluation (see DESIGN.md §1, §7).

- `config`: `TrainConfig`, the TOML run config ([data], [model], [train]), presets, CLI flags.
- `loop`: `fit` — Adam, step learning-rate decay, β annealing, validation, best/last checkpoints,
  `metrics.csv`, time limit, exact resume.
- `checkpoint`: plain, checksummed, atomically written checkpoints (`weights_only=True`).
- `run`: the run folder and its no-clobber rule.
- `metrics`: edge accuracy (raw and permutation-best), AUROC, per-step MSE, baselines.
- `evaluate`: a trained run on held-out data (`evaluate_physics_run`).
- `physics`: the NRI physics simulations as a training source (`train_physics`).
"""
