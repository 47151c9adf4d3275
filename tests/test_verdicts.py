"""A decisive answer: four verdicts against a margin, multiplicity, looks after more seeds,
the answer across problems; every number against scipy/statsmodels, every rule against a
simulation with a known truth."""
import csv
import json
import math
import os

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.weightstats import ttost_paired

import plot
from pyimagesearch.launch import next_round
from pyimagesearch.runs import rounds, runspec
from pyimagesearch.stats import simulation, verdicts
from pyimagesearch.outputs import summary
from tests.conftest import ROOT, run_script
from tests.synthetic import history, write_run


# ------------------------------------------------------------------ against scipy and statsmodels

@pytest.mark.parametrize("seed,n", [(0, 3), (1, 5), (2, 12)])
def test_tests_match_scipy_and_statsmodels(seed, n):
    rng = np.random.default_rng(seed)
    a = rng.normal(90, 1, n)
    b = a + rng.normal(0.4, 1.5, n)
    t = verdicts.paired_tests(b - a, margin=1.0)
    reference = stats.ttest_rel(b, a)
    assert t["p_value"] == pytest.approx(reference.pvalue, rel=1e-9)
    ci = reference.confidence_interval(0.95)
    assert (t["ci_low"], t["ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-9)
    assert t["p_equivalence"] == pytest.approx(ttost_paired(b, a, -1.0, 1.0)[0], rel=1e-9)


def test_holm_matches_statsmodels_on_any_subset():
    rng = np.random.default_rng(3)
    for _ in range(20):
        p = rng.uniform(0, 0.2, 9)
        include = rng.uniform(size=9) > 0.3
        adjusted = verdicts.holm(p, include)
        assert np.allclose(adjusted[include], multipletests(p[include], method="holm")[1])
        assert np.isnan(adjusted[~include]).all()


def brute_force_shaffer(p_diff, p_equiv):
    """Shaffer's step-down written out: at step j, the most hypotheses that can still be
    true (each comparison's two exclude each other) multiply the j-th smallest p."""
    m = len(p_diff)
    p = list(p_diff) + list(p_equiv)
    order = sorted(range(2 * m), key=lambda i: p[i])
    out, running = [0.0] * (2 * m), 0.0
    for j, i in enumerate(order):
        running = max(running, min(1.0, min(m, 2 * m - j) * p[i]))
        out[i] = running
    return out[:m], out[m:]


def test_the_step_down_over_both_hypotheses():
    rng = np.random.default_rng(4)
    for m in (1, 2, 5):
        p_d, p_e = rng.uniform(0, 0.1, m), rng.uniform(0, 0.1, m)
        got = verdicts.paired_holm(p_d, p_e)
        expected = brute_force_shaffer(p_d, p_e)
        assert np.allclose(got[0], expected[0]) and np.allclose(got[1], expected[1])
        holm = multipletests(np.concatenate([p_d, p_e]), method="holm")[1]  # never less powerful
        assert np.all(np.concatenate(got) <= holm + 1e-12)


def test_zero_spread_is_floored_at_one_test_image():
    t = verdicts.paired_tests([-8.0, -8.0, -8.0], resolution=100 / 360)
    assert t["sd"] == pytest.approx(100 / 360) and t["p_value"] > 0
    assert verdicts.paired_tests([-8.0, -8.0])["p_value"] == 1.0  # n = 2: no test


def test_schedule_and_weights():
    assert verdicts.schedule(3, 20) == [3, 6, 11, 20]
    assert verdicts.schedule(5, 5) == [5]
    assert verdicts.schedule(1, 20)[0] == 3
    assert verdicts.look_weights([3, 6, 11, 20]).sum() == pytest.approx(1.0)


def test_seeds_needed_is_a_sensible_planning_figure():
    alpha = verdicts.ALPHA / 2
    n = verdicts.seeds_needed(2.0, 2.0, 1.0, alpha)
    # at that n a t-test of a true 2-point difference with sd 2 has ~80% power
    df = n - 1
    power = stats.nct.sf(stats.t.ppf(1 - alpha / 2, df), df, 2.0 * math.sqrt(n) / 2.0)
    assert 0.78 <= power and verdicts.seeds_needed(2.0, 2.0, 1.0, alpha) < 20
    assert verdicts.seeds_needed(0.0, 3.0, 1.0, alpha) > verdicts.seeds_needed(0.0, 1.0, 1.0, alpha)


# ------------------------------------------------------------------ the simulation: error rates

def test_no_difference_rarely_calls_a_winner_even_after_every_round():
    """True difference 0: better/worse calls, looks included, at most 5% (4,000 experiments:
    the standard error is 0.35 points, so 6.2% is a tolerance chance cannot reach from 5%,
    while the naive test after every seed reaches 24%)."""
    for sd in (1.0, 2.0, 3.0):
        r = simulation.run(0.0, sd, experiments=4000)
        assert r["familywise_better_or_worse"] <= 0.062, r
    assert simulation.naive_false_positives(2.0, 4000) > 0.15


def test_a_grid_of_many_problems_keeps_the_family_wise_rate():
    r = simulation.run(0.0, 2.0, experiments=3000, problems=12, optimizers=4)
    assert r["comparisons"] == 72 and r["familywise_wrong"] <= 0.064, r


@pytest.mark.parametrize("sd,cap", [(1.0, 20), (2.0, 20), (3.0, 40)])
def test_twice_the_margin_is_called_better(sd, cap):
    r = simulation.run(2.0, sd, experiments=3000, max_seeds=cap)
    assert r["better"] >= 0.80 and r["worse"] <= 0.005, r


def test_twice_the_margin_on_a_grid_of_problems_is_called_better():
    r = simulation.run(2.0, 2.0, experiments=2000, problems=12)
    assert r["better"] >= 0.80, r


@pytest.mark.parametrize("sd,problems", [(0.5, 1), (1.0, 1), (0.5, 12)])
def test_no_difference_with_a_small_spread_is_called_equivalent(sd, problems):
    r = simulation.run(0.0, sd, experiments=3000, problems=problems)
    assert r["equivalent"] >= 0.80, r


# ------------------------------------------------------------------ across problems

def test_probability_of_improvement_is_mann_whitney_averaged():
    rng = np.random.default_rng(5)
    problems = [(rng.normal(0, 1, 5), rng.normal(0.5, 1, 5)) for _ in range(4)]
    problems.append(([1.0, 2.0, 2.0], [2.0, 2.0, 3.0]))  # ties count half
    expected = np.mean([stats.mannwhitneyu(b, a).statistic / (len(a) * len(b)) for a, b in problems])
    assert verdicts.probability_of_improvement(problems) == pytest.approx(expected)
    low, high = verdicts.probability_interval(problems, reps=500)
    assert low <= verdicts.probability_of_improvement(problems) <= high


def test_across_problems_matches_scipy():
    d = [1.5, 2.0, -0.5, 3.0, 0.7, 1.1]
    found = verdicts.across_problems(d)
    assert found["wilcoxon_p"] == pytest.approx(stats.wilcoxon(d).pvalue)
    assert found["sign_p"] == pytest.approx(stats.binomtest(5, 6).pvalue)


# ------------------------------------------------------------------ plot.py: verdicts.csv

def grid_folder(tmp_path, accuracies, problems=("minivggnet",)):
    out = tmp_path / "output"
    out.mkdir()
    for model in problems:
        for opt, values in accuracies.items():
            for seed, acc in enumerate(values):
                write_run(out, f"{model}_{opt}_digits_s{seed}", history(epochs=3), acc=acc)
    return out


def read_csv(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def test_verdicts_csv_columns_and_numbers(tmp_path):
    adam = [0.80, 0.82, 0.84, 0.81, 0.83]
    radam = [0.86, 0.87, 0.90, 0.86, 0.88]  # +5.4 points, tightly
    out = grid_folder(tmp_path, {"adam": adam, "radam": radam}, ("minivggnet", "resnet"))
    assert plot.main(["-i", str(out), "-p", str(tmp_path / "plots")]) == 0
    rows = read_csv(tmp_path / "plots" / "verdicts.csv")
    assert list(rows[0]) == summary.VERDICT_COLUMNS
    problem = [r for r in rows if r["scope"] == "problem"]
    assert len(problem) == 2 and all(r["verdict"] == "better" for r in problem)
    d = 100 * (np.array(radam) - np.array(adam))
    reference = stats.ttest_rel(100 * np.array(radam), 100 * np.array(adam))
    first = problem[0]
    assert float(first["b_minus_a"]) == pytest.approx(d.mean(), abs=1e-5)
    assert float(first["p_value"]) == pytest.approx(reference.pvalue, rel=1e-4)
    ci = reference.confidence_interval()
    assert (float(first["b_minus_a_low"]), float(first["b_minus_a_high"])) == pytest.approx((ci.low, ci.high), abs=1e-5)
    assert first["seeds_needed"] == "" and float(first["margin"]) == 1.0
    overall = [r for r in rows if r["scope"] == "overall"]
    assert len(overall) == 1 and overall[0]["dataset"] == "*" and overall[0]["n"] == "2"
    # one meaning per column: the probability of improvement and its interval have their own
    assert overall[0]["b_minus_a_low"] == overall[0]["b_minus_a_high"] == ""
    assert 0 <= float(overall[0]["probability_low"]) <= float(overall[0]["probability"]) \
        <= float(overall[0]["probability_high"]) <= 1
    md = (tmp_path / "plots" / "summary.md").read_text()
    assert "**Across 2 problems, RAdam vs Adam: better" in md
    assert "chance of any wrong better, worse or equivalent here is at most 5%" in md


def test_an_undecided_pair_says_how_many_seeds_would_decide(tmp_path):
    out = grid_folder(tmp_path, {"adam": [0.80, 0.82, 0.84], "radam": [0.81, 0.81, 0.86]})
    assert plot.main(["-i", str(out), "-p", str(tmp_path / "plots"), "--margin", "0.5"]) == 0
    row = read_csv(tmp_path / "plots" / "verdicts.csv")[0]
    assert row["verdict"] == "undecided" and int(row["seeds_needed"]) > 3
    assert float(row["margin"]) == 0.5
    assert f"about {row['seeds_needed']} seeds per optimizer would decide" in \
        (tmp_path / "plots" / "summary.md").read_text()


@pytest.mark.parametrize("margin", ["-1", "abc", "0"])
def test_a_bad_margin_is_one_line(tmp_path, margin):
    out = grid_folder(tmp_path, {"adam": [0.8], "radam": [0.9]})
    result = run_script("plot.py", "-i", str(out), "-p", str(tmp_path / "p"), "--margin", margin)
    assert result.returncode == 2 and "--margin" in result.stderr.strip().splitlines()[-1]
    result = run_script("decide.py", "-i", str(out), "--margin", margin)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "--margin" in result.stderr


# ------------------------------------------------------------------ decide.py

def test_decide_refuses_one_optimizer_and_a_cap_below_the_seeds_run(tmp_path):
    out = grid_folder(tmp_path, {"adam": [0.8, 0.81, 0.82]})
    result = run_script("decide.py", "-i", str(out))
    assert result.returncode == 2 and "one optimizer only (adam)" in result.stderr
    assert result.stderr.count("\n") == 1
    other = tmp_path / "other"
    other.mkdir()
    many = grid_folder(other, {"adam": [0.8] * 6, "radam": [0.81] * 6})
    result = run_script("decide.py", "-i", str(many), "--max-seeds", "4")
    assert result.returncode == 2 and "--max-seeds 4" in result.stderr and "6 seeds" in result.stderr


def test_decide_reads_its_folder_once_at_its_start(tmp_path, monkeypatch):
    """Each run's files are opened once by a call of decide.py that adds no round: the
    folder is read at the start and every look, verdict and output works from that read."""
    import builtins
    from pyimagesearch.commands import decide
    out = grid_folder(tmp_path, {"adam": [0.80, 0.81, 0.82], "radam": [0.70, 0.71, 0.72]})
    opened, real_open = [], builtins.open

    def counting_open(file, *args, **kwargs):
        if str(file).startswith(str(out)) and str(file).endswith((".pickle", ".txt")):
            opened.append(os.path.basename(str(file)))
        return real_open(file, *args, **kwargs)
    monkeypatch.setattr(builtins, "open", counting_open)
    assert decide.main(["-i", str(out), "-p", str(tmp_path / "plots"), "--max-seeds", "3"]) == 0
    assert len(opened) == 12 and len(set(opened)) == 12, sorted(opened)  # 6 runs, 2 files each


def test_the_runs_a_round_adds_are_the_recorded_runs_with_new_seeds():
    record = runspec.RunSpec("digits", "minivggnet", "adam", epochs=3, batch_size=16, seed=0,
                             train_limit=200, precise_bn="auto").record()
    records = {("digits", "minivggnet", o): dict(record, optimizer=o) for o in ("adam", "radam")}
    rows = [{"dataset": "digits", "model": "minivggnet", "optimizer": o, "seed": s, "batch": None}
            for o in ("adam", "radam") for s in (0, 1, 2)]
    problems = [{"dataset": "digits", "model": "minivggnet", "a": "adam", "b": "radam",
                 "verdict": "undecided"}]
    specs = next_round.missing_runs(rows, records, problems, 6)
    assert [(s.optimizer, s.seed) for s in specs] == [(o, s) for o in ("adam", "radam") for s in (3, 4, 5)]
    assert all(s.epochs == 3 and s.train_limit == 200 and s.precise_bn == "auto" for s in specs)
    run, line = next_round.train_line(specs[0], "out")
    assert run.name == "minivggnet_adam_digits_s3"
    assert line.startswith("python train.py --history out/minivggnet_adam_digits_s3.pickle ")
    import train
    args = train.parse_args(line.split()[2:])
    assert runspec.RunSpec.from_args(args) == specs[0]  # the line is the recorded run


def test_decide_runs_rounds_until_decided_and_survives_a_kill(tmp_path):
    """A real grid of tiny runs; decide.py adds rounds; Ctrl-C during a round is one line and
    the run is marked interrupted, not failed; run again, it finishes that round without
    counting any seed twice, then writes the verdicts."""
    import signal
    import subprocess
    import sys
    import time
    out = tmp_path / "out"
    script = tmp_path / "grid.sh"
    import combinations
    args = "--epochs 2 --train-limit 300 --test-limit 100 --batch-size 16"
    assert combinations.main(["-o", str(out), "-s", str(script), "--datasets", "digits",
                              "--models", "tests.custom_parts:dense", "--optimizers",
                              "adam(learning_rate=0.01),sgd(learning_rate=0.1)",
                              "--seeds", "0,1,2", "--logs", "--train-args", args]) == 0
    assert subprocess.run(["sh", str(script)], cwd=ROOT, capture_output=True).returncode == 0
    command = [sys.executable, "decide.py", "-i", str(out), "-p", str(tmp_path / "plots"),
               "--max-seeds", "6"]
    first = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, start_new_session=True)
    deadline = time.time() + 300
    while not list(out.glob("*_s3.pickle")) and time.time() < deadline:
        assert first.poll() is None, first.communicate()  # a round must start
        time.sleep(0.2)
    os.killpg(first.pid, signal.SIGINT)  # Ctrl-C at the terminal: the whole round, mid-way
    _, err = first.communicate(timeout=300)
    assert first.returncode == 130 and "Traceback" not in err, err
    assert err.strip().splitlines()[-1].startswith("decide.py: interrupted; finished runs are kept")
    while time.time() < deadline:  # the interrupted run stops at a safe point and reports it
        try:
            os.killpg(first.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    assert len(list(out.glob("*.pickle"))) < 8  # stopped before the round's end
    journal = (out / "progress.log").read_text()
    assert "\tinterrupted\t" in journal and "FAILED" not in journal
    design = (out / rounds.DESIGN_FILE).read_text()
    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    before, after = json.loads(design), json.loads((out / rounds.DESIGN_FILE).read_text())
    for key in ("plan", "weights", "margin", "max_seeds", "alpha"):  # the design was fixed once
        assert after[key] == before[key]
    assert after["looks"][:len(before["looks"])] == before["looks"]  # looks are only added
    assert [k["look"] for k in after["looks"]] == list(range(len(after["looks"])))
    assert "1" in after["rounds"]  # the runs round 1 asked for, recorded before it ran
    seeds = sorted(int(p.stem.rsplit("_s", 1)[1])
                   for p in out.glob("*_adam-learning_rate=0.01_digits_s*.pickle"))
    assert seeds == list(range(len(seeds))) and 4 <= len(seeds) <= 6  # no seed twice, none skipped
    assert "round 1: 2 runs" in again.stdout or "round 2" in again.stdout
    rows = read_csv(tmp_path / "plots" / "verdicts.csv")
    assert rows[0]["verdict"] in verdicts.VERDICTS
    assert int(rows[0]["n"]) in verdicts.schedule(3, 6)


def test_a_round_cut_short_is_completed_with_the_same_seeds():
    record = runspec.RunSpec("digits", "minivggnet", "adam", seed=0).record()
    records = {("digits", "minivggnet", o): dict(record, optimizer=o) for o in ("adam", "radam")}
    rows = [{"dataset": "digits", "model": "minivggnet", "optimizer": o, "seed": s, "batch": None}
            for o, seeds in (("adam", (0, 1, 2, 3)), ("radam", (0, 1, 2))) for s in seeds]
    problems = [{"dataset": "digits", "model": "minivggnet", "a": "adam", "b": "radam",
                 "verdict": "undecided"}]
    specs = next_round.missing_runs(rows, records, problems, 4)
    assert [(s.optimizer, s.seed) for s in specs] == [("radam", 3)]


# ------------------------------------------------------------------ every seed counts

def test_unequal_seeds_keep_the_family_wise_rate_and_read_every_seed():
    """One family with comparisons at 3, 10 and 20 seeds (and runs damaged): each is read
    on all its seeds at every look; the chance of any wrong call stays under 5% (4,000
    experiments: 6.2% is out of chance's reach from 5%)."""
    truth, seeds = [0, 0, 0, 0, 0, 0], [3, 3, 10, 10, 20, 20]
    for sd in (1.0, 2.0):
        for damaged in (0.0, 0.1):
            r = simulation.unequal_run(truth, sd, seeds, damaged=damaged)
            assert r["familywise_wrong"] <= 0.062, r
    r = simulation.unequal_run([0, 3, 0, 3, 3], 0.5, [3, 10, 10, 10, 20], experiments=2000)
    strong = [p for p in r["problems"] if p["true_diff"] == 3]
    assert all(p["better"] >= 0.99 and p["mean_seeds"] == p["seeds"] for p in strong), r
    # decided (nearly always at the first look) on the 10 seeds it had, not 3 because another had 3
    tight = [p for p in r["problems"] if p["true_diff"] == 0 and p["seeds"] == 10]
    assert tight[0]["equivalent"] >= 0.99 and tight[0]["mean_seeds"] < 10.1, r
    grid_rows = simulation.run(0.0, 2.0, experiments=3000, problems=6, optimizers=3,
                               start=[3, 10, 20], damaged=0.05)
    assert grid_rows["familywise_wrong"] <= 0.064, grid_rows


def known_truth_folder(tmp_path, seeds_of, truth, spread, seed=0):
    """Synthetic runs whose truth is known: per problem (model, dataset), Adam and RAdam
    with ``seeds_of`` seeds, RAdam ``truth`` points better, run-to-run sd ``spread``."""
    rng = np.random.default_rng(seed)
    out = tmp_path / "output"
    out.mkdir()
    for (model, dataset), n in seeds_of.items():
        base = rng.normal(0.85, 0.01, n)
        for opt, shift in (("adam", 0.0), ("radam", truth[(model, dataset)] / 100)):
            for s in range(n):
                acc = base[s] + shift + rng.normal(0, spread[(model, dataset)] / 100 / np.sqrt(2))
                write_run(out, f"{model}_{opt}_{dataset}_s{s}", history(epochs=3), acc=acc)
    return out


def test_every_problem_reads_all_its_seeds_and_strong_effects_are_decided(tmp_path):
    problems = [(m, d) for d in ("digits", "mnist") for m in ("minivggnet", "resnet", "googlenet")]
    seeds_of = dict(zip(problems, [3, 3, 10, 10, 10, 10]))
    truth = dict(zip(problems, [0, 0, 3, 3, 0, 0]))
    spread = dict(zip(problems, [0.5, 0.5, 0.5, 0.5, 0.1, 0.1]))
    out = known_truth_folder(tmp_path, seeds_of, truth, spread)
    assert plot.main(["-i", str(out), "-p", str(tmp_path / "plots")]) == 0
    rows = {(r["model"], r["dataset"]): r for r in read_csv(tmp_path / "plots" / "verdicts.csv")
            if r["scope"] == "problem"}
    for p in problems:
        assert int(rows[p]["n"]) == seeds_of[p], rows[p]  # never its first 3 because another has 3
        assert rows[p]["seeds_read"] == " ".join(map(str, range(seeds_of[p])))
        assert rows[p]["verdict"] not in ("worse",) and not (truth[p] == 0 and rows[p]["verdict"] == "better")
    assert [rows[p]["verdict"] for p in problems[2:]] == ["better", "better", "equivalent", "equivalent"]
    md = (tmp_path / "plots" / "summary.md").read_text()
    assert "This is the first look (the grid as run, 3 to 10 seeds per comparison)" in md

    # one run of a 10-seed problem damaged: that pair reads its 9 shared seeds, the rest 10
    (out / "resnet_radam_mnist_s4.pickle").write_bytes(b"damaged")
    assert plot.main(["-i", str(out), "-p", str(tmp_path / "plots")]) == 0
    again = {(r["model"], r["dataset"]): r for r in read_csv(tmp_path / "plots" / "verdicts.csv")
             if r["scope"] == "problem"}
    assert int(again[("resnet", "mnist")]["n"]) == 9
    assert [int(again[p]["n"]) for p in problems if p != ("resnet", "mnist")] == [3, 3, 10, 10, 10]
    assert [again[p]["verdict"] for p in problems[2:]] == ["better", "better", "equivalent", "equivalent"]
    assert "seed 4 of Adam left out: no readable RAdam run there" in \
        (tmp_path / "plots" / "summary.md").read_text()


def test_a_fixed_design_spends_all_of_alpha_once_and_decide_adds_nothing(tmp_path):
    out = grid_folder(tmp_path, {"adam": [0.80, 0.82, 0.84, 0.81], "radam": [0.815, 0.83, 0.86, 0.825]})
    assert plot.main(["-i", str(out), "-p", str(tmp_path / "p0")]) == 0
    first = read_csv(tmp_path / "p0" / "verdicts.csv")[0]
    assert plot.main(["-i", str(out), "-p", str(tmp_path / "p1"), "--fixed"]) == 0
    fixed = read_csv(tmp_path / "p1" / "verdicts.csv")[0]
    assert float(fixed["p_adjusted"]) < float(first["p_adjusted"])  # all of alpha, not a share
    assert json.loads((out / rounds.DESIGN_FILE).read_text())["design"] == "fixed"
    assert "One look with all of alpha" in (tmp_path / "p1" / "summary.md").read_text()
    result = run_script("decide.py", "-i", str(out))
    assert result.returncode == 2 and "its design is fixed" in result.stderr
    assert result.stderr.count("\n") == 1


def test_decide_refuses_to_replan_after_rounds(tmp_path):
    out = grid_folder(tmp_path, {"adam": [0.80, 0.82, 0.84], "radam": [0.81, 0.81, 0.86]})
    (out / "decide_round1.sh").write_text("#!/bin/sh\n")
    result = run_script("decide.py", "-i", str(out))
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "decide_round1.sh" in result.stderr and "restore decide.json" in result.stderr
    assert not (out / rounds.DESIGN_FILE).exists()


def test_one_design_for_every_verdict_and_the_looks_taken(tmp_path):
    """decide.json's looks, not a plan of seed counts, are what every verdict states: the
    tuned table and the every-setting table say the same looks and the same adjusted p."""
    out = tmp_path / "output"
    out.mkdir()
    for opt in ("adam", "radam"):
        for s in range(4):
            acc = 0.80 + 0.01 * s + (0.012 if opt == "radam" else 0.0)
            write_run(out, f"minivggnet_{opt}_digits_s{s}", history(epochs=3), acc=acc)
    rows, _, _ = __import__("pyimagesearch.runs.results", fromlist=["x"]).load_rows(str(out))
    design = rounds.start(str(out), 1.0, 8, [3, 4, 6, 8], rows)
    assert design.taken() == 1 and design.kind == "sequential"
    assert plot.main(["-i", str(out), "-p", str(tmp_path / "plots")]) == 0
    md = (tmp_path / "plots" / "summary.md").read_text()
    assert "Looks taken: 1 of decide.py's 4" in md and "aims at 3, 4, 6, 8 seeds" in md
    assert "the looks at 6, 9, 13, 20" not in md
    # runs added after the last look are not read until decide.py takes the next look
    for opt in ("adam", "radam"):
        write_run(out, f"minivggnet_{opt}_digits_s4", history(epochs=3), acc=0.9)
    assert plot.main(["-i", str(out), "-p", str(tmp_path / "plots")]) == 0
    row = read_csv(tmp_path / "plots" / "verdicts.csv")[0]
    assert row["n"] == "4" and "seed 4 not read: run after the last look" in \
        (tmp_path / "plots" / "summary.md").read_text()
