"""A fair verdict: the validation hold-out, the learning-rate finder, tuned selection."""
import json
import pickle

import numpy as np
import pytest

import lr_find
import plot
import train
from pyimagesearch.stats import analysis
from pyimagesearch.data import datasets
from pyimagesearch.train import lr_finder
from pyimagesearch.runs import runspec
from tests.conftest import run_script
from tests.synthetic import families, history, write_run


def _rows(data):
    return {row.tobytes() for row in data.reshape(len(data), -1)}


def test_validation_split_is_stratified_disjoint_fixed_and_leaves_test_alone():
    data = datasets.load_digits()
    held = datasets.validation_split(data, 0.1)
    assert len(held.val_x) == round(0.1 * len(data.train_x))
    assert len(held.train_x) + len(held.val_x) == len(data.train_x)
    # stratified: every class's share of the hold-out matches its share of the training set
    share = np.bincount(data.train_y) / len(data.train_y)
    assert np.abs(np.bincount(held.val_y) / len(held.val_y) - share).max() < 0.02
    # disjoint from what is trained on (digits has a few duplicate images: count indices)
    assert len(_rows(held.val_x) & _rows(held.train_x)) <= 5
    assert sorted(_rows(held.val_x) | _rows(held.train_x)) == sorted(_rows(data.train_x))
    # the test set is untouched, and the split does not depend on any run seed
    np.testing.assert_array_equal(held.test_x, data.test_x)
    again = datasets.validation_split(datasets.load_digits(), 0.1)
    np.testing.assert_array_equal(again.val_x, held.val_x)


def test_validation_split_too_small_is_refused():
    data = datasets.load_digits().limit(30)
    with pytest.raises(datasets.DatasetError, match="cannot be split"):
        datasets.validation_split(data, 0.1)


TINY = ["-d", "digits", "-m", "minivggnet", "--epochs", "2", "--batch-size", "32",
        "--train-limit", "300", "--test-limit", "100", "--validation-split", "0.2"]


@pytest.mark.parametrize("optimizer,seed", [("adam", "0"), ("lion", "1")])
def test_with_the_split_validation_is_not_the_test_set(tmp_path, optimizer, seed):
    h, r = tmp_path / "h.pickle", tmp_path / "r.txt"
    assert train.main(["-i", str(h), "-r", str(r), "-o", optimizer, "--seed", seed, *TINY]) == 0
    with open(h, "rb") as f:
        hist = pickle.load(f)
    assert hist["run"]["validation_split"] == 0.2
    assert len(hist["val_accuracy"]) == 2 and len(hist["test_accuracy"]) == 1
    assert (hist["val_loss"][-1], hist["val_accuracy"][-1]) != \
        (hist["test_loss"][0], hist["test_accuracy"][0])
    # the report is on the test set: its accuracy is the history's test accuracy
    report_accuracy = float([l for l in r.read_text().splitlines()
                             if l.strip().startswith("accuracy")][0].split()[1])
    assert report_accuracy == pytest.approx(hist["test_accuracy"][0], abs=1e-4)


# ------------------------------------------------------------------ the finder

def test_suggest_picks_the_steepest_descent_before_the_minimum():
    rates = lr_finder.rates(1e-6, 1.0, 121)  # 20 points per decade
    u = np.log10(rates)
    # falls fastest at 1e-3, bottoms out at 1e-1, then blows up
    curve = 2.0 - np.tanh(3 * (u + 3)) + np.where(u > -1, 50 * (u + 1) ** 2, 0.0)
    rate, index = lr_finder.suggest(rates, curve)
    assert rate == pytest.approx(1e-3) and index == 60


def test_suggest_gives_nothing_for_a_curve_that_never_falls():
    rates = lr_finder.rates(1e-6, 1.0, 50)
    assert lr_finder.suggest(rates, np.linspace(1, 3, 50)) == (None, None)


def test_smoothing_is_bias_corrected():
    assert lr_finder.smooth([2.0, 2.0, 2.0]) == pytest.approx([2.0, 2.0, 2.0])


def test_finder_on_digits_writes_both_files_and_a_suggestion_inside_its_sweep(tmp_path):
    out = tmp_path / "lr"
    assert lr_find.main(["-d", "digits", "-m", "minivggnet", "-o", "radam", "--output", str(out),
                         "--batch-size", "32", "--steps", "60", "--min-lr", "1e-5",
                         "--max-lr", "10"]) == 0
    result = json.loads((out / "lr_find.json").read_text())
    assert (out / "lr_find.png").stat().st_size > 1000
    curve = result["curve"]
    assert 1e-5 <= curve["learning_rate"][0] and curve["learning_rate"][-1] <= 10
    assert len(curve["loss"]) == len(curve["smoothed_loss"]) == result["steps_run"] <= 60
    rate = result["suggested_learning_rate"]
    assert rate is None or curve["learning_rate"][0] <= rate <= curve["learning_rate"][-1]
    assert "steepest descent" in result["rule"]
    assert "schedule off" in result["note"]  # radam: swept without its schedule
    assert result["run"]["optimizer_config"]["total_steps"] == 0


@pytest.mark.parametrize("spec,message", [("adamw(lr=1)", "'lr'"), ("adamx", "adamx"),
                                          ("adam_sched", "schedule")])
def test_finder_refuses_in_one_line(tmp_path, spec, message):
    result = run_script("lr_find.py", "-d", "digits", "-m", "minivggnet", "-o", spec,
                        "--output", str(tmp_path / "lr"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert message in result.stderr.strip().splitlines()[-1]
    assert "[INFO] sweeping" not in result.stdout


# ------------------------------------------------------------------ tuned selection

def _grid(out, settings, validation_split=0.1, seeds=(0, 1, 2)):
    """settings: {spec: (final validation accuracy, test accuracy)}."""
    family = families(list(settings))
    for i, (spec, (val, test)) in enumerate(settings.items()):
        for seed in seeds:
            record = runspec.RunSpec("digits", "minivggnet", spec, seed=seed,
                                     validation_split=validation_split,
                                     setting_of=family[spec]).record()
            h = history(epochs=4, run=record)
            h["val_accuracy"][-1] = val + 0.001 * seed
            write_run(out, f"run{i}_{seed}", h, acc=test + 0.002 * seed)


def test_tuned_selection_uses_validation_not_test(tmp_path):
    out, plots = tmp_path / "out", tmp_path / "plots"
    out.mkdir()
    _grid(out, {"adam(learning_rate=0.0003)": (0.80, 0.95),  # best test, worse validation
                "adam(learning_rate=0.001)": (0.90, 0.85),
                "adam(learning_rate=0.003)": (0.70, 0.70),
                "lion(learning_rate=3e-05)": (0.85, 0.80),
                "lion(learning_rate=0.0001)": (0.88, 0.82),
                "lion(learning_rate=0.0003)": (0.60, 0.60)})
    assert plot.main(["-i", str(out), "-p", str(plots)]) == 0
    md = (plots / "summary.md").read_text()
    tuned = md.split("## Tuned verdict")[1]
    assert "| digits | minivggnet | Adam | 3 | Adam(learning_rate=0.001) | 0.9010 | 0.8520 | " \
           "the validation hold-out |" in tuned
    assert "| digits | minivggnet | Lion | 3 | Lion(learning_rate=0.0001) |" in tuned
    assert "Unequal tuning budgets" not in tuned and "optimistic" not in tuned
    # the tuned comparison pairs the chosen settings only: lion - adam = 82 - 85 = -3 points
    # (the table names the optimizers; the chosen settings are named above)
    assert "| digits | minivggnet | adam | lion | 3 | -3.00 |" in tuned


def test_unequal_budgets_are_warned_and_test_selection_flagged(tmp_path):
    out, plots = tmp_path / "out", tmp_path / "plots"
    out.mkdir()
    _grid(out, {"adam(learning_rate=0.0003)": (0.80, 0.80), "adam(learning_rate=0.001)": (0.90, 0.85),
                "radam": (0.85, 0.84)}, validation_split=None)
    assert plot.main(["-i", str(out), "-p", str(plots)]) == 0
    md = (plots / "summary.md").read_text()
    assert "**Unequal tuning budgets** on digits / minivggnet: Adam 2, RAdam 1 settings" in md
    assert "the test set: optimistic" in md
    assert "validated on the test set" in md


def test_selection_keys_are_final_epoch_validation_means():
    rows = [{"dataset": "d", "model": "m", "optimizer": f"adam(learning_rate={lr})", "seed": s,
             "final_val_accuracy": v, "test_accuracy": 0.5, "validation": "hold-out",
             "setting_of": "adam"}
            for lr, vals in ((0.1, (0.9, 0.1)), (0.2, (0.6, 0.6))) for s, v in enumerate(vals)]
    chosen = analysis.tuned_selection(rows)[0]
    assert chosen["chosen"] == "adam(learning_rate=0.2)" and chosen["budget"] == 2


def test_suggest_ignores_an_early_wiggle_of_a_flat_curve():
    rates = lr_finder.rates(1e-7, 1.0, 141)  # 20 points per decade
    u = np.log10(rates)
    # a bump and a drop at the very start (noise), flat, then the real descent near 1e-2
    curve = 3.8 + 0.2 * np.exp(-((u + 6) / 0.1) ** 2) - 0.4 * (1 + np.tanh(2 * (u + 2))) / 2
    curve = curve + np.where(u > -0.5, 20 * (u + 0.5) ** 2, 0.0)
    rate, _ = lr_finder.suggest(rates, curve)
    assert 3e-3 < rate < 3e-2


def test_specs_of_one_optimizer_are_rivals_unless_the_grid_tuned_them(tmp_path):
    """adam against adam(epsilon=1e-06) is the question asked: no folding into settings,
    no 'unequal tuning budgets', no sensitivity over one learning rate."""
    out, plots = tmp_path / "out", tmp_path / "plots"
    out.mkdir()
    for i, spec in enumerate(["adam", "adam(epsilon=1e-06)", "sgd"]):
        for seed in range(3):
            record = runspec.RunSpec("digits", "minivggnet", spec, seed=seed,
                                     validation_split=0.1).record()
            write_run(out, f"run{i}_{seed}", history(epochs=4, run=record),
                      acc=0.8 + 0.01 * i + 0.002 * seed)
    assert plot.main(["-i", str(out), "-p", str(plots)]) == 0
    md = (plots / "summary.md").read_text()
    assert "| digits | minivggnet | adam | adam(epsilon=1e-06) |" in md
    assert "Unequal tuning budgets" not in md and "Tuned verdict" not in md
    assert "rates tried" not in md and not (plots / "tuning_curves.csv").exists()


def test_searches_follow_the_run_tables_order_not_the_names_letters():
    """The sensitivity table lists problems as the run table does (a model's widths by
    size), not by their names' letters."""
    from pyimagesearch.stats import analysis
    rows = [{"dataset": dataset, "model": "mlp", "optimizer": f"adam(learning_rate={rate})",
             "setting_of": "adam", "seed": 0, "final_val_accuracy": 0.9}
            for dataset in ("zeta", "alpha") for rate in (0.001, 0.01)]
    assert [key[0] for key in analysis.searches(rows)] == ["zeta", "alpha"]
    assert [s["dataset"] for s in analysis.sensitivity(rows)] == ["zeta", "alpha"]
