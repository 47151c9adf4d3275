"""The speed-up: "B reaches A's loss in 0.7x the steps", with a paired interval on the log
scale, censoring for runs that never reach, and error rates against a known truth."""
import csv
import math

import numpy as np
import pytest

import plot
from pyimagesearch.stats import simulation, speed
from tests.synthetic import history, write_run

EPOCHS = 60


def curve(scale, floor=0.0):
    """A validation loss exp(-t / scale) above ``floor``, at epochs t = 1..EPOCHS."""
    t = np.arange(1, EPOCHS + 1)
    return list(floor + np.exp(-t / scale))


def known_truth(tmp_path, seeds=6):
    """adam; radam, fast (every loss in 0.7x adam's steps); rmsprop, a twin (adam's own
    curve, its own noise); sgd, which never gets there (a floor above adam's final loss)."""
    rng = np.random.default_rng(0)
    out = tmp_path / "output"
    out.mkdir()
    for s in range(seeds):
        pace = 20 * math.exp(rng.normal(0, 0.05))  # the seed's pace, shared (same data order)
        scales = {"adam": pace, "radam": 0.7 * pace * math.exp(rng.normal(0, 0.03)),
                  "rmsprop": pace * math.exp(rng.normal(0, 0.01)), "sgd": pace}
        for opt, scale in scales.items():
            h = history(epochs=EPOCHS)
            h["val_loss"] = curve(scale, floor=0.2 if opt == "sgd" else 0.0)
            write_run(out, f"minivggnet_{opt}_digits_s{s}", h, acc=0.9)
    return out


def read(path):
    with open(path) as f:
        return {(r["a"], r["b"]): r for r in csv.DictReader(f) if r["scope"] == "problem"}


def test_the_known_truth_speed_ups_and_verdicts(tmp_path):
    out = known_truth(tmp_path)
    plots = tmp_path / "plots"
    assert plot.main(["-i", str(out), "-p", str(plots), "--metric", "val_loss", "--margin", "0.005"]) == 0
    verdicts = read(plots / "verdicts.csv")
    assert verdicts[("adam", "radam")]["verdict"] == "better"  # lower loss
    assert verdicts[("adam", "rmsprop")]["verdict"] in ("equivalent", "undecided")  # twins
    assert verdicts[("adam", "sgd")]["verdict"] == "worse"
    speeds = read(plots / "speedups.csv")
    fast = speeds[("adam", "radam")]
    assert fast["verdict"] == "faster" and float(fast["steps_ratio_low"]) <= 0.7 <= float(fast["steps_ratio_high"]) < 1
    assert speeds[("adam", "rmsprop")]["verdict"] in ("as fast", "undecided")
    never = speeds[("adam", "sgd")]
    # the target is a level both reach (the worse one's worst final loss): SGD gets there,
    # slower; with A's worst final as the target it never did, and the pair had no ratio
    assert int(never["censored"]) == 0 and never["verdict"] == "slower"
    assert float(never["steps_ratio"]) > 1 and float(never["speedup"]) < 1
    assert list(next(iter(speeds.values()))) == speed.SPEEDUP_COLUMNS
    md = (plots / "summary.md").read_text()
    assert "## Speed-up: steps to the target" in md and "never taken as reaching it" in md
    assert "in 0.7" in fast_text(md)


def fast_text(md):
    return next(line for line in md.splitlines() if line.startswith("| digits | minivggnet | adam | radam |")
                and "steps" in line)


def test_time_to_target_and_censoring():
    assert speed.time_to([0.5, 0.3, 0.2], [1, 2, 3], 0.3, "min") == (2, 3)
    assert speed.time_to([0.5, 0.4], [1, 2], 0.3, "min") == (None, 2)
    assert speed.time_to([0.1, 0.9], [10, 20], 0.8, "max") == (20, 20)
    assert speed.log_ratio((10, 20), (5, 20)) == pytest.approx(math.log(2))
    assert speed.log_ratio((10, 20), (None, 20)) == -math.inf  # B ran past A's time: slower
    assert math.isnan(speed.log_ratio((10, 20), (None, 8)))  # B stopped before A's time: unknown
    assert speed.log_ratio((None, 20), (5, 20)) == math.inf


def test_speed_tests_match_scipy():
    from scipy import stats
    d = np.log(np.array([1.4, 1.5, 1.3, 1.45, 1.38]))
    t = speed.speed_tests(d[None, :])
    assert t["p_value"][0] == pytest.approx(stats.ttest_1samp(d, 0).pvalue, rel=1e-9)
    censored = np.array([[0.3, 0.2, -np.inf, 0.4, 0.25, 0.3]])
    t = speed.speed_tests(censored)
    assert t["p_value"][0] == pytest.approx(stats.binomtest(5, 6).pvalue, rel=1e-9)
    assert math.isnan(t["ci_low"][0]) and t["p_equivalence"][0] == 1.0 and t["censored"][0] == 1


def test_speed_verdicts_against_a_known_truth():
    """A true 0.7x is called faster; no difference is called faster or slower in at most
    5% (4,000 experiments: 6.2% is out of chance's reach); a B that never reaches the target
    is never called faster; a tight 1.0x is called as fast."""
    assert simulation.speed_run(0.7, 0.2, experiments=2000)["faster"] >= 0.95
    for sd in (0.1, 0.2):
        null = simulation.speed_run(1.0, sd, experiments=4000)
        assert null["faster"] + null["slower"] <= 0.062, null
    never = simulation.speed_run(2.0, 0.1, experiments=2000)
    assert never["faster"] == 0 and never["censored"] > 0.9 and never["slower"] >= 0.95
    assert simulation.speed_run(1.0, 0.02, experiments=2000)["as fast"] >= 0.95


def test_the_symmetric_target_holds_its_error_rates_from_curves():
    """The speed-up from curves, the target as plot.py takes it (the worse optimizer's worst
    final value at the first look): with no true difference, faster or slower in at most 5%
    of 2,000 experiments (+1.5 points: 3 standard errors), failed runs and censored later
    seeds included; a true 0.8x found faster; A and B swapped, the mirror image."""
    from pyimagesearch.stats import simulation
    for sd, failed in ((0.1, 0.0), (0.2, 0.1)):
        null = simulation.speed_curves_run(1.0, sd, experiments=2000, failed=failed)
        assert null["faster"] + null["slower"] <= 0.065, null
        assert null["censored"] > 0.05  # later seeds short of the first look's target
    found = simulation.speed_curves_run(0.8, 0.1, experiments=2000)
    swapped = simulation.speed_curves_run(0.8, 0.1, experiments=2000, a_is_faster=True)
    assert found["faster"] >= 0.95 and swapped["slower"] == found["faster"]
    assert swapped["faster"] == found["slower"] and swapped["as fast"] == found["as fast"]
