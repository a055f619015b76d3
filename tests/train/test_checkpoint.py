import pytest
import torch

from duetgraph.model.config import ModelConfig
from duetgraph.model.nri import NRIModel
from duetgraph.train import run as runfiles
from duetgraph.train.checkpoint import (
    CHECKPOINT_KEYS,
    CheckpointError,
    load_checkpoint,
    payload_digest,
    save_checkpoint,
)
from duetgraph.train.loop import fit


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory, springs_train_valid):
    from duetgraph.train.config import RunConfig, TrainConfig

    train, valid, stats = springs_train_valid
    rc = RunConfig(model={"n_hidden": 8}, train=TrainConfig(epochs=1, batch_size=16, threads=1))
    from duetgraph.train.physics import physics_model_config

    mc = physics_model_config(rc, train.features.shape[2], train.features.shape[1])
    run = tmp_path_factory.mktemp("run")
    info = {"kind": "physics", "system": "springs3", "normalisation": stats.to_dict()}
    fit(mc, rc, train, valid, run, info)
    return run


def test_checkpoint_loads_with_weights_only_and_rebuilds_the_model(trained_run):
    path = trained_run / runfiles.LAST
    raw = torch.load(path, weights_only=True)  # plain tensors and containers only
    assert set(raw) == CHECKPOINT_KEYS | {"sha256"}
    assert isinstance(raw["rng"]["shuffle"], torch.Tensor)
    assert raw["optimizer_state"]["state"]  # Adam moments are there
    ckpt = load_checkpoint(path)
    model = NRIModel(ModelConfig.from_dict(ckpt["model_config"]))
    model.load_state_dict(ckpt["model_state"])
    assert ckpt["epoch"] == 1 and ckpt["data"]["normalisation"]["loc_max"] > 0
    assert ckpt["run_config"]["train"]["epochs"] == 1


def test_round_trip_keeps_values(tmp_path):
    payload = {k: None for k in CHECKPOINT_KEYS}
    payload["model_state"] = {"w": torch.arange(6.0).reshape(2, 3), "b": torch.tensor([True])}
    payload["history"] = [{"epoch": 1, "nll": 0.5}]
    payload["rng"] = {"g": torch.Generator().manual_seed(0).get_state()}
    save_checkpoint(tmp_path / "c.pt", payload)
    back = load_checkpoint(tmp_path / "c.pt")
    assert torch.equal(back["model_state"]["w"], payload["model_state"]["w"])
    assert back["history"] == payload["history"]
    assert back["sha256"] == payload_digest(back)


def test_truncated_checkpoint_is_detected(trained_run, tmp_path):
    data = (trained_run / runfiles.LAST).read_bytes()
    bad = tmp_path / "truncated.pt"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match=r"truncated\.pt: cannot be read"):
        load_checkpoint(bad)


def test_altered_checkpoint_is_detected(trained_run, tmp_path):
    ckpt = torch.load(trained_run / runfiles.LAST, weights_only=True)
    ckpt["model_state"]["encoder.fc_out.bias"][0] += 1e-3  # a quiet change of one weight
    altered = tmp_path / "altered.pt"
    torch.save(ckpt, altered)
    with pytest.raises(CheckpointError, match=r"altered\.pt: checksum mismatch"):
        load_checkpoint(altered)


def test_flipped_bytes_are_detected(trained_run, tmp_path):
    data = bytearray((trained_run / runfiles.LAST).read_bytes())
    weights = load_checkpoint(trained_run / runfiles.LAST)["model_state"]["decoder.out_fc3.weight"]
    at = data.find(weights.numpy().tobytes())  # the raw tensor bytes inside the zip
    assert at > 0
    data[at + 5] ^= 0xFF  # one damaged byte of storage on disk
    flipped = tmp_path / "flipped.pt"
    flipped.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=r"flipped\.pt"):
        load_checkpoint(flipped)


def test_missing_or_foreign_files_and_non_plain_values(tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint"):
        load_checkpoint(tmp_path / "none.pt")
    torch.save({"weights": torch.zeros(2)}, tmp_path / "foreign.pt")
    with pytest.raises(CheckpointError, match="not a duetgraph checkpoint"):
        load_checkpoint(tmp_path / "foreign.pt")
    payload = {k: None for k in CHECKPOINT_KEYS}
    payload["data"] = {"when": object()}
    with pytest.raises(TypeError, match="only tensors and plain values"):
        save_checkpoint(tmp_path / "x.pt", payload)
    assert not (tmp_path / "x.pt").exists()
