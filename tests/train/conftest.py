"""Small springs data and tiny configs shared by the training tests."""

import numpy as np
import pytest
import torch

from duetgraph.data.physics import PhysicsNormalisation, physics_features
from duetgraph.model.graph import fully_connected_edges
from duetgraph.sim.springs import SpringsConfig, simulate_springs
from duetgraph.train.config import RunConfig, TrainConfig
from duetgraph.train.loop import Samples
from duetgraph.train.physics import physics_model_config

N_BALLS = 3


def springs_samples(n_sims: int, n_steps: int = 1200, seed: int = 0, stats=None):
    """(Samples, stats): springs with 3 balls, n_steps / 100 - 1 frames."""
    traj = simulate_springs(
        n_sims, np.random.default_rng(seed), SpringsConfig(n_balls=N_BALLS, n_steps=n_steps)
    )
    stats = stats or PhysicsNormalisation.from_train(traj.positions, traj.velocities)
    feats = torch.from_numpy(physics_features(traj.positions, traj.velocities, stats))
    edges = fully_connected_edges(N_BALLS)
    labels = torch.tensor([[e[r, s] for s, r in edges] for e in traj.edges])
    return Samples(feats, labels), stats


def _tiny_run_config(**train) -> RunConfig:
    model = {"n_hidden": 16, "n_pred_steps": 3, "dropout": 0.1}
    defaults = {"epochs": 2, "batch_size": 16, "lr": 1e-3, "seed": 3, "threads": 1}
    return RunConfig(model=model, train=TrainConfig(**{**defaults, **train}))


@pytest.fixture
def tiny_run_config():
    """Factory: a RunConfig of a 16-wide model with dropout; keyword arguments set [train]."""
    return _tiny_run_config


@pytest.fixture(scope="session")
def springs_train_valid():
    train, stats = springs_samples(40, seed=0)
    valid, _ = springs_samples(16, seed=1, stats=stats)
    return train, valid, stats


@pytest.fixture
def model_config_for():
    """Factory: the physics ModelConfig of a run config and samples."""

    def make(run_config, samples):
        return physics_model_config(
            run_config, samples.features.shape[2], samples.features.shape[1]
        )

    return make
