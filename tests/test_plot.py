"""plot.py on synthetic histories: figures, warnings, and a summary whose numbers are known."""
import csv
import math

import numpy as np
import pytest

import plot
from pyimagesearch.runs import results
from pyimagesearch.outputs import summary
from tests.synthetic import history, write_run

DATASETS = ["mnist", "fashion_mnist", "cifar10", "cifar100"]
MODELS = ["resnet", "googlenet", "minivggnet"]


@pytest.mark.parametrize("old_keys", [False, True])
def test_full_grid_makes_twelve_figures(tmp_path, old_keys):
    out, plots = tmp_path / "output", tmp_path / "plots"
    out.mkdir()
    for d in DATASETS:
        for m in MODELS:
            for o in ("adam", "radam"):
                write_run(out, f"{m}_{o}_{d}", history(old_keys=old_keys))
    assert plot.main(["--input", str(out), "--plots", str(plots)]) == 0
    pngs = sorted(p.name for p in plots.glob("*.png"))
    expected = sorted(f"{m}_{d}.png" for d in DATASETS for m in MODELS) + ["overview.png"]
    assert pngs == sorted(expected)
    assert not list(plots.glob("*.tmp*"))  # written atomically, nothing left behind
    with open(plots / "summary.csv") as f:
        assert len(list(csv.DictReader(f))) == 24
    md = (plots / "summary.md").read_text()
    assert "macro-average *precision*" in md and "reports accuracy" in md


def test_missing_file_is_a_warning_and_the_rest_is_plotted(tmp_path, capsys):
    out, plots = tmp_path / "output", tmp_path / "plots"
    out.mkdir()
    write_run(out, "minivggnet_adam_cifar10", history())
    write_run(out, "minivggnet_radam_cifar10", history())
    write_run(out, "resnet_adam_cifar10", history())  # its radam partner is missing
    assert plot.main(["-i", str(out), "-p", str(plots)]) == 0
    err = capsys.readouterr().err
    assert "resnet_radam_cifar10.pickle: missing" in err
    assert (plots / "minivggnet_cifar10.png").exists()
    assert (plots / "resnet_cifar10.png").exists()  # drawn with the one optimizer it has


def test_nothing_plottable_exits_non_zero(tmp_path, capsys):
    out = tmp_path / "output"
    out.mkdir()
    (out / "resnet_adam_mnist.pickle").write_bytes(b"")  # empty
    (out / "notes.pickle").write_bytes(b"x")
    assert plot.main(["-i", str(out), "-p", str(tmp_path / "plots")]) == 1
    err = capsys.readouterr().err
    assert "resnet_adam_mnist.pickle" in err and "nothing to compare" in err


def test_missing_input_folder(tmp_path, capsys):
    assert plot.main(["-i", str(tmp_path / "nope"), "-p", str(tmp_path / "p")]) == 2
    assert "nope" in capsys.readouterr().err


def test_extra_optimizers_share_the_figure(tmp_path):
    out, plots = tmp_path / "output", tmp_path / "plots"
    out.mkdir()
    from pyimagesearch import registry
    extra = [o for o in registry.OPTIMIZERS if o not in ("adam", "radam")]
    optimizers = ["adam", "radam"] + extra[:1]
    for o in optimizers:
        write_run(out, f"minivggnet_{o}_digits", history())
    assert plot.main(["-i", str(out), "-p", str(plots)]) == 0
    assert sorted(p.name for p in plots.glob("*.png")) == ["minivggnet_digits.png", "overview.png"]


@pytest.mark.parametrize("count", [2, 4])
def test_every_curve_is_told_apart_and_titles_fit(monkeypatch, tmp_path, count):
    from pyimagesearch.outputs import figures
    shown = []
    monkeypatch.setattr(figures, "save", lambda fig, path: shown.append(fig))
    optimizers = ["adam", "radam", "adam_sched", "radam_nosched"][:count]
    figures.comparison({o: [history(), history()] for o in optimizers}, "minivggnet",
                       "fashion_mnist", str(tmp_path / "f.png"))
    for ax in shown[0].axes:
        looks = {(line.get_color(), line.get_linestyle()) for line in ax.get_lines()}
        assert len(ax.get_lines()) == 2 * count and len(looks) == 2 * count
        assert all(len(line) <= 55 for line in ax.get_title().splitlines())


def test_run_metrics_known_answers():
    h = history(epochs=12)
    h["val_accuracy"][4] = 0.99  # best at epoch 5
    h["total_seconds"] = [42.0]
    report = results.parse_report(
        "    accuracy                         0.9123        20\n"
        "   macro avg     0.8000    0.5000    0.7500        20\n")
    m = results.run_metrics(h, report)
    assert m["test_accuracy"] == 0.9123 and m["macro_f1"] == 0.75
    assert m["best_val_accuracy"] == 0.99 and m["best_epoch"] == 5
    assert m["final_train_loss"] == pytest.approx(1 / 12)
    assert m["final_val_loss"] == pytest.approx(1.2 / 12)
    last_quarter = [1.2 / t for t in range(10, 13)]  # 12 epochs: the last 3
    assert m["val_loss_std_last_quarter"] == pytest.approx(np.std(last_quarter, ddof=1))
    assert m["stability_epochs"] == 3
    assert m["epochs"] == 12 and m["wall_seconds"] == 42.0


def test_wall_time_falls_back_to_epoch_seconds():
    m = results.run_metrics(history(epochs=3, epoch_seconds=[1.0, 2.0, 3.5]))
    assert m["wall_seconds"] == 6.5 and math.isnan(m["test_accuracy"])


def test_stability_window_is_the_last_quarter_at_least_two():
    assert [results.stability_window(n) for n in (1, 2, 3, 8, 10, 12, 60)] == [1, 2, 2, 2, 3, 3, 15]
    m = results.run_metrics(history(epochs=60))
    assert m["stability_epochs"] == 15


def test_winner_table_at_one_run_each_names_no_winner(tmp_path):
    out, plots = tmp_path / "output", tmp_path / "plots"
    out.mkdir()
    write_run(out, "minivggnet_adam_cifar10", history(), acc=0.8300)
    write_run(out, "minivggnet_radam_cifar10", history(), acc=0.7100)
    assert plot.main(["-i", str(out), "-p", str(plots)]) == 0
    with open(plots / "summary.csv") as f:
        rows = {(r["model"], r["optimizer"]): r for r in csv.DictReader(f)}
    assert float(rows[("minivggnet", "radam")]["test_accuracy"]) == 0.71
    md = (plots / "summary.md").read_text()
    assert "undecided: one run each (RAdam - Adam = -12.00); run with --seeds |" in md
    assert "worse than" not in md
    assert "val loss std, last quarter" in md


def test_winner_table_at_three_seeds_defers_to_the_paired_interval(tmp_path):
    out, plots = tmp_path / "output", tmp_path / "plots"
    out.mkdir()
    clear = {"adam": [0.80, 0.82, 0.84], "radam": [0.70, 0.73, 0.73]}
    noisy = {"adam": [0.80, 0.70, 0.90], "radam": [0.85, 0.80, 0.76]}
    for model, accs in (("minivggnet", clear), ("resnet", noisy)):
        for opt, values in accs.items():
            for seed, acc in enumerate(values):
                write_run(out, f"{model}_{opt}_digits_s{seed}", history(), acc=acc)
    assert plot.main(["-i", str(out), "-p", str(plots)]) == 0
    md = (plots / "summary.md").read_text()
    # radam - adam per seed: -10, -9, -11 points: mean -10, 95% CI half-width 2.48
    # the sentence gives the size and its interval (B - A with its sign is the table's)
    assert "RAdam worse than Adam by 10.00 points [7.52, 12.48], n=3" in md
    verdicts = md.split("## Verdicts")[1].split("\n## ")[0]
    resnet = [l for l in verdicts.splitlines() if l.startswith("| digits | resnet | ")][0]
    assert "undecided: RAdam - Adam" in resnet and "seeds per optimizer" in resnet


def test_chance_level_runs_did_not_learn_and_never_reach_target(tmp_path):
    out, plots = tmp_path / "output", tmp_path / "plots"
    out.mkdir()
    for seed in range(3):
        for opt, acc in (("adam", 0.51), ("radam", 0.50)):  # 2 classes: chance is 0.50
            h = history(epochs=4, epoch_seconds=[1.0] * 4)
            write_run(out, f"minivggnet_{opt}_digits_s{seed}", h, acc=acc)
    assert plot.main(["-i", str(out), "-p", str(plots)]) == 0
    with open(plots / "summary.csv") as f:
        rows = list(csv.DictReader(f))
    assert all(r["status"] == "did not learn (chance 0.50)" for r in rows)
    assert all(r["epochs_to_target"] == "" for r in rows)
    md = (plots / "summary.md").read_text()
    assert "undecided: no run of Adam or RAdam learned" in md and "better than" not in md
    assert "| digits | minivggnet | Adam | 3 | 0.5100 | 0.0000 | 0/3 |" in md


def test_did_not_learn_uses_the_recorded_classes():
    h = history(epochs=3, run={"optimizer": "adam", "labels": list("abcdefghij")})
    report = {"accuracy": 0.115, "macro_precision": 0.1, "macro_f1": 0.1, "classes": None}
    assert results.run_metrics(h, report)["status"] == "did not learn (chance 0.10)"
    report["accuracy"] = 0.13
    assert results.run_metrics(h, report)["status"] == "ok"


def test_verdicts_handle_single_optimizers():
    rows = [{"dataset": "d", "model": "n", "optimizer": "adam", "test_accuracy": 0.9}]
    assert summary.verdict_table(rows) == ([], [])
    assert summary.verdict_markdown(rows)[-1] == "Not enough runs with a test accuracy to compare."


@pytest.mark.parametrize("count", [2, 6])
def test_legends_stay_off_the_curves(tmp_path, count):
    """Six settings make 24 legend entries: beside the panels, never over a curve; the
    original's two optimizers keep the legend inside, as the study drew it."""
    import matplotlib.pyplot as plt
    from pyimagesearch.outputs import figures
    shown = []
    save = figures.save
    figures.save = lambda fig, path: shown.append(fig)
    try:
        optimizers = [f"adam(learning_rate={r})" for r in (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2)][:count]
        figures.comparison({o: [history(), history()] for o in optimizers}, "minivggnet",
                           "digits", str(tmp_path / "f.png"))
    finally:
        figures.save = save
    fig = shown[0]
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        legend = ax.get_legend().get_window_extent(renderer)
        panel = ax.get_window_extent(renderer)
        inside = legend.x0 < panel.x1 and legend.x1 > panel.x0
        assert inside == (count <= figures.LEGEND_INSIDE_UP_TO)
        assert legend.x1 <= fig.bbox.x1 + 1  # and not cut off by the figure's edge
    plt.close(fig)


def test_the_figures_read_like_the_page(monkeypatch, tmp_path):
    """Six settings: a one-line title (it took seven), epochs from 1 on whole ticks (as the
    page numbers them), each setting in the page's colour and a marker of its own, and
    overview.png's legend beside the bars, not over them."""
    from pyimagesearch.outputs import figures, style
    from tests.synthetic import history
    kept = {}
    monkeypatch.setattr(figures, "save", lambda fig, path: kept.setdefault(path, fig))
    names = ["adam", "radam", "adamw(weight_decay=0.05)", "lion", "muon", "sgd"]
    by_optimizer = {n: [history(epochs=4, offset=0.01 * k)] for k, n in enumerate(names)}
    figures.comparison(by_optimizer, "minivggnet", "digits", "c.png")
    top, bottom = kept["c.png"].axes[:2]
    assert top.get_title() == "minivggnet on digits (Accuracy)"
    fig = kept["c.png"]
    fig.canvas.draw()
    low, high = top.get_xlim()
    assert [t for t in top.get_xticks() if low <= t <= high] == [1, 2, 3, 4]  # no 0, no 0.25
    lines = top.get_lines()
    assert list(lines[0].get_xdata()) == [1, 2, 3, 4]
    # two curves a setting (train, validation), in the k-th colour and marker
    for k in range(len(names)):
        for line in lines[2 * k: 2 * k + 2]:
            assert line.get_color() == style.colour(k) and line.get_marker() == style.marker(k)
    rows = [{"dataset": "digits", "model": "minivggnet", "optimizer": n, "test_accuracy": 0.9 + 0.01 * k}
            for k, n in enumerate(names)]
    figures.overview(rows, "o.png")
    ax = kept["o.png"].axes[0]
    legend = ax.get_legend()
    kept["o.png"].canvas.draw()
    box, axes_box = legend.get_window_extent(), ax.get_window_extent()
    assert box.x0 >= axes_box.x1  # beside the axes: it covers no bar
    assert [p.get_facecolor()[:3] for p in ax.patches[:1]] == [
        tuple(int(style.colour(0)[i:i + 2], 16) / 255 for i in (1, 3, 5))]
