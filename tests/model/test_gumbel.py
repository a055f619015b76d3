import torch

from duetgraph.model import gumbel_softmax


def test_hard_samples_are_exactly_one_hot_and_pass_gradients():
    logits = torch.randn(64, 10, 4, requires_grad=True)
    y = gumbel_softmax(logits, tau=0.5, hard=True, generator=torch.Generator().manual_seed(0))
    assert torch.all((y == 0) | (y == 1))
    assert torch.all(y.sum(-1) == 1)
    (y * torch.randn(4)).sum().backward()
    assert logits.grad is not None and logits.grad.abs().sum() > 0


def test_soft_samples_are_distributions():
    logits = torch.randn(32, 3)
    y = gumbel_softmax(logits, tau=1.0, hard=False, generator=torch.Generator().manual_seed(1))
    assert torch.all(y > 0)
    torch.testing.assert_close(y.sum(-1), torch.ones(32))
    assert not torch.all((y == 0) | (y == 1))


def test_same_seed_same_sample_different_seed_different_sample():
    logits = torch.randn(16, 20, 3)

    def draw(seed, hard):
        return gumbel_softmax(logits, 0.5, hard, generator=torch.Generator().manual_seed(seed))

    for hard in (True, False):
        torch.testing.assert_close(draw(7, hard), draw(7, hard), rtol=0, atol=0)
        assert not torch.equal(draw(7, hard), draw(8, hard))


def test_hard_sample_frequencies_follow_softmax():
    logits = torch.tensor([1.0, 0.0, -1.0]).expand(20000, 3)
    y = gumbel_softmax(logits, tau=0.5, hard=True, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(y.mean(0), torch.softmax(logits[0], -1), atol=0.015, rtol=0)
