"""Runs as the world logs them (issue 44, first part): the published Crowded Valley slice
(../shared/data/crowded_valley: real DeepOBS runs nobody here wrote) read as it is, a long
table without a run-id column, a step column by its usual names, curves from step 0, a
metric named like train.py's report, an extrapolation without support."""
import os
import shutil

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import plot
from pyimagesearch import api

SHARED = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..",
                      "shared", "data", "crowded_valley", "runs_long.csv")
published = pytest.mark.skipif(not os.path.exists(SHARED),
                               reason="the published runs (../shared/data/crowded_valley)")


@published
def test_the_published_table_as_it_is_decides_each_pair(tmp_path, capsys):
    """plot.py on the unedited export (no run column, the step called epoch, the metric
    called test_accuracy): every pair on both problems decided by the rule, checked
    against a paired t-test and TOST computed here; a speed-up row for each pair."""
    from statsmodels.stats.weightstats import ttost_paired
    table = tmp_path / "crowded_valley.csv"
    shutil.copy(SHARED, table)
    plots = tmp_path / "plots"
    assert plot.main(["-i", str(table), "-p", str(plots), "--metric", "test_accuracy",
                      "--problem-key", "testproblem", "--fixed"]) == 0
    out = capsys.readouterr().out
    assert ("long form, the step from epoch, a run one combination of testproblem, optimizer, "
            "seed (no run-id column)") in out
    assert "57 runs read, none left out" in out
    verdicts = pd.read_csv(plots / "verdicts.csv")
    rows = verdicts[verdicts.scope == "problem"]
    assert len(rows) == 6 and set(rows.verdict) <= {"better", "worse", "equivalent"}
    assert len(pd.read_csv(plots / "speedups.csv")) == 6
    frame = pd.read_csv(SHARED)
    finals = frame[(frame.metric == "test_accuracy") & (frame.epoch == 100)]
    p_values, signs = [], []
    for _, row in rows.iterrows():
        by = finals[finals.testproblem == row.model].pivot(index="seed", columns="optimizer",
                                                            values="value")
        pair = by[[row.a, row.b]].dropna()
        a, b = 100 * pair[row.a].to_numpy(), 100 * pair[row.b].to_numpy()
        d = b - a
        assert row.n == len(d) and row.b_minus_a == pytest.approx(d.mean(), abs=1e-9)
        # the spread floored at one test example of DeepOBS's 9,984 (100 / 9984 points)
        sd = max(d.std(ddof=1), 100 / 9984)
        half = stats.t.ppf(0.975, len(d) - 1) * sd / np.sqrt(len(d))
        assert (row.b_minus_a_low, row.b_minus_a_high) == pytest.approx(
            (d.mean() - half, d.mean() + half), abs=1e-6)
        p_values.append((stats.ttest_rel(b, a).pvalue, ttost_paired(b, a, -1.0, 1.0)[0]))
        signs.append(np.sign(d.mean()))
    # the rule at all of alpha (--fixed): the twelve hypotheses in one Holm step-down with
    # Shaffer's bound (a pair's two cannot both be true: factor min(m, 2m - j)), written here
    m = len(p_values)
    flat = [p for pair in p_values for p in pair]
    order = np.argsort(flat, kind="stable")
    adjusted, running = np.empty(2 * m), 0.0
    for j, i in enumerate(order):
        running = max(running, min(1.0, min(m, 2 * m - j) * flat[i]))
        adjusted[i] = running
    for k, (_, row) in enumerate(rows.iterrows()):
        p_diff, p_equiv = adjusted[2 * k], adjusted[2 * k + 1]
        expected = ("better" if signs[k] > 0 else "worse") if p_diff <= 0.05 else \
            "equivalent" if p_equiv <= 0.05 else "undecided"
        assert row.verdict == expected, (row.a, row.b, row.model, p_diff, p_equiv)
        assert bool(row.within_margin) == (p_equiv <= 0.05)
    momentum = rows[(rows.a == "AdamOptimizer") & (rows.b == "MomentumOptimizer")
                    & (rows.model == "fmnist_2c2d")].iloc[0]
    assert momentum.verdict == "worse" and momentum.within_margin


@published
def test_the_published_table_reads_in_under_three_seconds_through_the_api():
    import time
    start = time.perf_counter()
    runs = api.load_runs(SHARED, keys=__import__("pyimagesearch.runs.sources",
                                                 fromlist=["Keys"]).Keys(problem="testproblem"),
                         metric="test_accuracy")
    result = api.compare(runs, metric="test_accuracy", fixed=True)
    assert len(result.speed_rows) == 6 and len(runs) == 57
    assert time.perf_counter() - start < 30  # BENCHMARKS.md has the measured figure


def long_table(path, rows):
    pd.DataFrame(rows).to_csv(path, index=False)
    return str(path)


def curves(start_at=0, run_column=True, metric="val_loss", step="epoch"):
    rng = np.random.default_rng(3)
    rows = []
    for name, pace in (("adam", 2.0), ("sgd", 1.0)):
        for seed in range(5):
            for t in range(start_at, 21):
                value = 1.0 / (1 + pace * t) + rng.normal(0, 0.002)
                rows.append({**({"run": f"{name}{seed}"} if run_column else {}),
                             "optimizer": name, "seed": seed, step: t, "metric": metric,
                             "value": value if metric == "val_loss" else 1 - value})
    return rows


def test_curves_from_step_zero_have_a_speedup(tmp_path):
    """The evaluation before training (step 0) belongs to the curve: a pair whose logs
    start there is timed like any other."""
    for start in (0, 1):
        path = long_table(tmp_path / f"from{start}.csv", curves(start))
        result = api.compare(api.load_runs(path, metric="val_loss"), metric="val_loss",
                             margin=0.01)
        (row,) = result.speed_rows  # A is Adam, twice as fast as SGD
        assert row["verdict"] == "slower" and row["steps_ratio"] > 1.5, row["text"]


@pytest.mark.parametrize("step", ["step", "epoch", "iteration", "_step", "global_step",
                                  "trainer/global_step"])
def test_a_long_table_step_column_by_its_usual_names(tmp_path, step):
    path = long_table(tmp_path / "runs.csv", curves(1, run_column=False, step=step))
    runs = api.load_runs(path, metric="val_loss")
    assert len(runs) == 10 and f"the step from {step}" in runs.read
    assert (runs.epochs.metric == "val_loss").sum() == 10 * 20


def test_a_metric_named_like_train_py_report_is_the_runs_own(tmp_path):
    """A table's test_accuracy is its runs' own metric, with its own curve, not
    train.py's test report (which these runs never had)."""
    path = long_table(tmp_path / "runs.csv", curves(0, metric="test_accuracy"))
    result = api.compare(api.load_runs(path, metric="test_accuracy"), metric="test_accuracy")
    (row,) = result.problems
    assert row["n"] == 5 and row["verdict"] in ("better", "worse", "equivalent")
    (speed,) = result.speed_rows
    assert speed["metric"] == "test_accuracy" and speed["verdict"] == "slower"


def test_long_tables_that_cannot_be_read_are_one_line(tmp_path, capsys):
    rows = curves(1, run_column=False)
    for r in rows:  # two runs of one optimizer and seed, told apart by nothing here
        r.pop("seed")
    bad = long_table(tmp_path / "twice.csv", rows)
    with pytest.raises(ValueError, match=r"the columns optimizer do not identify one run "
                                         r"per epoch: optimizer=adam has val_loss twice"):
        api.load_runs(bad, metric="val_loss")
    good = long_table(tmp_path / "good.csv", curves(1, run_column=False))
    plots = tmp_path / "p"
    assert plot.main(["-i", good, "-p", str(plots), "--metric", "val_loss", "--margin",
                      "0.01", "--step-key", "round"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--step-key round: no such column" in err[0]
    nostep = [{k: v for k, v in r.items() if k != "epoch"} for r in curves(1)]
    with pytest.raises(ValueError, match="no step column"):
        api.load_runs(long_table(tmp_path / "nostep.csv", nostep), metric="val_loss")


def test_an_extrapolation_without_support_is_no_estimate(tmp_path):
    """Wen et al.'s effective speed-up from fitted curves whose interval spans more than
    10x either way is 'no estimate', with the reason, not a headline number."""
    from pyimagesearch.stats import speed
    row = speed.effective_columns([-4.0, 3.0, 6.0], 3, 0)
    assert np.isnan(row["effective_speedup"]) and row["effective_note"].startswith(
        "no estimate: 3 of 3 seeds model-based, its interval")
    assert "spans more than 10x either way" in row["effective_note"]
    assert not speed.effective_columns([0.1, 0.12, 0.11], 3, 0)["effective_note"]
    assert speed.effective_columns([0.1, 0.12], 1, 0)["effective_note"].endswith(
        "too few seeds for an interval")
    assert speed.effective_columns([-4.0, 3.0, 6.0], 0, 0)["effective_speedup"] > 0  # measured


def test_runs_with_one_logged_value_say_why_there_is_no_speedup(tmp_path, capsys):
    rows = [{"run": f"{o}{s}", "optimizer": o, "seed": s, "val_loss": 0.3 + 0.01 * s
             + (0.05 if o == "sgd" else 0)} for o in ("adam", "sgd") for s in range(4)]
    path = long_table(tmp_path / "wide.csv", rows)
    assert plot.main(["-i", path, "-p", str(tmp_path / "p"), "--metric", "val_loss",
                      "--margin", "0.01"]) == 0
    assert ("speedups.csv: no speed-up: 8 of 8 runs logged val_loss at fewer than two steps"
            in capsys.readouterr().out)


def test_histories_without_their_reports_are_still_drawn(tmp_path, capsys):
    """The 2019 plot.py's own input, history pickles alone: every pair's figure drawn and
    the tables written; the verdict on test accuracy it cannot make is one line."""
    from tests.synthetic import history
    import pickle
    out, plots = tmp_path / "output", tmp_path / "plots"
    out.mkdir()
    for model in ("minivggnet", "resnet"):
        for optimizer in ("adam", "radam"):
            with open(out / f"{model}_{optimizer}_cifar10.pickle", "wb") as f:
                pickle.dump(history(), f)
    assert plot.main(["-i", str(out), "-p", str(plots)]) == 0
    printed = capsys.readouterr().out
    assert sorted(p.name for p in plots.glob("*.png")) == [
        "minivggnet_cifar10.png", "overview.png", "resnet_cifar10.png"]
    assert (plots / "summary.csv").exists() and (plots / "report.html").exists()
    lines = [x for x in printed.splitlines() if x.startswith("[INFO] no verdict")]
    assert len(lines) == 1 and "no run here has test_accuracy" in lines[0]
    assert "--metric NAME" in lines[0]
