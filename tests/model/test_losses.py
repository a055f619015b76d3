import math

import pytest
import torch
from torch.distributions import Categorical, kl_divergence

from duetgraph.model import (
    ModelConfig,
    bone_length_loss,
    cauchy_nll,
    gaussian_nll,
    kl_categorical,
    kl_uniform,
    laplace_nll,
    node_weights_from_parts,
)
from duetgraph.model.config import LIKELIHOODS
from duetgraph.model.losses import LIKELIHOOD_NLL

from .helpers import tiny_config, twin_models_and_output


def test_kl_is_zero_at_the_prior_and_positive_elsewhere():
    prior = torch.tensor([0.4, 0.3, 0.3])
    at_prior = prior.expand(4, 6, 3)
    assert kl_categorical(at_prior, prior.log()).abs() < 1e-6
    assert kl_uniform(torch.full((4, 6, 3), 1 / 3)).abs() < 1e-6
    probs = torch.softmax(torch.randn(4, 6, 3), -1)
    assert kl_categorical(probs, prior.log()) > 0
    assert kl_uniform(probs) > 0


def test_kl_matches_torch_distributions_per_edge():
    probs = torch.softmax(torch.randn(4, 6, 3), -1)
    prior = torch.tensor([0.5, 0.25, 0.25])
    expected = kl_divergence(Categorical(probs=probs), Categorical(probs=prior)).mean()
    torch.testing.assert_close(kl_categorical(probs, prior.log()), expected)
    torch.testing.assert_close(kl_categorical(probs, prior.log(), log_probs=probs.log()), expected)
    expected_uniform = (probs * probs.log()).sum(-1).mean() + math.log(3)
    torch.testing.assert_close(kl_uniform(probs), expected_uniform)


def test_gaussian_nll_reduction_and_node_weights():
    target = torch.zeros(2, 3, 4, 5)  # (B, T, N, F)
    pred = torch.zeros_like(target)
    pred[:, :, 1] = 1.0  # node 1 is off by 1 in every frame and feature
    variance = 0.5
    # per node: sum over T·F = 15 elements of 1 / (2·0.5) → 15 for node 1, 0 for the others; mean over B, N
    torch.testing.assert_close(gaussian_nll(pred, target, variance), torch.tensor(15.0 / 4))
    weights = torch.tensor([1.0, 0.0, 1.0, 1.0])
    assert gaussian_nll(pred, target, variance, weights) == 0
    torch.testing.assert_close(
        gaussian_nll(pred, target, variance, torch.tensor([0.0, 2.0, 0.0, 0.0])),
        torch.tensor(30.0 / 4),
    )


def test_bone_length_loss_ignores_rigid_motion_and_sees_stretching():
    bones = torch.tensor([[1, 0], [2, 1]])
    target = torch.randn(2, 5, 3, 3)
    assert bone_length_loss(target, target, bones) == 0
    moved = target + torch.tensor([0.3, -1.0, 2.0])
    assert bone_length_loss(moved, target, bones) < 1e-10
    assert torch.nn.functional.mse_loss(moved, target) > 0
    target = torch.zeros(1, 1, 3, 3)
    target[..., 1, 0], target[..., 2, 0] = 1.0, 2.0  # two bones of length 1 along x
    stretched = target.clone()
    stretched[..., 2, 0] = 2.5  # second bone 1.5 long
    torch.testing.assert_close(bone_length_loss(stretched, target, bones), torch.tensor(0.125))


def test_node_weights_from_parts():
    w = node_weights_from_parts(["torso", "left_arm", "left_arm", "head"], {"left_arm": 3.0})
    torch.testing.assert_close(w.mean(), torch.tensor(1.0))
    assert w[1] == w[2] == 3 * w[0] and w[3] == w[0]
    with pytest.raises(ValueError):
        node_weights_from_parts(["head"], {"head": -1.0})


def test_laplace_nll_counts_errors_by_size():
    target = torch.zeros(2, 3, 4, 5)  # (B, T, N, F)
    pred = torch.zeros_like(target)
    pred[:, :, 1] = 2.0  # node 1 is off by 2 in every frame and feature
    variance = 0.5  # b = sqrt(0.5 / 2) = 0.5
    # per node: 15 elements of |2| / 0.5 → 60 for node 1; mean over B and N
    torch.testing.assert_close(laplace_nll(pred, target, variance), torch.tensor(60.0 / 4))
    torch.testing.assert_close(
        laplace_nll(pred, target, variance, torch.tensor([0.0, 2.0, 0.0, 0.0])),
        torch.tensor(120.0 / 4),
    )
    # Doubling an error doubles its Laplace term but quadruples its Gaussian one.
    big = pred * 2
    assert laplace_nll(big, target, variance) == 2 * laplace_nll(pred, target, variance)
    assert gaussian_nll(big, target, variance) == 4 * gaussian_nll(pred, target, variance)


def test_cauchy_nll_counts_errors_by_their_logarithm():
    target = torch.zeros(2, 3, 4, 5)  # (B, T, N, F)
    pred = torch.zeros_like(target)
    pred[:, :, 1] = 3.0  # node 1 is off by 3 = 3γ in every frame and feature
    variance = 1.0
    # per node: 15 elements of log(1 + 9) for node 1; mean over B and N
    expected = torch.tensor(15 * math.log(10.0) / 4)
    torch.testing.assert_close(cauchy_nll(pred, target, variance), expected)
    torch.testing.assert_close(
        cauchy_nll(pred, target, variance, torch.tensor([0.0, 2.0, 0.0, 0.0])), 2 * expected
    )
    # Far beyond γ, halving an error gains about the same whatever its size.
    gains = [
        cauchy_nll(pred * s, target, variance) - cauchy_nll(pred * s / 2, target, variance)
        for s in (100.0, 1000.0)
    ]
    torch.testing.assert_close(gains[0], gains[1], rtol=1e-3, atol=0)
    assert gains[0] == pytest.approx(15 * math.log(4.0) / 4, rel=1e-3)


@pytest.mark.parametrize("name,nll", [("laplace", laplace_nll), ("cauchy", cauchy_nll)])
def test_the_model_loss_uses_the_configured_likelihood(name, nll):
    gaussian, other, x, out = twin_models_and_output(likelihood=name)
    target, variance = x[:, 1:], gaussian.config.output_variance
    torch.testing.assert_close(other.loss(out, x)["nll"], nll(out.prediction, target, variance))
    torch.testing.assert_close(
        gaussian.loss(out, x)["nll"], gaussian_nll(out.prediction, target, variance)
    )
    stored = {k: v for k, v in tiny_config().to_dict().items() if k != "likelihood"}
    assert ModelConfig.from_dict(stored).likelihood == "gaussian"  # older checkpoints


def test_every_configurable_likelihood_has_a_loss():
    assert set(LIKELIHOODS) == set(LIKELIHOOD_NLL)
