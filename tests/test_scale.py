"""Does the speed-up survive scale? The trend of a pair's speed-up and difference across
sizes: the fit checked against statsmodels, its error rates by simulation with a known
truth, and a program whose speed-up shrinks by a known factor per doubling, through
combinations.py, its grid and plot.py."""
import csv
import math
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import combinations
from pyimagesearch import api
from pyimagesearch.stats import scale, simulation
from tests.conftest import run_script


# ------------------------------------------------------------------ the fit, by hand and by statsmodels

def seed_data(rng, means, sds, counts):
    return [rng.normal(m, s, n) for m, s, n in zip(means, sds, counts)]


def test_the_fit_is_statsmodels_weighted_least_squares_and_its_lack_of_fit_test():
    sm = pytest.importorskip("statsmodels.api")
    from statsmodels.formula.api import ols
    from statsmodels.stats.anova import anova_lm
    import pandas as pd
    rng = np.random.default_rng(3)
    x = np.array([14.0, 15.0, 16.0, 17.0])
    counts = np.array([5, 5, 5, 5])
    for means in ([0.3, 0.2, 0.1, 0.0], [0.3, 0.05, 0.25, 0.0]):  # on the line; off it
        data = seed_data(rng, means, [0.05] * 4, counts)
        y = np.array([d.mean() for d in data])
        se = np.array([d.std(ddof=1) / math.sqrt(len(d)) for d in data])
        line = scale.fit(x, y, se, counts)
        wls = sm.WLS(y, sm.add_constant(x), weights=counts).fit()
        assert line.slope == pytest.approx(wls.params[1], rel=1e-10)
        assert line.intercept == pytest.approx(wls.params[0], rel=1e-10)
        # the lack-of-fit F test: the linear model against one mean per size, on the seeds
        frame = pd.DataFrame({"x": np.repeat(x, counts), "y": np.concatenate(data)})
        table = anova_lm(ols("y ~ x", frame).fit(), ols("y ~ C(x)", frame).fit())
        assert line.q == pytest.approx(table["F"][1], rel=1e-8)
        assert line.q_p == pytest.approx(table["Pr(>F)"][1], rel=1e-8)
        if line.method.startswith("random"):  # the interval from the means' own scatter
            assert line.slope_se == pytest.approx(wls.bse[1], rel=1e-10)
            assert line.df == 2
        else:  # each size's own spread: sum of c_i^2 se_i^2
            c = np.linalg.inv(sm.add_constant(x).T @ (counts[:, None] * sm.add_constant(x))) \
                @ (sm.add_constant(x).T * counts)
            assert line.slope_se ** 2 == pytest.approx(np.sum(c[1] ** 2 * se ** 2), rel=1e-10)
    assert scale.fit(x, [0.3, 0.05, 0.25, 0.0], [0.02] * 4, counts).method.startswith("random")


# ------------------------------------------------------------------ error rates, by simulation

N = 1500  # simulated series per case: a rate's standard error is at most 0.6 points here
SLACK = 3 * math.sqrt(0.05 * 0.95 / N)  # beyond 5% by more than this: not chance


@pytest.mark.parametrize("options", [
    {}, {"seeds": (3, 5, 4, 6)}, {"sizes": 5, "censored_size": 2},
    {"seeds": 3, "sd_growth": 2.0}, {"tau": 0.05}, {"tau": 0.10}],
    ids=["equal", "unequal-seeds", "censored", "noisy-large", "off-the-line", "far-off-the-line"])
def test_a_flat_trend_is_called_shrinking_or_growing_at_most_5_percent(options):
    r = simulation.scale_run(1.0, experiments=N, seed=11, **options)
    wrong = r["verdicts"]["shrinks"] + r["verdicts"]["grows"]
    assert wrong <= 0.05 + SLACK, r
    assert r["coverage"] >= 0.95 - SLACK, r
    assert r["projection_coverage"][2] >= 0.95 - SLACK, r
    assert r["projection_coverage"][4] >= 0.95 - SLACK, r


def test_a_shrinking_speedup_is_found_and_its_interval_holds_the_truth():
    r = simulation.scale_run(0.9, experiments=N, seed=12)
    assert r["verdicts"]["shrinks"] >= 0.75 and r["verdicts"]["grows"] == 0
    assert r["coverage"] >= 0.95 - SLACK


def test_a_censored_size_is_named_and_left_out_never_imputed():
    values = ((0.3, 0.31, 0.29), (0.25, math.inf, 0.26), (0.2, 0.21, 0.19), (0.1, 0.11, 0.12))
    series = scale.Series("a", "b", "speedup", (1e4, 2e4, 4e4, 8e4), ("p0", "p1", "p2", "p3"),
                          values, math.log(1.05))
    row, = scale.trends([series])
    assert row["censored_sizes"] == (2e4,) and row["sizes"] == (1e4, 4e4, 8e4)
    assert len(row["points"]) == 3


# ------------------------------------------------------------------ a program with a known trend

PROGRAM = r'''
import argparse, json, math, os, random
ap = argparse.ArgumentParser()
ap.add_argument("--opt"); ap.add_argument("--seed", type=int); ap.add_argument("--out")
ap.add_argument("--problem")
args = ap.parse_args()
doublings = int(args.problem[1:])          # s0 .. s3: 2^14 .. 2^17 parameters
rng = random.Random(f"{args.opt} {args.seed} {doublings}")
# B's speed-up over AdamW at each size: Muon's shrinks by 0.85 per doubling, Lion's stays
speedup = {"adamw": 1.0, "muon": 2.0 * 0.85 ** doublings, "lion": 1.5}[args.opt]
tau = 100.0 / speedup * math.exp(rng.gauss(0, 0.05))
os.makedirs(args.out, exist_ok=True)
with open(os.path.join(args.out, "metrics.jsonl"), "w") as f:
    for step in range(10, 2001, 10):
        f.write(json.dumps({"step": step, "val_loss": 0.5 + 2.0 / (1 + step / tau),
                            "n_params": 2 ** (14 + doublings)}) + "\n")
'''


@pytest.fixture(scope="module")
def known_trend(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("scale")
    program = tmp / "prog.py"
    program.write_text(PROGRAM)
    out, script = tmp / "out", tmp / "grid.sh"
    assert combinations.main([
        "-o", str(out), "-s", str(script), "--metric", "val_loss", "--margin", "0.01",
        "--command", f"python {program} --opt {{optimizer}} --seed {{seed}} --out {{run_dir}} "
                     "--problem {problem}",
        "--optimizers", "adamw,muon,lion", "--seeds", "0,1,2,3", "--problems", "s0,s1,s2,s3"]) == 0
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    done = subprocess.run(["sh", str(script)], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:]
    return tmp, out


def test_a_shrinking_speedup_over_four_sizes_is_called_shrinks(known_trend):
    tmp, out = known_trend
    result = api.compare(api.load_runs(str(out)), project_to=2 ** 19)
    trend = {(r["a"], r["b"], r["quantity"]): r for r in result.scale}
    muon = trend[("adamw", "muon", "speedup")]
    assert muon["verdict"] == "shrinks"
    assert muon["ci_low"] <= 0.85 <= muon["ci_high"]
    assert muon["sizes"] == (2 ** 14, 2 ** 15, 2 ** 16, 2 ** 17)
    assert muon["doublings_beyond"] == pytest.approx(2.0)
    # the truth there: 2 x 0.85^5 = 0.887
    assert muon["projected_low"] <= 2 * 0.85 ** 5 <= muon["projected_high"]
    lion = trend[("adamw", "lion", "speedup")]
    assert lion["verdict"] not in ("shrinks", "grows")
    assert lion["ci_low"] <= 1.0 <= lion["ci_high"]
    assert set(result.trends["quantity"]) == {"speedup", "gain", "effective_speedup"}
    # Wen et al.'s effective speed-up has the same truth here (the curves differ by a time
    # scale alone): its own family, its own trend
    effective = trend[("adamw", "muon", "effective_speedup")]
    assert effective["verdict"] == "shrinks"
    assert effective["ci_low"] <= 0.85 <= effective["ci_high"]
    assert trend[("adamw", "lion", "effective_speedup")]["verdict"] not in ("shrinks", "grows")


def test_plot_writes_the_trends_table_section_and_figure(known_trend):
    tmp, out = known_trend
    plots = tmp / "plots"
    done = run_script("plot.py", "-i", str(out), "-p", str(plots), "--project-to", "512k")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "[INFO] across sizes (scale.csv):" in done.stdout
    assert "Muon's speed-up over AdamW (AdamW's steps to the target over Muon's) changes by" \
        in done.stdout
    with open(plots / "scale.csv") as f:
        rows = {(r["a"], r["b"], r["quantity"]): r for r in csv.DictReader(f)}
    assert rows[("adamw", "muon", "speedup")]["verdict"] == "shrinks"
    assert rows[("adamw", "muon", "speedup")]["sizes"] == "16384;32768;65536;131072"
    assert float(rows[("adamw", "muon", "speedup")]["project_to"]) == 512000
    summary = (plots / "summary.md").read_text()
    assert "## Across sizes: does the speed-up survive scale?" in summary
    assert (plots / "scale.png").stat().st_size > 10_000
    page = (plots / "report.html").read_text()
    assert 'data-kind="scale"' in page


def test_the_page_draws_the_trend_in_a_real_browser(known_trend):
    from tests import browser
    if browser.missing():
        pytest.skip(browser.missing())
    tmp, out = known_trend
    plots = tmp / "plots_browser"
    assert run_script("plot.py", "-i", str(out), "-p", str(plots), "--project-to", "1M",
                      ).returncode == 0
    with browser.open_page(plots / "report.html") as page:
        figure = page.page.locator('.figure[data-kind="scale"]')
        assert figure.locator(".main-svg").count() >= 1
        legend = figure.inner_text()
        assert "Muon over AdamW: shrinks" in legend
        assert not page.errors and not page.blocked


@pytest.mark.parametrize("argv, message", [
    (["--project-to", "1k"], "--project-to 1000: below the smallest size run (16384)"),
    (["--project-to", "1e9"], "doublings beyond the largest size run (131072); at most 8"),
    (["--size-key", "width"], "--size-key width: no run has it (there are: n_params, val_loss)"),
    (["--project-to", "-5"], "argument --project-to: '-5': a size must be a positive number"),
])
def test_bad_scale_input_is_one_line(known_trend, argv, message):
    tmp, out = known_trend
    done = run_script("plot.py", "-i", str(out), "-p", str(tmp / "bad"), *argv)
    err = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(err) == 1 and message in err[0], done.stderr[-1000:]


def test_fewer_than_three_sizes_for_a_trend_is_one_line(tmp_path):
    from tests.test_sources import known_runs, write_table
    rows = known_runs()
    for r in rows:
        r["metrics.n_params"] = 1000
    table = write_table(tmp_path / "runs.csv", rows)
    done = run_script("plot.py", "-i", table, "-p", str(tmp_path / "plots"), "--metric",
                      "val_loss", "--margin", "0.01", "--project-to", "1M")
    err = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(err) == 1, done.stderr[-1000:]
    assert "a trend over sizes needs at least 3 sizes of one series; these runs have 1" in err[0]
    # not asked for, one size is no series: nothing said of sizes at all
    result = api.compare(api.load_runs(table, metric="val_loss"), metric="val_loss", margin=0.01)
    assert result.scale == () and result.trends.empty


def test_decide_refuses_a_bad_projection_before_any_round(known_trend):
    tmp, out = known_trend
    done = run_script("decide.py", "-i", str(out), "-p", str(tmp / "decided"),
                      "--project-to", "1e12")
    err = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(err) == 1 and "at most 8" in err[0], done.stderr[-1000:]
    assert not (out / "decide.json").exists()
    assert not list(out.glob("decide_round*.sh"))


def test_the_effective_speedup_at_b_final_loss_is_wen_et_al_measure(known_trend):
    """The program's loss is 0.5 + 2 / (1 + t / tau): A reaches B's final loss after exactly
    the speed-up times B's steps, past its own run: found from A's fitted curve, said to be
    model-based."""
    tmp, out = known_trend
    result = api.compare(api.load_runs(str(out)))
    rows = {(r["dataset"], r["a"], r["b"]): r for r in result.speed_rows}
    for (problem, b), truth in {("s0", "muon"): 2.0, ("s0", "lion"): 1.5,
                                ("s3", "muon"): 2.0 * 0.85 ** 3}.items():
        row = rows[(problem, "adamw", b)]
        assert row["effective_speedup_low"] <= truth <= row["effective_speedup_high"], row
        assert row["effective_model_based"] == row["effective_n"] == 4
        assert "model-based" in row["text"]
    assert list(result.speedups.columns)[-8:] == [
        "effective_speedup", "effective_speedup_low", "effective_speedup_high", "effective_at",
        "effective_note",
        "effective_n", "effective_model_based", "effective_censored"]


def test_a_curve_fit_recovers_a_power_law_and_says_where_it_never_reaches():
    from pyimagesearch.stats import speed
    steps = [10.0 * k for k in range(1, 101)]
    values = [3.0 * t ** -0.5 + 0.2 for t in steps]
    fit = speed.fit_curve(values, steps)
    assert fit == pytest.approx((3.0, 0.5, 0.2), rel=1e-4)
    assert speed.steps_to_reach(fit, 3.0 * 4000 ** -0.5 + 0.2) == pytest.approx(4000, rel=1e-4)
    assert speed.steps_to_reach(fit, 0.1) == math.inf  # below its asymptote: never


def test_the_curve_fit_is_least_squares_at_least_as_good_as_scipys_solver_from_the_truth():
    """Checked against scipy's curve_fit started at the true parameters: on noisy curves of
    every shape the fit's residual is never larger (it searches b's whole range)."""
    from scipy import optimize
    from pyimagesearch.stats import speed
    rng = np.random.default_rng(3)
    for _ in range(60):
        n = int(rng.integers(6, 80))
        steps = np.arange(1, n + 1) * float(rng.integers(1, 300))
        a, b, c = rng.uniform(0.1, 3), rng.uniform(0.05, 3), rng.uniform(-1, 1)
        values = c + a * steps ** -b + rng.normal(0, rng.choice([1e-4, 1e-2, 0.1]), n)
        fit = speed.fit_curve(values, steps)
        t, y = steps[n // 2:], values[n // 2:]
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", optimize.OptimizeWarning)  # its covariance: unused
            theirs, _ = optimize.curve_fit(lambda x, a, b, c: a * x ** -b + c, t, y, p0=(a, b, c),
                                           method="lm", maxfev=20000)

        def rss(p):
            return float(np.sum((y - (p[0] * t ** -p[1] + p[2])) ** 2))
        if 1e-3 <= theirs[1] <= 10:  # inside the range of b the fit searches
            assert rss(fit) <= rss(theirs) * (1 + 1e-6) + 1e-12


def test_sizes_given_to_the_grid_make_a_series_for_a_program_that_logs_none(tmp_path, capsys):
    program = tmp_path / "prog.py"
    program.write_text(PROGRAM.replace(',\n                            "n_params": 2 ** (14 + doublings)', ""))
    assert "n_params" not in program.read_text()
    out, script = tmp_path / "out", tmp_path / "grid.sh"
    base = ["-o", str(out), "-s", str(script), "--metric", "val_loss", "--margin", "0.01",
            "--command", f"python {program} --opt {{optimizer}} --seed {{seed}} "
                         "--out {run_dir} --problem {problem}",
            "--optimizers", "adamw,muon", "--seeds", "0,1,2", "--problems", "s0,s1,s2"]
    with pytest.raises(SystemExit):
        combinations.main(base + ["--sizes", "16k,32k"])
    assert "--sizes: 2 sizes for 3 --problems" in capsys.readouterr().err
    assert combinations.main(base + ["--sizes", "16k,32k,64k"]) == 0
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    assert subprocess.run(["sh", str(script)], env=env, capture_output=True).returncode == 0
    runs = api.load_runs(str(out))
    assert sorted(set(runs.frame["n_params"])) == [16000, 32000, 64000]
    trend, = [r for r in api.compare(runs).scale if r["quantity"] == "speedup"]
    assert trend["sizes"] == (16000, 32000, 64000) and trend["ci_low"] <= 0.85 <= trend["ci_high"]
