"""plot.py on synthetic histories: figures, warnings, and a summary whose numbers are known."""
import csv
import math

import numpy as np
import pytest

import plot
from pyimagesearch import results, summary
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
    assert "resnet_adam_mnist.pickle" in err and "nothing to plot" in err


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
    from pyimagesearch import figures
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
    last10 = [1.2 / t for t in range(3, 13)]
    assert m["val_loss_std_last10"] == pytest.approx(np.std(last10, ddof=1))
    assert m["epochs"] == 12 and m["wall_seconds"] == 42.0


def test_wall_time_falls_back_to_epoch_seconds():
    m = results.run_metrics(history(epochs=3, epoch_seconds=[1.0, 2.0, 3.5]))
    assert m["wall_seconds"] == 6.5 and math.isnan(m["test_accuracy"])


def test_summary_winner_and_margin(tmp_path):
    out, plots = tmp_path / "output", tmp_path / "plots"
    out.mkdir()
    write_run(out, "minivggnet_adam_cifar10", history(), acc=0.8300)
    write_run(out, "minivggnet_radam_cifar10", history(), acc=0.7100)
    write_run(out, "resnet_adam_cifar10", history(), acc=0.8400)
    write_run(out, "resnet_radam_cifar10", history(), acc=0.8700)
    assert plot.main(["-i", str(out), "-p", str(plots)]) == 0
    with open(plots / "summary.csv") as f:
        rows = {(r["model"], r["optimizer"]): r for r in csv.DictReader(f)}
    assert float(rows[("minivggnet", "radam")]["test_accuracy"]) == 0.71
    md = (plots / "summary.md").read_text()
    assert "| cifar10 | minivggnet | Adam ahead of RAdam by 12.00 points |" in md
    assert "| cifar10 | resnet | RAdam ahead of Adam by 3.00 points |" in md


def test_winners_handles_ties_and_single_optimizers():
    rows = [{"dataset": "d", "model": "m", "optimizer": o, "test_accuracy": a}
            for o, a in (("adam", 0.5), ("radam", 0.5))]
    rows.append({"dataset": "d", "model": "n", "optimizer": "adam", "test_accuracy": 0.9})
    entries = {e["model"]: e for e in summary.winners(rows)}
    assert entries["m"]["winner"] is None and summary.verdict(entries["m"]).startswith("tie")
    assert entries["n"]["winner"] is None
