import csv

import pytest
import torch

from duetgraph.errors import InputError, OutputError
from duetgraph.model.nri import NRIModel
from duetgraph.train import run as runfiles
from duetgraph.train.checkpoint import load_checkpoint
from duetgraph.train.config import apply_overrides
from duetgraph.train.loop import HISTORY_COLUMNS, fit, train_epoch

TIMING = {"epoch_s", "cpu_s", "elapsed_s", "cpu_total_s"}


def train_run(run_dir, run_config, model_config, train, valid, stats, resume=False):
    runfiles.prepare_run_dir(run_dir, resume=resume, overwrite=False)
    ckpt = load_checkpoint(run_dir / runfiles.LAST) if resume else None
    info = {"kind": "physics", "system": "springs3", "normalisation": stats.to_dict()}
    return fit(model_config, run_config, train, valid, run_dir, info, resume_from=ckpt)


def test_fit_writes_run_folder_and_leaves_global_rng_alone(
    tmp_path, springs_train_valid, tiny_run_config, model_config_for
):
    train, valid, stats = springs_train_valid
    rc = tiny_run_config(epochs=3)
    mc = model_config_for(rc, train)
    before = torch.get_rng_state()
    result = train_run(tmp_path / "run", rc, mc, train, valid, stats)
    assert torch.equal(before, torch.get_rng_state())
    assert result.epochs_done == 3 and result.stopped == "completed"
    rows = list(csv.DictReader(open(tmp_path / "run" / runfiles.METRICS_CSV)))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert list(rows[0]) == list(HISTORY_COLUMNS)
    assert all(0.0 <= float(r["valid_acc"]) <= 1.0 for r in rows)
    best = load_checkpoint(tmp_path / "run" / runfiles.BEST)
    assert best["best"]["value"] == pytest.approx(
        min(float(r["valid_nll"]) for r in rows), rel=1e-6
    )
    assert best["epoch"] == best["best"]["epoch"]


def test_training_reduces_the_loss(
    tmp_path, springs_train_valid, tiny_run_config, model_config_for
):
    train, valid, stats = springs_train_valid
    rc = tiny_run_config(epochs=6, lr=3e-3)
    result = train_run(tmp_path / "run", rc, model_config_for(rc, train), train, valid, stats)
    assert result.history[-1]["train_nll"] < 0.5 * result.history[0]["train_nll"]


def test_resume_gives_the_weights_of_an_uninterrupted_run(
    tmp_path, springs_train_valid, tiny_run_config, model_config_for
):
    train, valid, stats = springs_train_valid
    full = tiny_run_config(epochs=4, lr_decay_every=3, beta_start=0.5, beta_anneal_epochs=2)
    mc = model_config_for(full, train)
    train_run(tmp_path / "full", full, mc, train, valid, stats)

    short = apply_overrides(full, {("train", "epochs"): 2})  # interrupted after epoch 2
    train_run(tmp_path / "split", short, mc, train, valid, stats)
    result = train_run(tmp_path / "split", full, mc, train, valid, stats, resume=True)
    assert result.epochs_done == 4

    a = load_checkpoint(tmp_path / "full" / runfiles.LAST)
    b = load_checkpoint(tmp_path / "split" / runfiles.LAST)
    for key, value in a["model_state"].items():
        assert torch.equal(value, b["model_state"][key]), key
    for ra, rb in zip(a["history"], b["history"], strict=True):
        assert {k: v for k, v in ra.items() if k not in TIMING} == {
            k: v for k, v in rb.items() if k not in TIMING
        }
    assert a["rng"]["shuffle"].equal(b["rng"]["shuffle"])


@pytest.mark.parametrize("limit", ["time_limit_min", "cpu_limit_min"])
def test_time_limit_stops_mid_epoch_and_keeps_best(
    tmp_path, springs_train_valid, tiny_run_config, model_config_for, limit
):
    train, valid, stats = springs_train_valid
    rc = tiny_run_config(epochs=5, **{limit: 1e-9})
    result = train_run(tmp_path / "run", rc, model_config_for(rc, train), train, valid, stats)
    assert result.stopped == "time_limit"
    assert result.history[-1]["partial"] == 1 and result.history[-1]["samples"] == 16
    assert (tmp_path / "run" / runfiles.BEST).is_file()
    assert not (tmp_path / "run" / runfiles.LAST).exists()  # no complete epoch to resume from
    assert load_checkpoint(tmp_path / "run" / runfiles.BEST)["partial"] is True


def test_run_folder_is_not_reused_without_a_flag(tmp_path):
    run = tmp_path / "run"
    runfiles.prepare_run_dir(run, resume=False, overwrite=False)
    (run / runfiles.METRICS_CSV).write_text("x")
    (run / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="--resume .* --overwrite"):
        runfiles.prepare_run_dir(run, resume=False, overwrite=False)
    with pytest.raises(InputError, match="no last.pt"):
        runfiles.prepare_run_dir(run, resume=True, overwrite=False)
    with pytest.raises(InputError, match="not both"):
        runfiles.prepare_run_dir(run, resume=True, overwrite=True)
    runfiles.prepare_run_dir(run, resume=False, overwrite=True)
    assert not (run / runfiles.METRICS_CSV).exists()
    assert (run / "notes.txt").read_text() == "mine"  # foreign files are kept


@pytest.mark.parametrize("clip", [0.0, 1e-3])
def test_grad_clip_bounds_the_gradient_each_step(
    clip, springs_train_valid, tiny_run_config, model_config_for
):
    """After one Adam step, exp_avg = (1 - beta1) · the gradient that was applied."""
    train, _, _ = springs_train_valid
    rc = tiny_run_config(epochs=1, grad_clip=clip)
    model = NRIModel(model_config_for(rc, train))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    n = train.features.shape[0]
    torch.manual_seed(0)  # dropout
    train_epoch(
        model,
        optimizer,
        train,
        n_input_frames=model.config.n_input_frames,
        batch_size=n,  # one step
        beta=1.0,
        device=torch.device("cpu"),
        shuffle=torch.Generator().manual_seed(0),
        gumbel=torch.Generator().manual_seed(1),
        grad_clip=rc.train.grad_clip,
    )
    applied = torch.linalg.vector_norm(
        torch.stack([torch.linalg.vector_norm(s["exp_avg"]) for s in optimizer.state.values()])
    ) / (1 - 0.9)
    if clip:
        assert applied == pytest.approx(clip, rel=1e-4)  # the raw gradient is far larger
    else:
        assert applied > 1e-2


def test_negative_grad_clip_is_refused(tiny_run_config):
    with pytest.raises(InputError, match="grad_clip"):
        tiny_run_config(grad_clip=-1.0)
