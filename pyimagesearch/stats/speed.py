"""The speed-up: does B reach A's result in fewer steps? No I/O: rows and histories in,
speed-up rows out (plot.py writes them to plots/speedups.csv and the summary).

Per problem, pair and seed: the first step (evaluation point: an epoch for train.py's
runs, the logged ``step`` for a program's) at which each run's metric reaches a target,
by default the worse of the two optimizers' worst final values over the seeds of the
first look (a level every run of both reached, whichever optimizer is A), or
``--target X``. The data are d = log(T_A / T_B): positive when B is faster. Reported as
``steps_ratio`` (B's steps over A's, exp(-d)) and ``speedup`` (A's over B's, exp(d)).

- No run censored: d's paired t-test (two-sided), its 95% interval exponentiated into the
  geometric-mean ratio T_B / T_A and its interval, and TOST on d within
  ±log(1 + speed margin) for "as fast".
- A run that never reaches the target is censored, never imputed: its T is only known to
  exceed its last step. Then the pair's direction is known where the censored run ran at
  least as long as the other needed (B censored past T_A: B slower; A censored past T_B:
  B faster), unknown otherwise (left out); the test is the sign test on the known
  directions (exact binomial, two-sided), no interval, and "as fast" is not claimed (the
  censored ratio is unbounded).
- Beside it, Wen et al.'s (2025) effective speed-up at the better optimizer's final value
  (the one whose mean final value is the better; Wen et al.'s baseline is the worse):
  per seed pair, the steps the worse one needs to reach the better one's final value
  over the better one's steps; where it never reached it in its run, from its curve
  a t^-b + c fitted to its second half (model-based, and counted as such); where that
  curve never reaches it, censored. Reported as A's steps over B's whichever is better
  (``effective_speedup``), its geometric mean and t-interval; no verdict of its own (the
  steps-to-target ratio's verdict is the decision).
- Verdicts: faster, slower, as fast (within the margin), undecided; the speed-ups are a
  family of their own (Holm over every comparison's two hypotheses, Shaffer's refinement,
  the same looks and alpha shares as the other verdicts), because they answer a question
  of their own that a reader takes on its own: so the chance of any wrong faster, slower
  or as-fast call among them is at most alpha, as it is for the metric's verdicts.
"""
import functools
import math

import numpy as np
from scipy import optimize, stats

from pyimagesearch import registry
from pyimagesearch.stats import analysis, verdicts
from pyimagesearch.stats.measure import sign
from pyimagesearch.stats.problems import problem

SPEED_MARGIN = 0.05  # as fast within 5%: |log(T_B / T_A)| < log(1.05)
UNSUPPORTED = 10.0  # a model-based effective speed-up whose interval spans more: no estimate
RESOLUTION = 1e-6  # the floor of the log ratios' spread
SPEED_VERDICTS = {"better": "faster", "worse": "slower", "equivalent": "as fast",
                  "undecided": "undecided"}


def time_to(values, steps, target, goal):
    """(the first step at which ``values`` reaches ``target``, or None; the last step)."""
    for step, value in zip(steps, values):
        if math.isfinite(value) and sign(goal) * value >= sign(goal) * target:
            return step, steps[-1]
    return None, (steps[-1] if steps else None)


def log_ratio(a_time, b_time):
    """d = log(T_A / T_B) of one seed pair (each time: (first step reached or None, last
    step)). A censored pair whose direction is known is +inf (B faster) or -inf (B slower);
    one whose direction is unknown is nan, as a seed not run is: left out."""
    (ta, last_a), (tb, last_b) = a_time, b_time
    if (ta is not None and ta <= 0) or (tb is not None and tb <= 0):
        return math.nan  # reached before any step was taken: no ratio of steps
    if ta is not None and tb is not None:
        return math.log(ta / tb)
    if ta is not None and tb is None:
        return -math.inf if last_b is not None and last_b >= ta else math.nan
    if ta is None and tb is not None:
        return math.inf if last_a is not None and last_a >= tb else math.nan
    return math.nan


def speed_tests(d, margin=SPEED_MARGIN, resolution=0.0):
    """:func:`verdicts.paired_tests`' results on log ratios ``d`` (..., n: finite, or +-inf
    for a censored pair of known direction, nan for none): the paired t-test, interval and
    TOST where no pair is censored; the sign test on the directions (exact binomial,
    two-sided), no interval and no "as fast", where one is. ``margin``: the speed margin
    as a fraction (5%), ``resolution``: unused (a ratio has no test images)."""
    d = np.asarray(d, float)
    censored = np.isinf(d)
    # runs that reach the target at the very same step are not known to zero spread
    tests = verdicts.paired_tests(np.where(censored, np.nan, d), math.log(1 + margin),
                                  RESOLUTION)
    any_censored = censored.any(axis=-1)
    wins = np.sum(d > 0, axis=-1)
    losses = np.sum(d < 0, axis=-1)
    total = wins + losses
    sign_p = np.where(total >= verdicts.MIN_PAIRS, np.minimum(
        1.0, 2 * stats.binom.cdf(np.minimum(wins, losses), np.maximum(total, 1), 0.5)), 1.0)
    out = dict(tests)
    out["p_value"] = np.where(any_censored, sign_p, tests["p_value"])
    out["p_equivalence"] = np.where(any_censored, 1.0, tests["p_equivalence"])
    direction = np.where(wins > losses, np.inf, np.where(wins < losses, -np.inf, 0.0))
    out["mean"] = np.where(any_censored, direction, tests["mean"])
    out["n"] = np.where(any_censored, np.sum(~np.isnan(d), axis=-1), tests["n"])
    for key in ("ci_low", "ci_high"):
        out[key] = np.where(any_censored, np.nan, tests[key])
    out["censored"] = np.sum(censored, axis=-1)
    return out


def fit_curve(values, steps):
    """A's curve L(t) = a t^-b + c (b in [0.001, 10]) fitted by least squares to the second
    half of its evaluation points, as Wen et al. (2025) fit a baseline's loss against its
    budget; (a, b, c), or None where fewer than 3 finite points."""
    return _fit(tuple(values), tuple(steps))


# b's range, and the grid its search starts on (then refined between the best point's
# neighbours): for a given b the best a and c are a straight line's fit in t^-b
EXPONENTS = np.geomspace(1e-3, 10.0, 241)


@functools.lru_cache(maxsize=4096)  # a run's curve is fitted once, whichever pair asks again
def _fit(values, steps):
    points = [(t, v) for t, v in zip(steps, values) if t > 0 and math.isfinite(v)]
    half = points[len(points) // 2:]
    if len(half) < 3:
        return None
    t, y = np.array(half, float).T
    x = t / t[-1]  # steps in units of the last, so that x^-b stays in range for any b
    # variable projection (Golub and Pereyra 1973): the residual is a function of b alone,
    # searched over b's whole range, so no starting guess can leave it in a local minimum
    # (a general solver from one guess did, on 12% of simulated curves, and took 20x longer)
    rss = _line_in(x, y, EXPONENTS)[0]
    best = int(np.argmin(rss))
    low, high = EXPONENTS[max(best - 1, 0)], EXPONENTS[min(best + 1, len(EXPONENTS) - 1)]
    refined = optimize.minimize_scalar(lambda b: _line_in(x, y, [b])[0][0], bounds=(low, high),
                                       method="bounded", options={"xatol": 1e-10})
    b = refined.x if refined.fun <= rss[best] else EXPONENTS[best]
    _, a, c = _line_in(x, y, [b])
    return float(a[0]) * t[-1] ** b, float(b), float(c[0])  # back to steps: a t^-b, t in steps


def _line_in(x, y, exponents):
    """For each b: the residual sum of squares of y = a x^-b + c, and that a and c (the
    least-squares line in u = x^-b)."""
    u = x[None, :] ** -np.asarray(exponents, float)[:, None]
    du = u - u.mean(axis=1, keepdims=True)
    dy = y - y.mean()
    suu = np.sum(du * du, axis=1)
    a = np.where(suu > 0, np.sum(du * dy, axis=1) / np.where(suu > 0, suu, 1.0), 0.0)
    c = y.mean() - a * u.mean(axis=1)
    return np.sum((y - a[:, None] * u - c[:, None]) ** 2, axis=1), a, c


def steps_to_reach(fit, target):
    """Where the fitted curve reaches ``target``: ((target - c) / a)^(-1/b), or inf where it
    never does (its asymptote c short of the target)."""
    a, b, c = fit
    ratio = (target - c) / a if a else -1.0
    return ratio ** (-1.0 / b) if ratio > 0 else math.inf


def effective(a_runs, b_runs, goal):
    """Wen et al.'s effective speed-up, per seed pair, at the final value of the optimizer
    that ends better (:func:`better_side`): the steps the other needs to reach it over
    the steps the better one took, as log(A's steps / B's steps) whichever side that is.
    Returns (log ratios, model-based count, censored count, the side whose final value is
    the level: "a" or "b")."""
    if better_side(a_runs, b_runs, goal) == "a":  # B must reach A's finals: mirrored
        logs, modelled, censored, _ = effective(b_runs, a_runs, goal)
        return [-v for v in logs], modelled, censored, "a"
    logs, modelled, censored = [], 0, 0
    for (va, sa, _), (vb, sb, _) in zip(a_runs, b_runs):
        if not vb or not sb or not math.isfinite(vb[-1]) or sb[-1] <= 0:
            continue
        reached, _ = time_to(va, sa, vb[-1], goal)
        if reached is None:
            fit = fit_curve(va, sa)
            reached = steps_to_reach(fit, vb[-1]) if fit else math.nan
            if math.isinf(reached) or math.isnan(reached):
                censored += 1
                continue
            modelled += 1
        if reached > 0:
            logs.append(math.log(reached / sb[-1]))
    return logs, modelled, censored, "b"


def better_side(a_runs, b_runs, goal):
    """"a" where A's mean final value over the seed pairs is the better, else "b" (a tie
    is B's, as Wen et al. measure against the baseline A)."""
    def mean_final(runs):
        finals = [v[-1] for v, _, _ in runs if v and math.isfinite(v[-1])]
        return float(np.mean(finals)) if finals else math.nan
    a, b = mean_final(a_runs), mean_final(b_runs)
    if math.isnan(a) or math.isnan(b):
        return "b"
    return "a" if sign(goal) * a > sign(goal) * b else "b"


def target_for(a_finals, b_finals, goal, target=None):
    """The target of a pair: ``target`` when given, else the worse of the two optimizers'
    worst final values: every run of both reached it, and it is the same whichever
    optimizer is A."""
    if target is not None:
        return float(target)
    finite = [v for v in [*a_finals, *b_finals] if math.isfinite(v)]
    if not finite:
        return math.nan
    return min(finite, key=lambda v: sign(goal) * v)  # the worst of them


TARGET_RULE = "the worse optimizer's worst final {metric}, first look"


SERIES = {"test_accuracy": "val_accuracy", "val_accuracy": "val_accuracy", "val_loss": "val_loss",
          "loss": "loss", "train_loss": "loss"}


def series_name(history, measure):
    """The series a run's curve is read from: the measure's own where the run logged it
    (a program's test_accuracy is a curve of its own), else train.py's stand-in (test
    accuracy has no curve there: validation accuracy stands for it)."""
    return measure.name if isinstance(history.get(measure.name), list) else \
        SERIES.get(measure.name, measure.name)


def series(history, measure):
    """(the measure's values at each evaluation point, their steps, cumulative seconds or
    None), from :func:`series_name`."""
    values = history.get(series_name(history, measure)) or []
    if isinstance(history.get("step"), list) and len(history["step"]) == len(values):
        steps = [float(s) for s in history["step"]]  # a program's logged steps
    elif isinstance(history.get("iterations"), list) and len(history["iterations"]) == len(values):
        steps = [float(s) for s in history["iterations"]]  # a --steps run's updates
    else:
        steps = [float(i + 1) for i in range(len(values))]  # epochs
    seconds = history.get("epoch_seconds")
    clock = list(np.cumsum(seconds)) if isinstance(seconds, list) and len(seconds) == len(values) \
        else None
    return list(values), steps, clock


def _curve(found):
    """Whether a run's :func:`series` is a curve: two or more steps. A first evaluation at
    step 0 (before training, as DeepOBS, nanoGPT and many logs write it) belongs to it."""
    values, steps, _ = found
    return len(values) >= 2 and steps[0] >= 0


def without_curves(rows, histories, measure):
    """The runs whose :func:`series` of the measure is no curve (fewer than two logged
    values): a pair with one of them has no speed-up. Their names, in the rows' order."""
    return [r["run"] for r, h in zip(rows, histories) if not _curve(series(h, measure))]


def speedups(rows, histories, measure, design=None, target=None, margin=SPEED_MARGIN):
    """The speed-up of every pair on every problem: dicts with the columns of
    speedups.csv and ``text``. ``design``: the folder's looks (the speed-ups are their own
    family, spending the same shares of alpha); ``target``: a fixed target value, else each
    pair's A's worst final value."""
    # the series each setting's curves are read from, once
    named = {}
    for r, h in zip(rows, histories):
        named.setdefault((*problem(r), r["optimizer"]), series_name(h, measure))
    # each run's curve once (a run is in as many comparisons as there are rivals)
    by_run = {(*problem(r), r["optimizer"], -1 if r.get("seed") is None else r["seed"]):
              series(h, measure) for r, h in zip(rows, histories)}
    # a speed-up needs curves: a comparison with a run that logged its metric once (a
    # program's JSON last line) has none
    found = [c for c in analysis.problem_comparisons(rows, measure)
             if all(_curve(by_run[(c["dataset"], c["model"], c[side], s)])
                    for side in ("a", "b") for s in c[f"{side}_scores"])]
    if not found:
        return []
    design = analysis.design_for(rows, design, measure)
    orders, tables, facts = [], [], []
    for c in found:
        seeds, counts, _ = analysis.arrivals(c, design)
        key = (c["dataset"], c["model"])
        a_runs = [by_run[(*key, c["a"], s)] for s in seeds]
        b_runs = [by_run[(*key, c["b"], s)] for s in seeds]
        goal = measure.goal

        def finals(runs):  # the first look's seeds: later runs cannot move the target
            return [values[-1] if values else math.nan for values, _, _ in runs[:counts[0]]]
        level = target_for(finals(a_runs), finals(b_runs), goal, target)
        d, clock = [], []
        for (va, sa, ca), (vb, sb, cb) in zip(a_runs, b_runs):
            ta, tb = time_to(va, sa, level, goal), time_to(vb, sb, level, goal)
            d.append(log_ratio(ta, tb) if math.isfinite(level) else math.nan)
            if ca and cb and ta[0] is not None and tb[0] is not None:
                clock.append(math.log(ca[sa.index(ta[0])] / cb[sb.index(tb[0])]))
        orders.append(counts)
        tables.append(d)
        facts.append({"target": level, "clock": clock, "effective": None, "runs": (a_runs, b_runs)})
    table, counts = analysis.look_table(tables, orders, design)
    seq = verdicts.sequential(table, counts, design.weights, margin, 0.0, test=speed_tests)
    out = []
    for i, (c, fact) in enumerate(zip(found, facts)):
        at = max(0, int(seq["look"][0, i]))
        n_read = int(counts[at, 0, i])
        read = np.array(tables[i][:n_read], float)
        tests = speed_tests(read[None, :], margin)
        finite = read[np.isfinite(read)]
        verdict = SPEED_VERDICTS[str(seq["verdict"][0, i])]
        metric = named.get((c["dataset"], c["model"], c["a"]), measure.name)
        mean = float(finite.mean()) if len(finite) else math.nan
        logs, modelled, censored, level_of = effective(*(runs[:n_read] for runs in fact["runs"]),
                                                       measure.goal)
        # censored: the side short of the level never gets there (+inf: B infinitely faster)
        never = math.inf if level_of == "b" else -math.inf
        row = {"scope": "problem", "dataset": c["dataset"], "model": c["model"], "a": c["a"],
               "b": c["b"], "metric": metric, "goal": measure.goal,
               "target": fact["target"], "target_rule": "given (--target)" if target is not None
               else TARGET_RULE.format(metric=metric),
               "steps_ratio": math.exp(-mean),
               "steps_ratio_low": float(np.exp(-tests["ci_high"][0])),
               "steps_ratio_high": float(np.exp(-tests["ci_low"][0])),
               "speedup": math.exp(mean), "speedup_low": float(np.exp(tests["ci_low"][0])),
               "speedup_high": float(np.exp(tests["ci_high"][0])),
               "n": int(np.sum(~np.isnan(read))), "censored": int(np.sum(np.isinf(read))),
               "unknown": int(np.sum(np.isnan(read))),
               "seconds_ratio": float(np.exp(-np.mean(fact["clock"]))) if fact["clock"] else math.nan,
               "p_adjusted": float(seq["p_equivalence_adjusted" if verdict == "as fast"
                                       else "p_adjusted"][0, i]),
               "verdict": verdict, "speed_margin": margin, "look": at,
               "log_ratios": tuple(float(v) for v in read),  # the seeds' d: the trend's data
               # the effective speed-up's seeds (log A over B), a censored one infinite
               "effective_log_ratios": tuple(logs) + (never,) * censored,
               "effective_at": level_of, **effective_columns(logs, modelled, censored)}
        row["text"] = speed_text(row) + effective_text(row)
        out.append(row)
    return out


def effective_columns(logs, modelled, censored):
    """The effective speed-up's columns: its geometric mean over seeds and 95% interval,
    the seeds read, how many of them model-based and how many censored."""
    values = np.asarray(logs, float)
    n = len(values)
    mean = float(values.mean()) if n else math.nan
    if n >= verdicts.MIN_PAIRS:
        half = stats.t.ppf(0.975, n - 1) * max(float(values.std(ddof=1)), RESOLUTION) / math.sqrt(n)
    else:
        half = math.nan
    low, high = math.exp(mean - half), math.exp(mean + half)
    # no number without support: an extrapolated figure whose interval spans more than
    # UNSUPPORTED either way (or has none) is no estimate, and says why
    unsupported = modelled and (math.isnan(half) or half > math.log(UNSUPPORTED))
    note = "" if not unsupported else (
        f"no estimate: {modelled} of {n} seeds model-based, "
        + ("too few seeds for an interval" if math.isnan(half) else
           f"its interval [{low:.2g}, {high:.2g}] spans more than {UNSUPPORTED:g}x either way"))
    return {"effective_speedup": math.nan if unsupported else math.exp(mean),
            "effective_speedup_low": math.nan if unsupported else low,
            "effective_speedup_high": math.nan if unsupported else high,
            "effective_note": note, "effective_n": n,
            "effective_model_based": modelled, "effective_censored": censored}


def effective_text(row):
    """The effective speed-up in words, or "": the optimizer short of the better one's
    final value needs so many times its steps to reach it."""
    a, b = registry.display_name(row["a"]), registry.display_name(row["b"])
    if row.get("effective_note"):
        better = b if row.get("effective_at", "b") == "b" else a
        return (f"; effective speed-up at {better}'s final {row['metric']} (Wen et al. "
                f"2025): {row['effective_note']}")
    if not row.get("effective_n") or math.isnan(row["effective_speedup"]):
        return ""
    value, low, high = (row["effective_speedup"], row["effective_speedup_low"],
                        row["effective_speedup_high"])
    better, worse = (b, a) if row.get("effective_at", "b") == "b" else (a, b)
    if better == a:  # said as the worse one's steps over the better one's
        value, low, high = 1 / value, 1 / high, 1 / low
    interval = "" if math.isnan(low) else f" [{low:.2f}, {high:.2f}]"
    model = (f", {row['effective_model_based']} of them model-based ({worse} never reached it "
             f"in its run: its fitted curve a t^-b + c, extrapolated)"
             if row["effective_model_based"] else "")
    censored = (f", {row['effective_censored']} censored ({worse}'s fitted curve never "
                "reaches it)" if row["effective_censored"] else "")
    return (f"; effective speed-up at {better}'s final {row['metric']} (Wen et al. 2025): "
            f"{worse} needs {value:.2f}x {better}'s steps{interval} to reach it, "
            f"n={row['effective_n']}{model}{censored}")


def speed_text(row):
    """One line: how fast B reaches the target against A."""
    a, b = registry.display_name(row["a"]), registry.display_name(row["b"])
    interval = "" if math.isnan(row["steps_ratio_low"]) else \
        f" [{row['steps_ratio_low']:.2f}, {row['steps_ratio_high']:.2f}]"
    censored = (f", {row['censored']} censored (a run that never reached it: sign test)"
                if row["censored"] else "")
    decided = "" if row["verdict"] == "undecided" else f" (p adj. {row['p_adjusted']:.3g})"
    if math.isnan(row["steps_ratio"]):  # every pair censored or unknown: a direction at most
        return (f"{b} against {a}, steps to {row['metric']} {row['target']:.4g} "
                f"({row['target_rule']}): no ratio, {row['censored']} of {row['n']} seed pairs "
                f"censored (a run that never reached it; sign test): {row['verdict']}{decided}")
    return (f"{b} reaches {row['metric']} {row['target']:.4g} ({row['target_rule']}) in "
            f"{row['steps_ratio']:.2f}x the steps{interval} of {a}, n={row['n']}{censored}: "
            f"{row['verdict']}{decided}")


# every ratio says its direction in its name: steps_ratio and seconds_ratio are B's over A's,
# speedup and effective_speedup A's steps over B's (above 1: B faster)
SPEEDUP_COLUMNS = ["scope", "dataset", "model", "a", "b", "metric", "target", "steps_ratio",
                   "steps_ratio_low", "steps_ratio_high", "speedup", "speedup_low",
                   "speedup_high", "n", "censored", "verdict", "seconds_ratio", "p_adjusted",
                   "speed_margin", "target_rule", "effective_speedup", "effective_speedup_low",
                   "effective_speedup_high", "effective_at", "effective_note", "effective_n",
                   "effective_model_based", "effective_censored"]
