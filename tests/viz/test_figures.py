import numpy as np
import pytest
from PIL import Image

from duetgraph.errors import InputError, OutputError
from duetgraph.viz.figures import (
    FIGURE_FILES,
    plot_bipartite,
    plot_hubs,
    plot_string_heatmap,
    plot_training,
    read_metrics,
    save_figure,
    write_figures,
)

METRICS = """epoch,partial,lr,beta,train_loss,train_nll,train_kl,train_acc,valid_loss,valid_nll,valid_kl,valid_acc,valid_acc_perm
1,0,0.0005,1,2.0,1.5,0.5,,2.1,1.6,0.5,,
2,0,0.0005,1,1.2,1.0,0.2,,1.3,1.1,0.2,,
3,1,0.0005,1,0.9,0.8,0.1,,nan,,,,
"""


def _png(path):
    with Image.open(path) as img:
        img.load()
        assert img.format == "PNG" and img.size[0] > 300 and img.size[1] > 150
        # Not blank: many distinct colours.
        return len(np.unique(np.asarray(img.convert("RGB")).reshape(-1, 3), axis=0))


@pytest.fixture
def posterior(duet, make_posterior):
    p = np.random.default_rng(0).uniform(0.0, 0.5, size=(7, 18))
    p[:, 2], p[2:5, 9] = 0.95, 0.85
    return make_posterior(duet, p)


def test_write_figures_writes_every_png(posterior, tmp_path):
    csv = tmp_path / "metrics.csv"
    csv.write_text(METRICS)
    paths = write_figures(tmp_path / "figs", posterior, csv, threshold=0.8)
    assert sorted(p.name for p in paths) == sorted(FIGURE_FILES.values())
    for path in paths:
        assert _png(path) > 20
    with pytest.raises(OutputError, match="--overwrite"):
        write_figures(tmp_path / "figs", posterior)


def test_heatmap_shows_the_top_edges_strongest_first(posterior):
    fig = plot_string_heatmap(posterior, top_k=5)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(labels) == 5 and labels[0] == "A pelvis -> B left wrist"


def test_hubs_and_bipartite_name_the_strong_joints(posterior):
    hubs = plot_hubs(posterior, threshold=0.8)
    assert [t.get_text() for t in hubs.axes[0].get_yticklabels()][0] == "pelvis"
    bip = plot_bipartite(posterior, top_k=3)
    texts = {t.get_text() for t in bip.axes[0].texts}
    assert {"pelvis", "left wrist", "dancer A", "dancer B"} <= texts
    assert len(bip.axes[0].patches) == 3  # one arrow per edge


def test_hubs_without_strong_strings_say_so(duet, make_posterior, tmp_path):
    fig = plot_hubs(make_posterior(duet, 0.1), threshold=0.8)
    assert any("no strong strings" in t.get_text() for ax in fig.axes for t in ax.texts)
    save_figure(fig, tmp_path / "hubs.png")
    assert _png(tmp_path / "hubs.png") > 5


def test_training_curves_plot_only_columns_with_values(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text(METRICS)
    metrics = read_metrics(path)
    assert np.isnan(metrics["valid_nll"][2]) and metrics["epoch"].tolist() == [1, 2, 3]
    fig = plot_training(metrics)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["reconstruction NLL", "KL(posterior ‖ prior)", "loss"]  # no accuracy
    assert len(fig.axes[0].lines) == 2


@pytest.mark.parametrize(
    "text, message", [("a,b\n1,2\n", "no 'epoch' column"), ("epoch,train_nll\n", "no epochs")]
)
def test_bad_metrics_files_are_input_errors(tmp_path, text, message):
    path = tmp_path / "metrics.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        read_metrics(path)
    with pytest.raises(InputError, match="no such file"):
        read_metrics(tmp_path / "missing.csv")
