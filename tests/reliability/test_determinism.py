"""Same seed, same strings: two tiny duet runs with one seed give identical strings.npz arrays.

Trained in this process on CPU (one thread); a third run with another seed must differ, so the
comparison can fail.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from duetgraph.cli import main

TINY = ["--epochs", "1", "--hidden", "8", "--rotations", "2", "--threads", "1", "--no-progress"]


@pytest.fixture(scope="module")
def duet(tmp_path_factory):
    folder = tmp_path_factory.mktemp("det")
    assert main(["example", "-o", str(folder), "--duration", "20", "--seed", "3"]) == 0
    return folder / "duet.npz"


def strings_of(duet, folder, seed: int) -> dict[str, np.ndarray]:
    run, out = folder / f"run{seed}", folder / f"strings{seed}.npz"
    assert main(["train", str(duet), "-o", str(run), "--seed", str(seed), *TINY]) == 0
    assert main(["infer", str(duet), "--run", str(run), "-o", str(out), "--surrogates", "19"]) == 0
    raw = out.with_name(out.stem + ".nri_posterior.npz")  # the model's posterior, as written
    with np.load(raw, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    meta = json.loads(str(arrays.pop("metadata")))
    meta.pop("run")  # the run folder's path: the one thing that differs by design
    return {**arrays, "metadata": np.array(json.dumps(meta, sort_keys=True))}


def test_the_same_seed_gives_the_same_strings(duet, tmp_path):
    first = strings_of(duet, tmp_path / "a", seed=11)
    second = strings_of(duet, tmp_path / "b", seed=11)
    assert first.keys() == second.keys() and "probs" in first
    for key in first:
        assert first[key].dtype == second[key].dtype, key
        assert np.array_equal(first[key], second[key]), f"{key} differs between equal seeds"
    other = strings_of(duet, tmp_path / "c", seed=12)
    assert not np.array_equal(first["probs"], other["probs"])
