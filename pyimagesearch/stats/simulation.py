"""Experiments with a known truth, run through the very decision procedure the summary
and decide.py use (:func:`verdicts.sequential`), to measure its error rates and the seeds
it spends. No I/O: benchmarks/verdicts.py prints these figures, tests assert them."""
import math

import numpy as np

from pyimagesearch.stats import measure, scale, speed, tuning, verdicts
from pyimagesearch.stats.analysis import resolution


def grid_differences(rng, experiments, problems, optimizers, true_gaps, sd, seeds):
    """Paired differences (points) of every pair of ``optimizers`` on every problem, as
    (experiments, comparisons, seeds). Each optimizer's accuracy on a seed is its true
    level (``true_gaps``[o] points above optimizer 0) plus a seed effect shared by all
    optimizers (the same initial weights) plus its own noise, scaled so that every
    pair's difference has standard deviation ``sd``."""
    own = rng.normal(0.0, sd / np.sqrt(2), (experiments, problems, optimizers, seeds))
    levels = np.asarray(true_gaps, float)[None, None, :, None]
    accuracy = levels + own  # the shared seed effect cancels in every difference
    pairs = [(i, j) for i in range(optimizers) for j in range(i + 1, optimizers)]
    diffs = np.stack([accuracy[:, :, j] - accuracy[:, :, i] for i, j in pairs], axis=2)
    return diffs.reshape(experiments, problems * len(pairs), seeds)


def run(true_diff, sd, experiments=4000, problems=1, optimizers=2, max_seeds=verdicts.MAX_SEEDS,
        start=3, margin=verdicts.MARGIN, seed=0, damaged=0.0):
    """The whole sequential procedure on simulated experiments where every optimizer but
    the first is ``true_diff`` points better than the first (so pairs among the others
    have no difference), as plot.py and decide.py run it: the looks of the default plan
    (verdicts.schedule from the fewest seeds, up to ``max_seeds``), each comparison read
    at every look on all the seeds it has. ``start``: the seeds each problem has at the
    first look, one number or one per problem (cycled): unequal seed counts, as a grid
    with a problem added later or run with more seeds has. ``damaged``: the share of the
    first look's runs whose file is unreadable (their seed is missing from every pair of
    that optimizer). Returns the share of each verdict over all comparisons whose true
    difference is ``true_diff``, the family-wise share of experiments with any wrong
    call, the mean seeds spent, and the seeds read at the first look."""
    rng = np.random.default_rng(seed)
    starts = np.resize(np.atleast_1d(np.asarray(start, int)), problems)
    width = max(max_seeds, int(starts.max()))
    gaps = [0.0] + [true_diff] * (optimizers - 1)
    diffs = grid_differences(rng, experiments, problems, optimizers, gaps, sd, width)
    pairs = [(i, j) for i in range(optimizers) for j in range(i + 1, optimizers)]
    if damaged:  # a damaged run of optimizer o at seed s removes that seed from o's pairs
        lost = rng.uniform(size=(experiments, problems, optimizers, width)) < damaged
        lost &= np.arange(width)[None, None, None, :] < starts[None, :, None, None]
        hole = np.stack([lost[:, :, i] | lost[:, :, j] for i, j in pairs], axis=2)
        diffs = np.where(hole.reshape(diffs.shape), np.nan, diffs)
    plan = verdicts.schedule(int(starts.min()), max_seeds)
    per_comparison = np.repeat(starts, len(pairs))
    counts = verdicts.planned_counts(per_comparison, plan, max(max_seeds, int(starts.max())))
    out = verdicts.sequential(diffs, counts, verdicts.look_weights(plan), margin)
    truth = np.tile(np.array([gaps[j] - gaps[i] for i, j in pairs]), problems)
    verdict = out["verdict"]
    wrong = ((truth == 0)[None, :] & np.isin(verdict, ["better", "worse"])) | \
        ((np.abs(truth) >= margin)[None, :] & (verdict == "equivalent")) | \
        ((truth > 0)[None, :] & (verdict == "worse")) | ((truth < 0)[None, :] & (verdict == "better"))
    mine = truth == true_diff
    shares = {v: float(np.mean(verdict[:, mine] == v)) for v in verdicts.VERDICTS}
    first = np.sum(~np.isnan(np.where(np.arange(width) < per_comparison[:, None], diffs, np.nan)),
                   axis=-1)
    return {"true_diff": true_diff, "sd": sd, "problems": problems, "optimizers": optimizers,
            "comparisons": len(truth), "plan": plan, **shares,
            "familywise_wrong": float(np.mean(wrong.any(axis=1))),
            "familywise_better_or_worse": float(np.mean(
                ((truth == 0)[None, :] & np.isin(verdict, ["better", "worse"])).any(axis=1))),
            "mean_seeds": float(np.mean(out["seeds"][:, mine])),
            "first_look_seeds": float(np.mean(first[:, mine]))}


def unequal_run(true_diffs, sd, seeds, experiments=4000, margin=verdicts.MARGIN, seed=0,
                damaged=0.0, max_seeds=verdicts.MAX_SEEDS):
    """One family of comparisons (one pair of optimizers on each of several problems) with
    its own truth and seeds per problem: ``true_diffs`` and ``seeds`` are parallel lists
    (e.g. problems at 3 seeds beside problems at 10 or 20). Returns, per problem, the
    share of each verdict and the mean seeds read, and the family-wise share of
    experiments with any wrong call."""
    rng = np.random.default_rng(seed)
    truth = np.asarray(true_diffs, float)
    starts = np.asarray(seeds, int)
    width = max(max_seeds, int(starts.max()))
    diffs = truth[None, :, None] + rng.normal(0.0, sd, (experiments, len(truth), width))
    if damaged:
        lost = rng.uniform(size=diffs.shape) < damaged
        diffs = np.where(lost & (np.arange(width) < starts[:, None])[None], np.nan, diffs)
    plan = verdicts.schedule(int(starts.min()), max_seeds)
    counts = verdicts.planned_counts(starts, plan, width)
    out = verdicts.sequential(diffs, counts, verdicts.look_weights(plan), margin)
    verdict = out["verdict"]
    wrong = ((truth == 0)[None, :] & np.isin(verdict, ["better", "worse"])) | \
        ((np.abs(truth) >= margin)[None, :] & (verdict == "equivalent")) | \
        ((truth > 0)[None, :] & (verdict == "worse")) | ((truth < 0)[None, :] & (verdict == "better"))
    per = [{"true_diff": float(t), "seeds": int(n),
            **{v: float(np.mean(verdict[:, i] == v)) for v in verdicts.VERDICTS},
            "mean_seeds": float(np.mean(out["seeds"][:, i]))}
           for i, (t, n) in enumerate(zip(truth, starts))]
    return {"plan": plan, "problems": per, "familywise_wrong": float(np.mean(wrong.any(axis=1)))}


def naive_false_positives(sd, experiments=4000, max_seeds=verdicts.MAX_SEEDS, seed=0):
    """What the design prevents: a fresh 5% t-test after every seed from 3 to
    ``max_seeds`` when there is no difference; the share of experiments that ever call a
    winner."""
    from scipy import stats
    rng = np.random.default_rng(seed)
    d = rng.normal(0.0, sd, (experiments, max_seeds))
    called = np.zeros(experiments, bool)
    for n in range(verdicts.MIN_PAIRS, max_seeds + 1):
        called |= stats.ttest_1samp(d[:, :n], 0.0, axis=1).pvalue <= verdicts.ALPHA
    return float(np.mean(called))


def budget_run(true_diff, sd, experiments=2000, trials=8, seeds=5, spread=3.0, noise=0.5,
               margin=verdicts.MARGIN, seed=0):
    """The verdict by tuning budget (analysis.budget_verdicts) on experiments with a known
    truth. Both optimizers respond to their T trials alike: trial t's true accuracy is
    the same draw (sd ``spread`` points) for both, B's shifted by ``true_diff``; a run adds
    its own effect (sd ``sd``), and its validation and test accuracies each their own
    sampling noise (sd ``noise``). Each trial is scored by its mean validation accuracy
    over seeds, and per seed the expected test accuracy at selection
    (:func:`tuning.expected_at_selection`) is compared, paired by seed, with the summary's
    rule at its first look (:func:`verdicts.sequential`). Returns, per budget b = 1..T,
    the shares of better, worse and equivalent verdicts."""
    rng = np.random.default_rng(seed)
    level = rng.normal(0.0, spread, (experiments, 1, trials, 1))  # (experiment, optimizer, trial, seed)
    level = level + np.array([0.0, true_diff])[None, :, None, None]
    run = level + rng.normal(0.0, sd, (experiments, 2, trials, seeds))
    val = run + rng.normal(0.0, noise, run.shape)
    test = run + rng.normal(0.0, noise, run.shape)
    weights = tuning.selection_weights(trials)
    order = np.argsort(val.mean(axis=-1), axis=-1, kind="stable")  # (experiment, optimizer, trial)
    ranked = np.take_along_axis(test, order[..., None], axis=2)
    selected = np.einsum("bt,eots->eobs", weights, ranked)  # (experiment, optimizer, budget, seed)
    diffs = selected[:, 1] - selected[:, 0]  # (experiment, budget, seed): budgets side by side
    plan = verdicts.schedule(seeds, verdicts.MAX_SEEDS)  # the summary's default plan
    out = []
    for b in range(trials):  # each budget a family of its own, as in the summary
        verdict = verdicts.sequential(diffs[:, b:b + 1], [seeds], verdicts.look_weights(plan),
                                      margin)["verdict"][:, 0]
        out.append({"budget": b + 1, **{v: float(np.mean(verdict == v))
                                         for v in ("better", "worse", "equivalent")}})
    return out


def metric_run(true_gain, sd, goal="min", experiments=4000, margin=0.02, max_seeds=verdicts.MAX_SEEDS,
               start=3, level=0.5, seed=0):
    """The verdict on a metric in its own units, either direction (a validation loss, say):
    A's value per seed is ``level`` plus a seed effect, B's is better by ``true_gain``
    (lower where ``goal`` is min), each with its own noise so that the difference has
    standard deviation ``sd``; the raw values go through :func:`measure.oriented`, as the
    summary's do. Returns the shares of each verdict and the mean seeds spent."""
    rng = np.random.default_rng(seed)
    m = measure.Measure("val_loss" if goal == "min" else "score", goal, margin)
    shared = rng.normal(0.0, 0.05, (experiments, 1, max_seeds))
    a = level + shared + rng.normal(0.0, sd / np.sqrt(2), shared.shape)
    b = level + shared + rng.normal(0.0, sd / np.sqrt(2), shared.shape) \
        + (-true_gain if goal == "min" else true_gain)
    diffs = measure.oriented(a, b, m)
    plan = verdicts.schedule(start, max_seeds)
    counts = verdicts.planned_counts(np.full(1, start), plan, max_seeds)
    out = verdicts.sequential(diffs, counts, verdicts.look_weights(plan), margin)
    verdict = out["verdict"][:, 0]
    return {"goal": goal, "true_gain": true_gain, "sd": sd, "margin": margin, "plan": plan,
            **{v: float(np.mean(verdict == v)) for v in verdicts.VERDICTS},
            "mean_seeds": float(np.mean(out["seeds"][:, 0]))}


def discrete_run(true_diff, sd, examples=170, level=0.85, experiments=4000,
                 margin=verdicts.MARGIN, max_seeds=verdicts.MAX_SEEDS, start=3, seed=0,
                 fixed_floor=None):
    """The verdict on a discrete metric, an accuracy on ``examples`` examples (in steps of
    100 / examples points): each run's true accuracy is ``level`` plus a seed effect plus
    its own noise (the difference's standard deviation ``sd`` points before rounding), B's
    ``true_diff`` points above A's, and what is observed is the nearest count of examples.
    With a small ``sd`` most runs of a pair agree to the example, a zero spread; the floor
    of the spread is the metric's resolution as the summary takes it
    (:func:`analysis.resolution`: the smallest gap between the values each look read, the
    margin where all are alike), or ``fixed_floor`` points (the rule before: a millionth). Returns
    the shares of each verdict, the mean seeds spent and the
    share of experiments whose first look saw a zero spread."""
    rng = np.random.default_rng(seed)
    shape = (experiments, 1, max_seeds)
    shared = rng.normal(0.0, 1.0, shape)  # the seed effect, in points
    true_a = 100 * level + shared + rng.normal(0.0, sd / np.sqrt(2), shape)
    true_b = 100 * level + true_diff + shared + rng.normal(0.0, sd / np.sqrt(2), shape)
    step = 100.0 / examples
    a, b = (np.round(np.clip(x, 0, 100) / step) * step for x in (true_a, true_b))
    plan = verdicts.schedule(start, max_seeds)
    counts = verdicts.planned_counts(np.full(1, start), plan, max_seeds)
    # each look's floor from the values that look read, as the summary takes it
    floors = [np.array([[resolution(np.concatenate([a[e, 0, :int(n[0])], b[e, 0, :int(n[0])]]),
                                    1.0, margin)] for e in range(experiments)])
              for n in counts]
    floor = fixed_floor if fixed_floor is not None else (lambda k: floors[k])
    out = verdicts.sequential(b - a, counts, verdicts.look_weights(plan), margin, floor)
    verdict = out["verdict"][:, 0]
    first = (b - a)[:, 0, :start]
    return {"true_diff": true_diff, "sd": sd, "examples": examples, "margin": margin,
            "plan": plan, **{v: float(np.mean(verdict == v)) for v in verdicts.VERDICTS},
            "mean_seeds": float(np.mean(out["seeds"][:, 0])),
            "zero_spread_first_look": float(np.mean(np.ptp(first, axis=-1) == 0))}


def speed_run(true_ratio, sd=0.1, experiments=4000, budget=1.5, start=3,
              max_seeds=verdicts.MAX_SEEDS, margin=0.05, seed=0):
    """The speed-up verdict (speed.speed_tests through verdicts.sequential, as plot.py runs
    it) on experiments with a known truth: A reaches the target at a time that varies by
    seed (log-normal, sd 0.1), B at ``true_ratio`` times A's with its own noise (sd of
    the log ratio ``sd``); a run not there by ``budget`` x A's typical time never reaches
    it (censored, its direction known when the budget is past the other's time). Returns
    the shares of faster, slower, as fast and undecided, the share censored, and the mean
    seeds spent."""
    rng = np.random.default_rng(seed)
    log_a = rng.normal(0.0, 0.1, (experiments, 1, max_seeds))
    log_b = log_a + math.log(true_ratio) + rng.normal(0.0, sd, log_a.shape)
    limit = math.log(budget)
    d = log_a - log_b
    b_never, a_never = log_b > limit, log_a > limit
    d = np.where(b_never & ~a_never, -np.inf, d)  # B censored past A's time: B slower
    d = np.where(a_never & ~b_never, np.inf, d)
    d = np.where(a_never & b_never, np.nan, d)
    plan = verdicts.schedule(start, max_seeds)
    counts = verdicts.planned_counts(np.full(1, start), plan, max_seeds)
    out = verdicts.sequential(d, counts, verdicts.look_weights(plan), margin, 0.0,
                              test=speed.speed_tests)
    verdict = np.vectorize(speed.SPEED_VERDICTS.get)(out["verdict"][:, 0])
    return {"true_ratio": true_ratio, "sd": sd, "plan": plan,
            **{v: float(np.mean(verdict == v)) for v in speed.SPEED_VERDICTS.values()},
            "censored": float(np.mean(np.isinf(d))),
            "mean_seeds": float(np.mean(out["seeds"][:, 0]))}


def speed_curves_run(true_ratio, sd=0.1, noise=0.002, experiments=2000, steps=40, start=3,
                     max_seeds=verdicts.MAX_SEEDS, margin=0.05, seed=0, a_is_faster=None,
                     failed=0.0):
    """The speed-up verdict from curves, as plot.py reaches it: each run's loss is
    c + k / t at evaluation steps 1..``steps`` plus measurement noise (sd ``noise``), so a
    run reaches any level L in k / (L - c) steps; A's k varies by seed (log-normal, sd 0.1),
    B's is ``true_ratio`` x A's with its own noise (sd of the log ratio ``sd``): B needs
    true_ratio x A's steps to reach any level, the truth. The target is the one plot.py
    takes (speed.target_for: the worse optimizer's worst final value over the first look's
    seeds), each run's time the first step at or below it (speed.time_to), a run that
    never gets there censored (speed.log_ratio); the looks as decide.py takes them.
    ``a_is_faster``: the same runs with the optimizers' roles swapped (B's curves as A's),
    which must give the mirror image. ``failed``: the share of runs lost (a failed run: its
    seed pair is left out, so comparisons have unequal seeds). Returns the shares of
    faster, slower, as fast and undecided, of censored pairs, and the mean seeds spent."""
    rng = np.random.default_rng(seed)
    log_a = rng.normal(0.0, 0.1, (experiments, max_seeds))
    log_b = log_a + math.log(true_ratio) + rng.normal(0.0, sd, log_a.shape)
    t = np.arange(1, steps + 1, dtype=float)
    k = 5.0  # A reaches its final-step level c + k / steps at step `steps`, on average
    floor = 0.5

    def curves(logs):
        return floor + k * np.exp(logs)[..., None] / t + rng.normal(0.0, noise, (*logs.shape,
                                                                                    steps))
    a, b = curves(log_a), curves(log_b)
    if a_is_faster:
        a, b = b, a
    plan = verdicts.schedule(start, max_seeds)
    counts = verdicts.planned_counts(np.full(1, start), plan, max_seeds)
    d = np.full((experiments, 1, max_seeds), np.nan)
    grid = [float(x) for x in t]
    for e in range(experiments):
        level = speed.target_for(a[e, :start, -1], b[e, :start, -1], "min")
        for s in range(max_seeds):
            d[e, 0, s] = speed.log_ratio(speed.time_to(list(a[e, s]), grid, level, "min"),
                                         speed.time_to(list(b[e, s]), grid, level, "min"))
    d = np.where(rng.random(d.shape) < failed, np.nan, d)
    out = verdicts.sequential(d, counts, verdicts.look_weights(plan), margin, 0.0,
                              test=speed.speed_tests)
    verdict = np.vectorize(speed.SPEED_VERDICTS.get)(out["verdict"][:, 0])
    seen = np.arange(max_seeds)[None, :] < out["seeds"][:, :1]
    return {"true_ratio": true_ratio, "sd": sd, "plan": plan,
            **{v: float(np.mean(verdict == v)) for v in speed.SPEED_VERDICTS.values()},
            "censored": float(np.mean(np.isinf(d[:, 0])[seen])),
            "mean_seeds": float(np.mean(out["seeds"][:, 0]))}


MODES = ("all pairs", "baseline", "race")


def many_optimizers(true_levels, spreads, mode, experiments=4000, max_seeds=verdicts.MAX_SEEDS,
                    start=3, margin=verdicts.MARGIN, seed=0, shared=1.0, looks=None):
    """k optimizers on one problem, decided as plot.py and decide.py do in ``mode``: "all
    pairs" (every pair, one family), "baseline" (each other optimizer against optimizer 0:
    k - 1 comparisons) or "race" (every pair of the survivors; a loser leaves). An
    optimizer's accuracy on a seed is its true level (points) plus a seed effect shared by
    all (sd ``shared``) plus its own noise (sd ``spreads`` [o]). Every optimizer starts
    with ``start`` seeds; seeds then go to the optimizers in open comparisons, look by
    look of the default plan, up to ``max_seeds``.

    Returns the family-wise share of experiments with any wrong call (a difference called
    where there is none, or the wrong way; an equivalence where the truth is outside the
    margin), the mean runs spent (seeds summed over optimizers) against k x max_seeds,
    and per comparison the share of each verdict; for the race, the share of experiments
    whose survivors are the best alone, hold the best, and lost it."""
    rng = np.random.default_rng(seed)
    levels = np.asarray(true_levels, float)
    k = len(levels)
    width = max(max_seeds, start)
    accuracy = (levels[None, :, None] + rng.normal(0.0, shared, (experiments, 1, width))
                + rng.normal(0.0, 1.0, (experiments, k, width)) * np.asarray(spreads, float)[None, :, None])
    if mode == "baseline":
        pairs = [(0, j) for j in range(1, k)]
    else:
        pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]
    diffs = np.stack([accuracy[:, j] - accuracy[:, i] for i, j in pairs], axis=1)
    looks = looks or (verdicts.RACE_LOOKS if mode == "race" else verdicts.LOOKS)  # decide.py's
    plan = verdicts.schedule(start, max_seeds, looks)
    counts = verdicts.planned_counts(np.full(len(pairs), start), plan, width)
    out = verdicts.sequential(diffs, counts, verdicts.look_weights(plan), margin,
                              players=pairs, race=mode == "race")
    truth = np.array([levels[j] - levels[i] for i, j in pairs])
    verdict = out["verdict"]
    wrong = ((truth == 0)[None, :] & np.isin(verdict, ["better", "worse"])) | \
        ((np.abs(truth) >= margin)[None, :] & (verdict == "equivalent")) | \
        ((truth > 0)[None, :] & (verdict == "worse")) | ((truth < 0)[None, :] & (verdict == "better"))
    runs = np.asarray(plan)[np.maximum(out["active"], 0)].sum(axis=1)
    result = {"mode": mode, "levels": levels.tolist(), "plan": plan, "comparisons": len(pairs),
              "familywise_wrong": float(np.mean(wrong.any(axis=1))),
              "mean_runs": float(np.mean(runs)), "cap_runs": k * max_seeds,
              "verdicts": [{"a": i, "b": j, "truth": float(t),
                            **{v: float(np.mean(verdict[:, c] == v)) for v in verdicts.VERDICTS}}
                           for c, ((i, j), t) in enumerate(zip(pairs, truth))]}
    if mode == "race":
        best = int(np.argmax(levels))
        survivors = out["left"] < 0
        result.update(best=best,
                      best_alone=float(np.mean(survivors[:, best] & (survivors.sum(axis=1) == 1))),
                      best_kept=float(np.mean(survivors[:, best])),
                      mean_survivors=float(np.mean(survivors.sum(axis=1))))
    return result


def tuned_decision(gap, experiments=4000, trials=4, start=3, spread=1.5, run_sd=1.0,
                   noise=0.5, margin=verdicts.MARGIN, max_seeds=verdicts.MAX_SEEDS, seed=0):
    """decide.py on a tuned grid: two optimizers, ``trials`` settings each, B's settings
    ``gap`` points better on average. A setting's true accuracy is its optimizer's level plus
    its own draw (sd ``spread``); a run adds an effect of its seed (sd ``run_sd``) that its
    validation and test accuracies share, and each its own sampling noise (sd ``noise``).
    Each optimizer's setting is selected on the mean validation accuracy of the first
    ``start`` seeds and fixed; the looks then read the test accuracies of those settings,
    the first seeds (which selection saw, on validation) included, the later seeds new.

    The truth a verdict is judged against is the selected settings' true difference: the
    question is whether tuned B beats tuned A. The first seeds flatter the setting they
    selected (their run effects helped it win), on test too, since the run effect is
    shared; both optimizers get that flattery, so it cancels on average, and what is left
    is measured here. Returns the family-wise wrong share, the shares of each verdict, and
    the mean seeds."""
    rng = np.random.default_rng(seed)
    width = max(max_seeds, start)
    truth_setting = rng.normal(0.0, spread, (experiments, 2, trials)) + np.array([0.0, gap])[None, :, None]
    run = rng.normal(0.0, run_sd, (experiments, 2, trials, width))
    val = truth_setting[..., None] + run + rng.normal(0.0, noise, run.shape)
    test = truth_setting[..., None] + run + rng.normal(0.0, noise, run.shape)
    chosen = np.argmax(val[..., :start].mean(axis=-1), axis=-1)  # (experiments, 2)
    pick = lambda a: np.take_along_axis(a, chosen[:, :, None, None], axis=2)[:, :, 0]
    selected_test = pick(test)  # (experiments, 2, width)
    truth = np.take_along_axis(truth_setting, chosen[:, :, None], axis=2)[:, :, 0]
    true_diff = truth[:, 1] - truth[:, 0]
    diffs = (selected_test[:, 1] - selected_test[:, 0])[:, None, :]
    plan = verdicts.schedule(start, max_seeds)
    counts = verdicts.planned_counts(np.full(1, start), plan, width)
    out = verdicts.sequential(diffs, counts, verdicts.look_weights(plan), margin)
    verdict = out["verdict"][:, 0]
    wrong = ((verdict == "better") & (true_diff <= 0)) | ((verdict == "worse") & (true_diff >= 0)) \
        | ((verdict == "equivalent") & (np.abs(true_diff) >= margin))
    return {"gap": gap, "trials": trials, "plan": plan,
            "wrong": float(np.mean(wrong)),
            **{v: float(np.mean(verdict == v)) for v in verdicts.VERDICTS},
            "mean_seeds": float(np.mean(out["seeds"][:, 0])),
            "selection_flattery": float(np.mean(selected_test[:, :, :start].mean(-1) - truth))}


def scale_run(per_doubling, experiments=2000, sizes=4, seeds=5, sd=0.05, sd_growth=0.5,
              tau=0.0, censored_size=None, project=(2, 4), start_speedup=1.4, seed=0):
    """Series of known trend through :func:`scale.trends`: B's speed-up is
    ``start_speedup`` at the smallest size and changes by ``per_doubling`` (a factor) with
    each of ``sizes`` doublings; each seed pair's log ratio has spread ``sd`` at the
    smallest size, growing by ``sd_growth`` of it per doubling (larger models noisier);
    ``seeds``: one number, or one per size (cycled: unequal seeds); ``tau``: each size's
    own departure from the line (log scale), so that the sizes disagree beyond their seeds;
    ``censored_size``: a size (index) whose seed pairs include one censored run, left out.
    Returns the share of experiments whose per-doubling interval holds the truth, the share
    of each verdict, the share of random-effects fits, and the share of projections
    ``project`` doublings beyond the largest size whose 95% interval holds the true mean
    speed-up there (the line plus the size's own departure, where tau)."""
    rng = np.random.default_rng(seed)
    counts = np.resize(np.atleast_1d(np.asarray(seeds, int)), sizes)
    beta = np.log(per_doubling)
    size_values = tuple(float(2 ** (16 + i)) for i in range(sizes))
    covered, random_effects = 0, 0
    calls = {w: 0 for w in scale.WORDS.values()}
    projected = {d: 0 for d in project}
    for _ in range(experiments):
        values = []
        for i in range(sizes):
            mean = np.log(start_speedup) + beta * i + rng.normal(0, tau)
            one = rng.normal(mean, sd * (1 + sd_growth * i), counts[i])
            if i == censored_size:
                one[0] = np.inf
            values.append(tuple(one))
        found = []
        for d in project:
            series = scale.Series("a", "b", "speedup", size_values,
                                  tuple(f"p{i}" for i in range(sizes)), tuple(values),
                                  np.log(1 + scale.TREND_MARGIN))
            found.append(scale.trends([series], project_to=size_values[-1] * 2 ** d)[0])
        row = found[0]
        covered += row["ci_low"] <= per_doubling <= row["ci_high"]
        calls[row["verdict"]] += 1
        random_effects += row["method"].startswith("random")
        for d, r in zip(project, found):
            truth = np.exp(np.log(start_speedup) + beta * (sizes - 1 + d) + rng.normal(0, tau))
            projected[d] += r["projected_low"] <= truth <= r["projected_high"]
    return {"coverage": covered / experiments,
            "verdicts": {w: n / experiments for w, n in calls.items()},
            "random_effects": random_effects / experiments,
            "projection_coverage": {d: n / experiments for d, n in projected.items()}}
