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


def search_runs_frame(newest_first=True, times="datetime"):
    """What mlflow.search_runs() returns: run_id, experiment_id, status, artifact_uri,
    start_time and end_time (datetimes), metrics.*, params.* (text), tags.*; newest first.
    Adam's seed 0 was run twice, the later run (its true value) the one to keep."""
    rows = []
    rng = np.random.default_rng(5)
    clock = pd.Timestamp("2026-12-01 09:00", tz="UTC")
    for k, (opt, base) in enumerate([("adam", 0.30), ("sgd", 0.25)] * 5 + [("adam", 0.30)]):
        seed = k // 2 if k < 10 else 0
        start = clock + pd.Timedelta(minutes=10 * k)
        stale = k == 0  # adam's first seed-0 run: superseded by the last row's
        rows.append({"run_id": f"{k:032x}", "experiment_id": "1", "status": "FINISHED",
                     "artifact_uri": f"mlflow-artifacts:/1/{k:032x}/artifacts",
                     "start_time": start if times == "datetime" else str(start),
                     "end_time": start + pd.Timedelta(minutes=9),
                     "metrics.val_loss": (9.0 if stale else base + rng.normal(0, 0.005)),
                     "params.optimizer": opt, "params.seed": str(seed),
                     "params.lr": "0.1" if opt == "sgd" else "0.001",
                     "tags.mlflow.runName": f"{opt}-{seed}-{k}",
                     "tags.mlflow.user": "someone", "tags.mlflow.source.name": "train.py"})
    frame = pd.DataFrame(rows)
    return frame.iloc[::-1].reset_index(drop=True) if newest_first else frame


@pytest.mark.parametrize("times", ["datetime", "text"])
def test_a_search_runs_frame_reads_as_it_comes(times):
    """Bookkeeping columns are not parameters (every run was its own setting, 'undecided
    after 0 seeds'); start_time is a time whatever its type, so --duplicates latest keeps
    the later run, whatever the rows' order."""
    from pyimagesearch.runs import sources
    for newest_first in (True, False):
        frame = search_runs_frame(newest_first, times)
        with pytest.raises(ValueError, match="give --duplicates latest"):
            api.load_runs(frame, metric="val_loss")
        runs = api.load_runs(frame, keys=sources.Keys(duplicates="latest"), metric="val_loss")
        assert len(runs) == 10 and "optimizer = optimizer + lr;" in runs.read
        result = api.compare(runs, metric="val_loss", margin=0.01)
        (row,) = result.problems
        assert (row["a"], row["b"], row["n"]) == ("adam(lr=0.001)", "sgd(lr=0.1)", 5)
        assert row["verdict"] == "better" and row["b_minus_a"] < 0  # the stale 9.0 not kept


def test_parameters_that_leave_no_pair_are_named():
    """A run's name read as a parameter (--param-keys) makes every run its own setting:
    one line naming the parameters that split them, not 'undecided after 0 seeds'."""
    rows = [{"run": f"{o}-{s}", "optimizer": o, "seed": s, "label": f"{o}-{s}-x",
             "val_loss": 0.3} for o in ("adam", "sgd") for s in range(3)]
    with pytest.raises(ValueError, match=r"label takes a value of its own on every run, so "
                                         r"each of the 6 runs would be a setting of its own"):
        api.load_runs(pd.DataFrame(rows), metric="val_loss")


def test_sizes_and_problems_as_numbers(tmp_path, capsys):
    """A numeric problem key (widths 64 to 512) works everywhere, file names included; a
    size logged once, at step 1, is the run's size (it read as nan); combinations.py takes
    --problems 64,128,256,512 as docs/scale.md writes it."""
    from pyimagesearch.commands import combinations
    rows = []
    rng = np.random.default_rng(2)
    for width in (64, 128, 256, 512):
        for name, pace in (("adamw", 1.0), ("muon", 2.0)):
            for seed in range(3):
                run = f"{name}-{width}-{seed}"
                rows.append({"run": run, "optimizer": name, "seed": seed, "width": width,
                             "step": 1, "metric": "n_params", "value": 4 * width * width})
                for t in range(10, 110, 10):
                    rows.append({"run": run, "optimizer": name, "seed": seed, "width": width,
                                 "step": t, "metric": "val_loss",
                                 "value": 1 / (1 + pace * t / 100) + rng.normal(0, 0.002)})
    path = long_table(tmp_path / "widths.csv", rows)
    runs = api.load_runs(path, keys=__import__("pyimagesearch.runs.sources", fromlist=["Keys"])
                         .Keys(problem="width"), metric="val_loss")
    assert sorted({r["n_params"] for r in runs.rows}) == [4 * w * w for w in (64, 128, 256, 512)]
    plots = tmp_path / "plots"
    assert plot.main(["-i", path, "-p", str(plots), "--metric", "val_loss", "--margin", "0.01",
                      "--problem-key", "width"]) == 0
    assert {"64_widths.png", "512_widths.png", "scale.png"} <= {p.name for p in plots.glob("*.png")}
    assert "across sizes (scale.csv)" in capsys.readouterr().out
    (tmp_path / "t.py").write_text("")
    args = combinations.parse_args(["-o", str(tmp_path / "o"), "-s", str(tmp_path / "g.sh"),
                                    "--metric", "val_loss", "--margin", "0.01",
                                    "--command", f"python {tmp_path / 't.py'} --width {{problem}} "
                                                 "--seed {seed} --out {run_dir}",
                                    "--optimizers", "adamw,muon", "--problems", "64,128,256,512",
                                    "--seeds", "0,1"])
    assert args.problems == ["64", "128", "256", "512"]


def write_deepobs(root, trials=True, damaged=False):
    """The shared slice's runs written as DeepOBS's runners write them: one JSON file per
    run in <testproblem>/<Optimizer>/<setting folder>/random_seed__S__<date>.json, the
    per-epoch lists and the hyperparameters; with ``trials``, each optimizer's tuning
    trials beside its chosen setting (one seed each, other learning rates, a little
    worse), as the Crowded Valley release holds them."""
    import json
    frame = pd.read_csv(SHARED)
    settings = pd.read_csv(os.path.join(os.path.dirname(SHARED), "settings.csv"))
    names = {"test_accuracy": "test_accuracies", "test_loss": "test_losses",
             "valid_accuracy": "valid_accuracies"}
    written = 0
    for (problem, optimizer, seed), run in frame.groupby(["testproblem", "optimizer", "seed"]):
        chosen = settings[(settings.testproblem == problem) & (settings.optimizer == optimizer)].iloc[0]
        hyper = json.loads(chosen.hyperparameters)
        out = {"testproblem": problem, "batch_size": 128, "num_epochs": 100,
               "random_seed": int(seed), "weight_decay": None, "optimizer_name": optimizer,
               "optimizer_hyperparams": hyper, "analyzable_training_params": {}}
        for metric, values in run.groupby("metric"):
            out[names[metric]] = values.sort_values("epoch")["value"].tolist()
        folder = root / problem / optimizer / chosen.hp_folder
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"random_seed__{seed}__2020-06-01-12-00-00.json").write_text(json.dumps(out))
        written += 1
        if trials and seed == 43:  # two trials at seed 42, other rates
            for factor in (0.3, 3.0):
                trial = dict(out, random_seed=42, optimizer_hyperparams=dict(
                    hyper, learning_rate=hyper["learning_rate"] * factor))
                for key in ("test_accuracies", "valid_accuracies"):
                    trial[key] = [v - 0.01 for v in out[key]]
                name = f"num_epochs__100__batch_size__128__learning_rate__{hyper['learning_rate'] * factor:.8e}"
                (root / problem / optimizer / name).mkdir(parents=True, exist_ok=True)
                (root / problem / optimizer / name /
                 "random_seed__42__2020-05-01-12-00-00.json").write_text(json.dumps(trial))
                written += 1
    if damaged:
        bad = root / "fmnist_2c2d" / "AdamOptimizer" / "broken"
        bad.mkdir()
        (bad / "random_seed__7__2020-01-01-00-00-00.json").write_text("{not json")
    return written


@published
def test_a_deepobs_results_folder_reads_as_deepobs_wrote_it(tmp_path, capsys):
    """-i deepobs:results: the settings from the folders and the JSON's hyperparameters,
    the one-seed folders as tuning trials and the many-seed one as the chosen setting; the
    tuned comparison is then the published runs' own, the same verdicts as the table; a
    damaged file is named and the rest read."""
    root = tmp_path / "results"
    written = write_deepobs(root, damaged=True)
    runs = api.load_runs(f"deepobs:{root}", metric="test_accuracy")
    assert len(runs) == written and "DeepOBS results" in runs.read
    assert "1 left out: " in runs.read and "broken" in runs.read
    result = api.compare(runs, metric="test_accuracy", fixed=True)
    tuned = {(r["model"], r["a"], r["b"]): (r["verdict"], round(r["b_minus_a"], 6))
             for r in result.tuned}
    table = api.compare(api.load_runs(SHARED, keys=__import__(
        "pyimagesearch.runs.sources", fromlist=["Keys"]).Keys(problem="testproblem"),
        metric="test_accuracy"), metric="test_accuracy", fixed=True)
    assert tuned == {(r["model"], r["a"], r["b"]): (r["verdict"], round(r["b_minus_a"], 6))
                     for r in table.problems}
    chosen = {r["optimizer"]: r["setting"] for r in result.tuned_rows}
    assert all("learning_rate=" in s for s in chosen.values())


def test_deepobs_folders_that_cannot_be_read_are_one_line(tmp_path):
    with pytest.raises(ValueError, match="no DeepOBS runs"):
        api.load_runs(f"deepobs:{tmp_path}", metric="test_accuracy")
    with pytest.raises(ValueError, match="not a directory"):
        api.load_runs(f"deepobs:{tmp_path / 'nowhere'}", metric="test_accuracy")
    bad = tmp_path / "p" / "Adam" / "s"
    bad.mkdir(parents=True)
    (bad / "random_seed__1__x.json").write_text("{")
    with pytest.raises(ValueError, match="no readable run .*random_seed__1__x.json: unreadable"):
        api.load_runs(f"deepobs:{tmp_path}", metric="test_accuracy")


@published
def test_long_noisy_curves_are_drawn_so_the_difference_shows(tmp_path, monkeypatch):
    """100 epochs of three optimizers: a marker every few points, not on every one, and an
    inset on the last quarter scaled to where the curves end (the whole run's axis, from
    the untrained 0.1, flattened a 0.8-point difference)."""
    from pyimagesearch.outputs import figures
    kept = []
    monkeypatch.setattr(figures, "save", lambda fig, path: kept.append(fig))
    runs = api.load_runs(SHARED, keys=__import__("pyimagesearch.runs.sources", fromlist=[
        "Keys"]).Keys(problem="testproblem"), metric="test_accuracy")
    by_optimizer = {}
    for row, history in zip(runs.rows, runs.histories):
        if row["model"] == "fmnist_2c2d":
            by_optimizer.setdefault(row["optimizer"], []).append(history)
    figures.comparison(by_optimizer, "fmnist_2c2d", "crowded_valley", str(tmp_path / "f.png"))
    (fig,) = kept
    main, inset = fig.axes[0], fig.axes[0].child_axes[0]
    assert all(line.get_markevery() >= 8 for line in main.get_lines())
    low, high = inset.get_ylim()
    assert high - low < 0.02 and low > 0.9  # the finals' range, 0.914 to 0.926
    assert min(inset.get_xlim()) >= 70


def test_the_second_walks_bad_inputs_are_one_line_in_the_sources_terms(tmp_path, capsys):
    """A missing seed is not 'not finished'; two -i flags are refused; --experiment on a
    table is refused; a misspelled metric lists those logged; with no --metric the first
    line lists the metrics instead of naming one it will not judge; a store of failed runs
    says so in its own terms; a refusal leaves no plots folder; duplicates that may be
    different runs are not advised away with --duplicates latest alone."""
    import decide
    rows = [{"run": f"{o}-{s}", "optimizer": o, "seed": s, "state": "finished",
             "val_loss": 0.3 + 0.01 * s} for o in ("adam", "sgd") for s in range(3)]
    rows.append({"run": "sgd-noseed", "optimizer": "sgd", "state": "finished", "val_loss": 0.3})
    path = long_table(tmp_path / "runs.csv", rows)
    runs = api.load_runs(path, metric="val_loss")
    assert "sgd-noseed: no seed" in runs.read
    assert ("sgd-noseed", "no seed: left out (it logged no seed)") in api.compare(
        runs, metric="val_loss", margin=0.01).left_out
    plots = tmp_path / "plots"

    def refused(main, argv):
        code = None
        try:
            code = main(argv)
        except SystemExit as e:
            code = e.code
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and len(err) == 1, err
        assert not plots.exists()
        return err[0]
    assert "-i given twice" in refused(plot.main, ["-i", path, "-i", str(tmp_path), "-p",
                                                   str(plots)])
    assert "--experiment opt: only an MLflow store" in refused(
        plot.main, ["-i", path, "-p", str(plots), "--experiment", "opt"])
    assert "--experiment opt: only an MLflow store" in refused(
        decide.main, ["-i", path, "-p", str(plots), "--experiment", "opt", "--ask"])
    assert "no run logged val_los (they logged: val_loss)" in refused(
        plot.main, ["-i", path, "-p", str(plots), "--metric", "val_los", "--margin", "0.01"])
    assert "no run logged val_los" in refused(
        decide.main, ["-i", path, "-p", str(plots), "--metric", "val_los", "--margin", "0.01",
                      "--ask"])
    assert api.load_runs(path).read.endswith("metrics logged: val_loss")
    failed = long_table(tmp_path / "failed.csv", [dict(r, state="FAILED") for r in rows[:3]])
    assert plot.main(["-i", failed, "-p", str(plots)]) == 1
    err = capsys.readouterr().err
    assert "nothing to compare" in err and "0 runs read, 3 left out" in err and "pickle" not in err
    twice = long_table(tmp_path / "twice.csv", rows[:6] + [dict(rows[0], run="adam-0b")])
    with pytest.raises(ValueError, match="if they are different runs .* --problem-key or "
                                         "--param-keys; if one run was logged twice, give "
                                         "--duplicates latest"):
        api.load_runs(twice, metric="val_loss")


def test_a_long_export_with_a_time_on_every_row_reads_its_runs(tmp_path):
    """A tracker's history export: _step, and a _timestamp and _runtime that change from
    row to row; they are bookkeeping, not what tells runs apart."""
    rows = [dict(r, _step=r.pop("epoch"), _timestamp=1.7e9 + i, _runtime=float(i))
            for i, r in enumerate(curves(1, run_column=False))]
    runs = api.load_runs(long_table(tmp_path / "history.csv", rows), metric="val_loss")
    assert len(runs) == 10 and "a run one combination of optimizer, seed" in runs.read
