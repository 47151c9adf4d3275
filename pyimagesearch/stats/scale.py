"""Does the speed-up survive scale? The trend of a pair's speed-up, and of its difference
in the final metric, across the sizes of a series of problems. No I/O, no text but the
method's name: per-size estimates in, trend rows out (plot.py writes plots/scale.csv).

Per size (a problem of the series) the data are the pair's seeds: for the speed-up,
d = log(T_A / T_B) of each seed pair (:mod:`.speed`: positive when B is faster, so
exp(mean d) is B's speed-up, A's steps over B's); for the effective speed-up (Wen et al.
2025), the log of A's steps over B's to the final value of the one that ends better,
each seed pair's (:func:`.speed.effective`; a pair whose worse side never gets there is
censored, as a speed-up's is); for the gain, B - A in the
metric's units, oriented so that positive means B better. Each size gives a mean y_i and
its standard error s_i from its n_i seeds (the spread floored at the metric's resolution,
as for the verdicts), and x_i = log2(size_i).

- The line y = alpha + beta x by least squares weighted by the seeds per size (equal
  seeds: ordinary least squares). Var(beta) = sum c_i^2 s_i^2 over the estimator's
  weights c_i, each size with its own spread, and Welch-Satterthwaite degrees of freedom
  from the n_i - 1 of each size (the s_i are themselves estimated from few seeds).
- Where the sizes scatter about the line beyond what their seeds explain (the lack-of-fit
  F test, the size means' scatter against the pooled spread within sizes, p < 0.50), a
  random-effects fit instead: the interval from the size means' own scatter about the
  line, t on k - 2 degrees of freedom (as Knapp & Hartung 2003 for a meta-regression),
  and the between-size variance tau^2 by the method of moments. Which one was used is said.
- beta is the change per doubling of size: exp(beta) the factor by which B's speed-up
  changes, or beta the change of the difference, per doubling. Two hypotheses per pair,
  as for the verdicts: beta = 0 (the t-test: "grows" or "shrinks") and |beta| >= margin
  (TOST: "steady" within the trend margin, default 5% per doubling for the speed-up, the
  verdicts' margin per doubling for the difference); Holm with Shaffer's refinement over
  every pair's two hypotheses of one quantity (:func:`verdicts.paired_holm`), so the
  chance of any wrong grows, shrinks or steady call among a quantity's trends is at most
  alpha. The trends read every seed as run, with all of alpha: a fixed design of their own.
- A size with a censored seed pair (a run that never reached the target) has no ratio:
  it is named and left out of the speed-up's line, never imputed; fewer than 3 sizes
  left, no trend.
- A projection to a size beyond the series: the line's value there with its 95%
  prediction interval for the mean at that size (the line's variance there, plus tau^2
  where the sizes disagree), marked as an extrapolation with the doublings beyond the
  largest size run; refused past MAX_DOUBLINGS or below the smallest size.
"""
import itertools
import math
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np
from scipy import stats

from pyimagesearch import registry, specs
from pyimagesearch.stats import analysis, measure as measures, verdicts
from pyimagesearch.stats.measure import BOOKKEEPING
from pyimagesearch.stats.problems import problem

TREND_MARGIN = 0.05  # a speed-up "steady" within 5% per doubling
MIN_SIZES = 3
# the quantities that are ratios, trended on the log scale and reported as factors: the
# steps-to-target speed-up, and Wen et al.'s effective speed-up at B's final value
RATIOS = ("speedup", "effective_speedup")
MAX_DOUBLINGS = 8
HETEROGENEITY_P = 0.50  # lack of fit below this: random effects. A lenient pretest on
# purpose: 3-5 sizes show their scatter poorly, and a missed one makes a flat trend
# "shrink" or "grow": with sizes off the line by as much as their seeds' spread, 9.1% of
# the time at 0.10, 6.7% at 0.25, 4.2% at 0.50; the power against 10% per doubling: 90%,
# 86%, 83% (benchmarks/scale_trend.py, BENCHMARKS.md)
WORDS = {"better": "grows", "worse": "shrinks", "equivalent": "steady", "undecided": "undecided"}


@dataclass(frozen=True)
class Line:
    """A fitted trend: intercept and slope (per doubling) of y on log2(size), the slope's
    standard error and degrees of freedom, the covariance of (intercept, slope), tau^2
    (0 for fixed effects), the lack-of-fit F and its p-value, and the method in words."""
    intercept: float
    slope: float
    slope_se: float
    df: float
    cov: tuple
    tau2: float
    q: float
    q_p: float
    method: str

    def interval(self, confidence=0.95):
        half = stats.t.ppf(0.5 + confidence / 2, self.df) * self.slope_se
        return self.slope - half, self.slope + half

    def at(self, x):
        """(the line's value at x, the standard error of a size's mean there)."""
        cov = np.asarray(self.cov)
        v = np.array([1.0, x])
        return self.intercept + self.slope * x, math.sqrt(max(0.0, v @ cov @ v + self.tau2))


def _wls(x, y, w):
    """(coefficients, (X'WX)^-1, the estimator's rows C: coef = C y, residuals)."""
    X = np.column_stack([np.ones_like(x), x])
    inv = np.linalg.inv(X.T @ (w[:, None] * X))
    C = inv @ (X.T * w)
    coef = C @ y
    return coef, inv, C, y - X @ coef


def fit(x, y, se, n):
    """The trend of per-size means ``y`` (standard errors ``se`` from ``n`` seeds each)
    on ``x`` = log2(size): a :class:`Line`. At least 3 sizes, each se > 0.

    The weights are the seeds per size, not 1 / se^2: a spread estimated from 3-5 seeds
    is too noisy to weigh by (weighing by it made a flat trend "shrink" or "grow" 5.4% of
    the time at alpha 5% in benchmarks/scale_trend.py); the estimator's variance still
    takes each size's own spread. Whether the sizes scatter about the line beyond their
    seeds is the lack-of-fit F test (the size means' weighted scatter about the line
    against the pooled spread within sizes), exact for normal seeds."""
    x, y, se, n = (np.asarray(a, float) for a in (x, y, se, n))
    k = len(x)
    coef, inv, C, resid = _wls(x, y, n)
    within = se ** 2 * n  # each size's spread of seeds (variance)
    lack = float(np.sum(n * resid ** 2) / (k - 2))
    pure_df = float(np.sum(n - 1))
    pure = float(np.sum((n - 1) * within) / pure_df)
    q_p = float(stats.f.sf(lack / pure, k - 2, pure_df)) if pure > 0 else 0.0
    if q_p < HETEROGENEITY_P:
        cov = inv * lack
        tau2 = max(0.0, (lack - pure) / float(np.mean(n)))
        return Line(float(coef[0]), float(coef[1]), math.sqrt(cov[1, 1]), float(k - 2),
                    tuple(map(tuple, cov)), tau2, lack / pure, q_p,
                    f"random effects: the sizes scatter about the line beyond their seeds "
                    f"(lack-of-fit F test, p = {q_p:.2g}); the interval from that scatter, "
                    f"t on {k - 2} degrees of freedom")
    v = se ** 2
    cov = (C * v) @ C.T
    parts = C[1] ** 2 * v  # each size's share of the slope's variance
    df = float(parts.sum() ** 2 / np.sum(parts ** 2 / np.maximum(n - 1, 1)))
    return Line(float(coef[0]), float(coef[1]), math.sqrt(cov[1, 1]), df,
                tuple(map(tuple, cov)), 0.0, lack / pure if pure > 0 else math.inf, q_p,
                "least squares weighted by seeds, each size's own spread "
                "(Welch-Satterthwaite degrees of freedom)")


def tests(line, margin):
    """(p of slope = 0, two-sided; p of |slope| >= margin, TOST) of a :class:`Line`."""
    t = line.slope / line.slope_se
    p = 2 * stats.t.sf(abs(t), line.df)
    lower = stats.t.sf((line.slope + margin) / line.slope_se, line.df)
    upper = stats.t.cdf((line.slope - margin) / line.slope_se, line.df)
    return float(p), float(max(lower, upper))


def size_estimate(values, floor):
    """(mean, standard error, n) of one size's seed values (finite only); the spread at
    least ``floor``."""
    values = np.asarray([v for v in values if math.isfinite(v)], float)
    n = len(values)
    if n < verdicts.MIN_PAIRS:
        return math.nan, math.nan, n
    sd = max(float(np.std(values, ddof=1)), floor)
    return float(values.mean()), sd / math.sqrt(n), n


@dataclass(frozen=True)
class Series:
    """One pair's data across the sizes of a series: for each size (ascending), the
    problem, and its seed values (log ratios or oriented differences; +-inf: a censored
    pair)."""
    a: str
    b: str
    quantity: str  # "speedup", "effective_speedup" (Wen et al.'s) or "gain" (B better: +)
    sizes: tuple
    problems: tuple
    values: tuple
    margin: float  # |slope| below it: steady
    unit: str = ""
    settings: tuple = ()  # per size, (A's setting, B's setting) where each was tuned there


def trends(series, project_to=None, alpha=verdicts.ALPHA):
    """The trend of every :class:`Series` (one quantity, one family): dicts with
    scale.csv's columns and the per-size points."""
    out, lines = [], []
    for s in series:
        fallback = math.log(1 + TREND_MARGIN) if s.quantity in RATIOS else s.margin
        # the metric's resolution floors each size's spread, as it floors a verdict's; a log
        # ratio of whole steps is discrete too (rounded: float noise is no resolution)
        floor = analysis.resolution(np.round([v for vals in s.values for v in vals], 12), 1.0,
                                    fallback)
        points, censored = [], []
        for size, problem, vals, chosen in itertools.zip_longest(s.sizes, s.problems, s.values,
                                                                  s.settings):
            if s.quantity in RATIOS and any(not math.isfinite(v) for v in vals):
                censored.append(size)
                continue
            mean, se, n = size_estimate(vals, floor)
            if math.isfinite(mean):
                points.append((size, problem, mean, se, n, chosen))
        row = {"a": s.a, "b": s.b, "quantity": s.quantity, "unit": s.unit,
               "sizes": tuple(p[0] for p in points), "censored_sizes": tuple(censored),
               "points": tuple(points), "margin": s.margin, "project_to": project_to}
        line = fit(*zip(*[(math.log2(p[0]), p[2], p[3], p[4]) for p in points])) \
            if len({p[0] for p in points}) >= MIN_SIZES else None
        row["line"] = line
        lines.append(line)
        out.append(row)
    p_value = np.array([tests(l, r["margin"])[0] if l else 1.0 for l, r in zip(lines, out)])
    p_steady = np.array([tests(l, r["margin"])[1] if l else 1.0 for l, r in zip(lines, out)])
    fitted = np.array([l is not None for l in lines])
    adj_p, adj_steady = (verdicts.paired_holm(p_value, p_steady, fitted) if fitted.any()
                         else (p_value, p_steady))
    for i, (row, line) in enumerate(zip(out, lines)):
        row.update(_verdict(line, adj_p[i], adj_steady[i], alpha))
        row.update(_projection(row, line, project_to))
        if row["quantity"] in RATIOS:  # log speed-ups to factors: B's speed-up, x per doubling
            for key in ("per_doubling", "ci_low", "ci_high", "projected", "projected_low",
                        "projected_high"):
                row[key] = math.exp(row[key])
            row["margin"] = math.expm1(row["margin"])  # steady within 5% per doubling
        row["points"] = tuple(_point(p, row["quantity"]) for p in row["points"])
    return out


def _point(point, quantity):
    """(size, problem, value, its 95% interval, n, the settings tuned there): a speed-up
    as a factor."""
    size, problem, mean, se, n, chosen = point
    half = stats.t.ppf(0.975, max(n - 1, 1)) * se
    low, high = mean - half, mean + half
    if quantity in RATIOS:
        mean, low, high = math.exp(mean), math.exp(low), math.exp(high)
    return {"size": size, "problem": problem, "value": mean, "low": low, "high": high, "n": n,
            "settings": chosen}


def _verdict(line, adj_p, adj_steady, alpha):
    if line is None:
        return {"per_doubling": math.nan, "ci_low": math.nan, "ci_high": math.nan,
                "p_adjusted": math.nan, "verdict": "undecided", "method": "",
                "tau2": math.nan}
    low, high = line.interval()
    if adj_p <= alpha:
        verdict, p = ("better" if line.slope > 0 else "worse"), adj_p
    elif adj_steady <= alpha:
        verdict, p = "equivalent", adj_steady
    else:
        verdict, p = "undecided", min(adj_p, adj_steady)
    return {"per_doubling": line.slope, "ci_low": low, "ci_high": high,
            "p_adjusted": float(p), "verdict": WORDS[verdict], "method": line.method,
            "tau2": line.tau2}


def _projection(row, line, project_to):
    empty = {"projected": math.nan, "projected_low": math.nan, "projected_high": math.nan,
             "doublings_beyond": math.nan}
    if line is None or project_to is None:
        return empty
    x = math.log2(project_to)
    mean, se = line.at(x)
    half = stats.t.ppf(0.975, line.df) * se
    return {"projected": mean, "projected_low": mean - half, "projected_high": mean + half,
            "doublings_beyond": x - math.log2(max(row["sizes"]))}


def check_projection(project_to, sizes):
    """ValueError, one line, for a projection below the smallest size run or more than
    MAX_DOUBLINGS doublings beyond the largest."""
    if not (isinstance(project_to, (int, float)) and project_to > 0 and math.isfinite(project_to)):
        raise ValueError(f"--project-to {project_to}: give a positive size (parameters)")
    smallest, largest = min(sizes), max(sizes)
    if project_to < smallest:
        raise ValueError(f"--project-to {project_to:g}: below the smallest size run "
                         f"({smallest:g}); a projection goes beyond the series, not inside it")
    if math.log2(project_to / largest) > MAX_DOUBLINGS:
        raise ValueError(f"--project-to {project_to:g}: {math.log2(project_to / largest):.1f} "
                         f"doublings beyond the largest size run ({largest:g}); at most "
                         f"{MAX_DOUBLINGS}")


# ------------------------------------------------------------------ series from the run table

def size_of(row, history, size_key=None):
    """A run's size: ``size_key`` among its final values or its parameters where named,
    else the n_params it recorded or logged; None where unknown. ValueError, one line,
    for a size that is not a positive number."""
    if size_key is None:
        return row.get("n_params")
    record = (history or {}).get("run") or {}
    value = (row.get("finals") or {}).get(size_key, (record.get("parameters") or {}).get(size_key))
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"--size-key {size_key}: run {row.get('run')} has {size_key} = "
                         f"{value!r}: a size must be a positive number")
    return value


def series_name(row, record):
    """The series a run's problem belongs to, or None. A program's problems (and another
    system's) are the sizes its user gave them: one series. train.py's language model at
    several shapes on one text is one series (``gpt(width=64)``, ``gpt``,
    ``gpt(width=256)`` on text: "text/gpt"); train.py's other models are different
    architectures, not sizes of one: they form none."""
    if record.get("kind") == "program":
        return ""
    try:
        model = registry.model_shape(row["model"])[0]
    except specs.SpecError:  # a model named by a path or a program's own word
        return None
    if model in registry.MODELS and registry.MODELS[model].language:
        return f"{row['dataset']}/{model}"
    return None


def problem_sizes(rows, histories, size_key=None):
    """{(dataset, model): (its series, the median size of its runs)} for every problem
    of a series (:func:`series_name`) whose runs have a size (the model as the verdicts
    name a problem's: with its batching, where an iteration budget gave one)."""
    found, named = defaultdict(list), {}
    for row, history in zip(rows, histories):
        record = (history or {}).get("run") or {}
        name = series_name(row, record)
        size = None if name is None else size_of(row, history, size_key)
        if size is not None:
            found[problem(row)].append(size)
            named[problem(row)] = name
    return {key: (named[key], float(np.median(values))) for key, values in found.items()}


def series(rows, histories, measure, speed_rows, size_key=None, trend_margin=TREND_MARGIN):
    """(the speed-up's series, the difference's, the effective speed-up's): one
    :class:`Series` per pair and series over every problem of known size where both ran,
    sizes ascending."""
    sizes = problem_sizes(rows, histories, size_key)
    # a tuned optimizer's rows carry the setting selected for their problem
    setting = {(*problem(r), r["optimizer"]): r["setting"] for r in rows
               if r.get("setting")}

    def settings(key, a, b):
        return (setting[(*key, a)], setting[(*key, b)]) if (*key, a) in setting and \
            (*key, b) in setting else None
    speed, diff, effective = defaultdict(list), defaultdict(list), defaultdict(list)
    for r in speed_rows:
        key = (r["dataset"], r["model"])
        if key not in sizes:
            continue
        name, size = sizes[key]
        for found, column in ((speed, "log_ratios"), (effective, "effective_log_ratios")):
            if r.get(column):
                found[(name, r["a"], r["b"])].append((size, key, tuple(r[column]), None,
                                                      settings(key, r["a"], r["b"])))
    for c in analysis.problem_comparisons(rows, measure):
        key = (c["dataset"], c["model"])
        if key not in sizes:
            continue
        seeds = sorted(set(c["a_scores"]) & set(c["b_scores"]))
        values = tuple(measures.oriented(c["a_scores"][s], c["b_scores"][s], measure)
                       for s in seeds)
        name, size = sizes[key]
        diff[(name, c["a"], c["b"])].append((size, key, values, analysis.pair_margin(c, seeds),
                                             settings(key, c["a"], c["b"])))

    def made(found, quantity):
        out = []
        for (_, a, b), points in found.items():
            if len({p[0] for p in points}) < 2:  # one size is no series
                continue
            points.sort(key=lambda p: p[0])
            margin = math.log(1 + trend_margin) if quantity in RATIOS else \
                float(np.nanmedian([p[3] for p in points]))
            out.append(Series(a, b, quantity, tuple(p[0] for p in points),
                              tuple("/".join(p[1]) for p in points),
                              tuple(p[2] for p in points), margin,
                              "x" if quantity in RATIOS else measure.unit,
                              tuple(p[4] for p in points) if any(p[4] for p in points)
                              else ()))
        return out
    return made(speed, "speedup"), made(diff, "gain"), made(effective, "effective_speedup")



SCALE_COLUMNS = ["a", "b", "quantity", "unit", "sizes", "censored_sizes", "per_doubling",
                 "ci_low", "ci_high", "p_adjusted", "verdict", "method", "margin",
                 "project_to", "projected", "projected_low", "projected_high",
                 "doublings_beyond"]


def check(rows, histories, size_key=None, project_to=None):
    """ValueError, one line, before any work: a size key no run has (listing those there
    are), fewer than MIN_SIZES sizes where a trend was asked for (a size key, a
    projection), a projection out of range."""
    sizes = problem_sizes(rows, histories, size_key)
    if size_key is not None and not sizes:
        present = sorted(({k for r in rows for k in (r.get("finals") or {})} - BOOKKEEPING)
                         | {k for h in histories for k in
                            (((h or {}).get("run") or {}).get("parameters") or {})})
        raise ValueError(f"--size-key {size_key}: no run has it (there are: "
                         f"{', '.join(present) or 'none'})")
    found = max(Counter(name for name, _ in set(sizes.values())).values(), default=0)
    if (size_key is not None or project_to is not None) and found < MIN_SIZES:
        raise ValueError(f"a trend over sizes needs at least {MIN_SIZES} sizes of one series; "
                         f"these runs have {found} (the per-size speed-ups are still given)")
    if project_to is not None:
        check_projection(project_to, [size for _, size in sizes.values()])


def scale_trends(rows, histories, measure, speed_rows, size_key=None,
                 trend_margin=TREND_MARGIN, project_to=None):
    """Every pair's trends over the sizes of its series: the speed-up's family, the
    difference's, then the effective speed-up's (each a family of its own);
    :func:`check`'s errors first."""
    check(rows, histories, size_key, project_to)
    return tuple(row for family in series(rows, histories, measure, speed_rows, size_key,
                                          trend_margin)
                 for row in trends(family, project_to))
