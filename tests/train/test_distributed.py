"""Data-parallel training: the pieces in one process, and two gloo processes under torchrun
against one process with the same global batch."""

import copy
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from duetgraph.cli import main
from duetgraph.model.nri import NRIModel
from duetgraph.sim.duet import DuetSimConfig, simulate_duet
from duetgraph.train.checkpoint import load_checkpoint
from duetgraph.train.config import apply_overrides
from duetgraph.train.distributed import (
    DistContext,
    GlobalBatchNorm,
    ShardDropout,
    ShardPlan,
    ShardStep,
    convert_for_sharding,
    probe_dropout_sites,
    shard_forward,
)

# Two processes against one: float rounding only (measured ~1e-6 after 2 epochs of 16 steps).
TOLERANCE = 1e-5


@pytest.mark.parametrize("world", [1, 2, 3, 8])
def test_shards_cover_every_row_of_a_batch_once(world):
    for n in (world, world + 1, 17, 256):
        rows = []
        for rank in range(world):
            lo, hi = DistContext(rank, world).shard(n)
            assert hi - lo in (n // world, n // world + 1)
            rows += range(lo, hi)
        assert rows == list(range(n))


def _model(springs_train_valid, tiny_run_config, model_config_for, **model):
    train, _, _ = springs_train_valid
    rc = apply_overrides(tiny_run_config(), {("model", k): v for k, v in model.items()})
    torch.manual_seed(0)
    return NRIModel(model_config_for(rc, train)), train.features[:12]


def test_shard_forward_gives_each_sample_its_one_process_gumbel_noise(
    springs_train_valid, tiny_run_config, model_config_for
):
    model, x = _model(springs_train_valid, tiny_run_config, model_config_for, eval_edges="sample")
    model.eval()  # batch norm on running statistics: rows do not interact
    with torch.no_grad():
        full = model(x, generator=torch.Generator().manual_seed(4))
        for lo, hi in ((0, 5), (5, 12)):
            part = shard_forward(model, x[lo:hi], lo, len(x), torch.Generator().manual_seed(4))
            assert torch.equal(part.edges, full.edges[lo:hi])
            torch.testing.assert_close(part.prediction, full.prediction[lo:hi])


@pytest.mark.parametrize(
    ("encoder", "decoder"), [("mlp", "mlp"), ("gcn", "rnn"), ("gcn", "graph_rnn")]
)
def test_shard_dropout_keeps_its_slice_of_the_global_batchs_mask(
    springs_train_valid, tiny_run_config, model_config_for, encoder, decoder
):
    model, x = _model(
        springs_train_valid,
        tiny_run_config,
        model_config_for,
        encoder=encoder,
        decoder=decoder,
        dropout=0.3,
    )
    plan = ShardPlan(probe_dropout_sites(model, x))
    assert plan.sites and None not in plan.sites
    sharded = convert_for_sharding(copy.deepcopy(model), plan)
    assert any(isinstance(m, ShardDropout) for m in sharded.modules())
    assert any(isinstance(m, GlobalBatchNorm) for m in sharded.modules())
    assert sharded.state_dict().keys() == model.state_dict().keys()
    for m in (model, sharded):
        m.train()
        for bn in m.modules():  # running statistics, so that rows do not interact
            if isinstance(bn, torch.nn.BatchNorm1d):
                bn.eval()
    with torch.no_grad():
        torch.manual_seed(9)
        full = model(x, generator=torch.Generator().manual_seed(4))
        step = ShardStep(sharded, plan)
        for lo, hi in ((0, 7), (7, 12)):
            torch.manual_seed(9)  # every rank's global generator is seeded alike
            part = step(x[lo:hi], lo, len(x), torch.Generator().manual_seed(4))
            torch.testing.assert_close(part.prediction, full.prediction[lo:hi])
            torch.testing.assert_close(part.logits, full.logits[lo:hi])
        # ... and a different mask would show: the check can fail.
        torch.manual_seed(10)
        other = step(x[:7], 0, len(x), torch.Generator().manual_seed(4))
        assert not torch.allclose(other.prediction, full.prediction[:7])


# The worker runs three CLI trainings inside one torchrun launch (one process group for all):
# 2 epochs; 1 epoch; the same run resumed to 2 epochs.
WORKER = textwrap.dedent(
    """
    import sys
    import torch
    from duetgraph.cli import main
    from duetgraph.train.distributed import init_distributed, shutdown

    torch.set_num_threads(1)
    ctx = init_distributed("cpu")
    out, common = sys.argv[1], sys.argv[2:]
    assert main([*common, "-o", out + "/ddp", "--epochs", "2"]) == 0
    assert main([*common, "-o", out + "/part", "--epochs", "1"]) == 0
    assert main([*common, "-o", out + "/part", "--epochs", "2", "--resume"]) == 0
    shutdown(ctx)
    print(f"rank {ctx.rank} left the group", flush=True)
    """
)
# Seen in 2 of 14 launches on a loaded 2-core machine: a rank aborted (std::terminate from a C++
# thread) after the last training's final epoch; the cause is not found. When both ranks have left
# the group first and every check of the written runs passes, the test is marked xfail; any other
# failure of the launch fails it.
EXIT_ABORT = "terminate called without an active exception"


@pytest.fixture(scope="module")
def two_duets(tmp_path_factory):
    folder = tmp_path_factory.mktemp("duets")
    for i, name in enumerate("ab"):
        duet, _ = simulate_duet(DuetSimConfig(duration_s=30, fps=10), np.random.default_rng(i))
        duet.save(folder / f"{name}.npz")
    return folder


def _states(run):
    return load_checkpoint(run / "last.pt")


def test_two_gloo_processes_match_one_process_and_resume(two_duets, tmp_path):
    # Dropout, batch norm (GCN encoder) and Gumbel noise all in play; 992 windows, batch 64.
    common = ["train", str(two_duets), "--hidden", "16", "--rotations", "2", "--threads", "1"]
    common += ["--dropout", "0.1", "--batch-size", "64", "--no-progress"]
    assert main([*common, "-o", str(tmp_path / "one"), "--epochs", "2"]) == 0

    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2"]
    done = subprocess.run(
        [*cmd, str(script), str(tmp_path), *common],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    left = all(f"rank {r} left the group" in done.stdout for r in (0, 1))
    aborted_at_exit = done.returncode != 0 and left and EXIT_ABORT in done.stderr
    assert done.returncode == 0 or aborted_at_exit, done.stderr[-3000:]
    assert done.stdout.count("ddp: 2 epochs (completed)") == 1  # rank 0 alone prints

    one, ddp, resumed = (_states(tmp_path / n) for n in ("one", "ddp", "part"))
    assert ddp["epoch"] == resumed["epoch"] == 2
    for key, value in one["model_state"].items():
        torch.testing.assert_close(ddp["model_state"][key], value, atol=TOLERANCE, rtol=0)
        # A resumed two-process run continues exactly where it stopped.
        assert torch.equal(resumed["model_state"][key], ddp["model_state"][key]), key
    for a, b in zip(one["history"], ddp["history"], strict=True):
        assert b["samples"] == a["samples"]
        for k in ("train_nll", "train_kl", "valid_nll", "valid_kl"):
            assert b[k] == pytest.approx(a[k], rel=TOLERANCE), k
    for name in ("shuffle", "gumbel", "torch"):  # same random streams: same next epoch
        assert torch.equal(ddp["rng"][name], one["rng"][name]), name
    if aborted_at_exit:  # every check above passed; only the process exit failed
        pytest.xfail(f"a rank aborted at interpreter exit after leaving the group: {EXIT_ABORT}")
