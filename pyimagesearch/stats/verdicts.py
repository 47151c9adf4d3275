"""Decisions: is B better than A, worse, equivalent within a margin, or undecided, and
how many seeds would decide? Statistics only, no I/O: the summary, decide.py and the
simulation all call these functions, so what is printed is what was verified.

One comparison: optimizers A and B on one problem (dataset, model), paired by seed; the
data are the differences d_s = acc_B(s) - acc_A(s) in accuracy points.
- Difference: the paired t-test (two-sided; scipy.stats.ttest_rel's p-value).
- Equivalence within +-margin: TOST, two one-sided t-tests (statsmodels' ttost_paired).
- The spread is taken as at least the metric's resolution (``resolution``: one test image
  in points, or the smallest gap between values seen): differences that agree to the
  metric's last step are not known to zero spread. No test below MIN_PAIRS seeds.
- Family: every comparison in one summary, each with its two hypotheses, in one Holm
  step-down (with Shaffer's refinement: a comparison's two null hypotheses exclude each
  other), valid under any dependence between them.
- Looks: a look is a round (the grid as run, then each of up to LOOKS - 1 rounds of more
  seeds from decide.py), not a seed count every comparison must reach: at each look a
  comparison is tested on all the paired seeds it has then, 3 or 30. Look k spends a
  share of alpha fixed in advance, in proportion to the square root of decide.py's
  target seeds for it (a Bonferroni split over the looks). A fresh test after every
  seed would not hold the error rate.
So the chance of any wrong "better", "worse" or "equivalent" among all comparisons of a
summary, over all its rounds, is at most ALPHA. ``p_adjusted`` folds both corrections in:
a verdict is reached where it is at most ALPHA.
"""
import math
import warnings
from dataclasses import dataclass
from typing import Optional

import numpy as np
from scipy import stats

ALPHA = 0.05
MARGIN = 1.0  # accuracy points: smaller differences do not matter in practice (plot.py --margin)
MIN_PAIRS = 3  # fewer paired seeds give no spread worth the name
LOOKS = 4  # the analysis of the seeds run, then up to 3 rounds of more seeds
RACE_LOOKS = 6  # a race looks more often: a loser that leaves early saves the most seeds
SPREAD_CHECK = 0.05  # a race pools spreads where Bartlett's test of alike spreads has p above this
POOL_FROM = 5  # ... and from this many seeds: below, that test cannot tell spreads apart
POWER = 0.8  # the planning figure "seeds needed" aims at this chance of deciding
MAX_SEEDS = 20  # decide.py's default cap
VERDICTS = ("better", "worse", "equivalent", "undecided")


# ------------------------------------------------------------------ one look

def paired_tests(diffs, margin=MARGIN, resolution=0.0, confidence=0.95):
    """Tests on paired differences ``diffs`` (points; shape (..., n), nan = not run),
    vectorised over leading axes. Returns a dict of arrays: n, mean, sd (floored at
    ``resolution``), ci_low, ci_high (the ``confidence`` t-interval), p_value (paired
    t-test, two-sided), p_equivalence (TOST within +-margin). Below MIN_PAIRS seeds the
    p-values are 1 and the interval nan."""
    d = np.asarray(diffs, dtype=float)
    n = np.sum(~np.isnan(d), axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # nan rows: seeds not run
        mean = np.nanmean(np.where(n[..., None] > 0, d, 0.0), axis=-1)
        mean = np.where(n > 0, mean, np.nan)
        sd = np.where(n > 1, np.nanstd(np.where(n[..., None] > 1, d, 0.0), axis=-1, ddof=1), np.nan)
        sd = np.fmax(sd, resolution)
        df = np.maximum(n - 1, 1)
        se = sd / np.sqrt(np.maximum(n, 1))
        enough = n >= MIN_PAIRS
        half = stats.t.ppf(0.5 + confidence / 2, df) * se
        with_spread = enough & (se > 0)
        t = np.where(with_spread, mean / np.where(se > 0, se, 1), 0.0)
        p_value = np.where(with_spread, 2 * stats.t.sf(np.abs(t), df), 1.0)
        lower = stats.t.sf((mean + margin) / np.where(se > 0, se, 1), df)  # H0: d <= -margin
        upper = stats.t.cdf((mean - margin) / np.where(se > 0, se, 1), df)  # H0: d >= +margin
        p_equivalence = np.where(with_spread, np.maximum(lower, upper), 1.0)
    return {"n": n, "mean": mean, "sd": sd,
            "ci_low": np.where(enough, mean - half, np.nan),
            "ci_high": np.where(enough, mean + half, np.nan),
            "p_value": p_value, "p_equivalence": p_equivalence}


def holm(p, include=None):
    """Holm's step-down adjusted p-values along the last axis (vectorised over the
    others), over the entries where ``include`` is true (the others come back nan).
    Equal to statsmodels' ``multipletests(p, method="holm")[1]`` on each family."""
    p = np.asarray(p, dtype=float)
    include = np.ones(p.shape, bool) if include is None else np.asarray(include, bool)
    k = include.sum(axis=-1, keepdims=True)
    return _step_down(p, include, k - np.arange(p.shape[-1]))


def _step_down(p, include, factors):
    """adjusted p_(j) = max over i <= j of min(1, factors_i * p_(i)), p sorted ascending
    over the included entries; nan elsewhere."""
    ranked = np.where(include, p, np.inf)
    order = np.argsort(ranked, axis=-1, kind="stable")
    sorted_p = np.take_along_axis(ranked, order, axis=-1)
    with np.errstate(invalid="ignore"):
        scaled = np.minimum(1.0, np.maximum.accumulate(
            np.where(np.isfinite(sorted_p), sorted_p * factors, 0), axis=-1))
    adjusted = np.empty_like(scaled)
    np.put_along_axis(adjusted, order, scaled, axis=-1)
    return np.where(include, adjusted, np.nan)


def paired_holm(p_value, p_equivalence, include=None):
    """Holm's step-down over both hypotheses of every comparison, with Shaffer's (1986)
    refinement for hypotheses that cannot all be true: a comparison's "no difference"
    (d = 0) and "not equivalent" (|d| >= margin) exclude each other, so among the 2m
    hypotheses of m comparisons at most m are true. The j-th smallest p-value (j = 0, 1,
    ...) is multiplied by min(m, 2m - j) instead of Holm's 2m - j. Controls the
    family-wise error under any dependence, like Holm; never less powerful.
    Returns the adjusted p-values of (difference, equivalence)."""
    p_value, p_equivalence = np.asarray(p_value, float), np.asarray(p_equivalence, float)
    include = np.ones(p_value.shape, bool) if include is None else np.asarray(include, bool)
    m = include.sum(axis=-1, keepdims=True)
    j = np.arange(2 * p_value.shape[-1])
    adjusted = _step_down(np.concatenate([p_value, p_equivalence], axis=-1),
                          np.concatenate([include, include], axis=-1),
                          np.minimum(m, 2 * m - j))
    return adjusted[..., :p_value.shape[-1]], adjusted[..., p_value.shape[-1]:]


def look_weights(plan):
    """The share of alpha each look spends: in proportion to the square root of its seeds
    (a Bonferroni split that sums to 1). Between equal shares (which leave the last look,
    where most decisions fall, too little) and shares in proportion to the seeds (which
    leave the first look, at the seeds a grid ran, too little to decide even a 10-point
    difference at 3 seeds); the simulation in benchmarks/verdicts.py measured all three.
    A look at fewer than MIN_PAIRS seeds (a grid run on one seed, say) tests nothing and
    spends nothing."""
    plan = np.asarray(plan, float)
    root = np.sqrt(plan) * (plan >= MIN_PAIRS)
    return root / root.sum()


def decide(tests, weight=1.0 / LOOKS, alpha=ALPHA, include=None):
    """Verdicts for one look at a family of comparisons (the last axis of the arrays in
    ``tests``, from :func:`paired_tests`); ``include`` marks the comparisons still open;
    this look spends ``weight`` of alpha. Both hypotheses of each comparison are in one
    step-down family (:func:`paired_holm`); the adjusted p-values are divided by
    ``weight``, so each is compared with alpha itself. Returns (verdicts as strings,
    p_adjusted of the difference test, p_adjusted of the equivalence test)."""
    include = np.ones(np.shape(tests["mean"]), bool) if include is None else include
    p_diff, p_equiv = paired_holm(tests["p_value"], tests["p_equivalence"], include)
    if weight > 0:
        p_diff, p_equiv = np.minimum(1.0, p_diff / weight), np.minimum(1.0, p_equiv / weight)
    else:  # a look that spends no alpha (too few seeds to test) decides nothing
        p_diff, p_equiv = np.ones_like(p_diff), np.ones_like(p_equiv)
    enough = tests["n"] >= MIN_PAIRS
    # a decided direction is never hidden: where both tests reject (the interval excludes 0
    # and lies inside the margin) the verdict is the direction, and the equivalence shows
    # as within_margin (:func:`within_margin`); so one look's "worse" is another's "worse"
    verdict = np.where(p_diff <= alpha, np.where(tests["mean"] > 0, "better", "worse"),
                       np.where(p_equiv <= alpha, "equivalent", "undecided"))
    return np.where(include & enough, verdict, "undecided"), p_diff, p_equiv


def within_margin(verdict, p_equivalence_adjusted, alpha=ALPHA):
    """Whether a verdict's equivalence test rejected too: a better or worse whose interval
    also lies inside the margin (a difference found, smaller than the one that matters),
    and every equivalent."""
    verdict = np.asarray(verdict)
    return (verdict == "equivalent") | (np.isin(verdict, ("better", "worse"))
                                        & (np.asarray(p_equivalence_adjusted) <= alpha))


def seeds_needed(mean, sd, margin=MARGIN, alpha_test=ALPHA / LOOKS, power=POWER, limit=1000):
    """About how many seeds per optimizer would decide, from the observed mean and spread:
    the smallest n at which the difference test (for the observed mean) or the equivalence
    test (for a mean inside the margin) reaches ``power`` at level ``alpha_test`` (the
    per-test level once the family and the looks are paid for). A planning figure, not a
    promise; ``limit`` + 1 means "more than ``limit``"."""
    if not (np.isfinite(mean) and np.isfinite(sd)) or sd <= 0:
        return None
    n = np.arange(MIN_PAIRS, limit + 1)  # every candidate at once: one call per quantile
    df = n - 1
    reach = np.sqrt(n) / sd
    beyond = stats.t.ppf(power, df)
    decides = np.zeros(len(n), bool)
    if abs(mean) > 0:
        decides |= abs(mean) * reach >= stats.t.ppf(1 - alpha_test / 2, df) + beyond
    if abs(mean) < margin:
        decides |= (margin - abs(mean)) * reach >= stats.t.ppf(1 - alpha_test, df) + beyond
    return int(n[np.argmax(decides)]) if decides.any() else limit + 1


# ------------------------------------------------------------------ rounds of seeds

def schedule(n_start, max_seeds=MAX_SEEDS, looks=LOOKS):
    """The seed counts at which to look: the seeds run (at least MIN_PAIRS), then
    geometrically up to ``max_seeds``, ``looks`` looks at most, fixed before any look."""
    start = max(n_start, MIN_PAIRS)
    if max_seeds <= start:
        return [start]
    points = [round(start * (max_seeds / start) ** (k / (looks - 1))) for k in range(looks)]
    return sorted(set(points))


def sequential(diffs, counts, weights, margin=MARGIN, resolution=0.0, alpha=ALPHA, skip=None,
               test=None, players=None, race=False, groups=None):
    """Replay the looks taken over ``diffs`` of shape (experiments, comparisons, seeds) in
    points, each comparison's seeds in the order they arrived, nan where a seed is missing
    (a failed or damaged run). A look is a round (the grid as run, each decide.py round):
    at look k every comparison still undecided reads all the seeds it has then, its first
    ``counts`` [k] (shape (experiments, comparisons), or (comparisons,)), whatever the
    others have; the open comparisons are one step-down family spending ``weights`` [k]
    of alpha (fixed before the first look). Since each look's test is valid at its own
    level whatever n it reads, as long as n does not depend on that comparison's own
    results so far, the chance of any wrong call over all looks and comparisons is at most
    sum(weights) * alpha (a Bonferroni split over the looks, Holm within each).

    Returns a dict of arrays (experiments, comparisons): verdict, seeds (the seeds the
    verdict rests on: at its deciding look, else at the last look), look (its index),
    p_adjusted, p_equivalence_adjusted. ``skip`` (comparisons,): never tested, left
    undecided (pairs where nothing learned). ``resolution``: the spread's floor, or a
    function of the look k giving it (from the values that look read). ``test``: the
    tests of one look, by default
    :func:`paired_tests` (the speed-ups pass theirs, on log ratios with censoring).

    ``players`` (comparisons, 2): the optimizers (A, B) each comparison pits, numbered
    across problems (one optimizer on one problem is one player). With it the result also
    holds ``active`` (experiments, players): the last look at which the player was in an
    open comparison (what decide.py gives seeds to), -1 if never. ``race``: a player
    decided worse than another leaves: its comparisons are closed from the next look on
    (``left``: the look it left at, -1 if it survived). Every call any look makes is still
    one of the family's, so the chance of any wrong call, a wrong elimination included,
    stays at most sum(weights) * alpha: each look reads the seeds fixed for it in
    advance whether or not a comparison got there (a Bonferroni bound holds for any
    rule of stopping). A race tests its survivors' pairs with their pooled spread
    (:func:`pooled_tests`); ``groups`` (comparisons,): the problem of each comparison,
    whose survivors pool (default: the connected players)."""
    test = test or paired_tests
    diffs = np.asarray(diffs, dtype=float)
    experiments, m, width = diffs.shape
    verdict = np.full((experiments, m), "undecided", dtype=object)
    seeds = np.zeros((experiments, m), int)
    look = np.full((experiments, m), -1)
    p_adj = np.ones((experiments, m))
    p_eq_adj = np.ones((experiments, m))
    closed = np.zeros(m, bool) if skip is None else np.asarray(skip, bool)
    position = np.arange(width)
    pairs = None if players is None else np.asarray(players, int).reshape(m, 2)
    n_players = 0 if pairs is None else int(pairs.max(initial=-1)) + 1
    active = np.full((experiments, n_players), -1)
    left = np.full((experiments, n_players), -1)
    if race:
        pools, alike = _groups(pairs, groups), _spreads_alike(pairs)
    for k, n_k in enumerate(counts):
        open_ = (verdict == "undecided") & ~closed[None, :]
        if race:
            gone = left >= 0
            open_ &= ~(gone[:, pairs[:, 0]] | gone[:, pairs[:, 1]])
        if not open_.any():
            break
        if pairs is not None:
            for side in (0, 1):
                hit = np.zeros((experiments, n_players), bool)
                np.logical_or.at(hit, (slice(None), pairs[:, side]), open_)
                active = np.where(hit, k, active)
        n_k = np.broadcast_to(np.asarray(n_k), (experiments, m))
        seen = np.where(position[None, None, :] < n_k[..., None], diffs, np.nan)
        # the spread's floor of this look: given, or a function of the look (the values it read)
        floor = resolution(k) if callable(resolution) else resolution
        if race:
            alive = left < 0
            tests = pooled_tests(seen, alive[:, pairs[:, 0]] & alive[:, pairs[:, 1]], pools,
                                 margin, floor, homogeneous=alike)
        else:
            tests = test(seen, margin, floor)
        found, p_d, p_e = decide(tests, weights[k], alpha, open_)
        verdict = np.where(open_, found, verdict)
        p_adj = np.where(open_, p_d, p_adj)
        p_eq_adj = np.where(open_, p_e, p_eq_adj)
        seeds = np.where(open_, tests["n"], seeds)
        look = np.where(open_, k, look)
        if race:  # the worse side of every difference found at this look leaves
            loser = np.zeros((experiments, n_players), bool)
            np.logical_or.at(loser, (slice(None), pairs[:, 0]), open_ & (found == "better"))
            np.logical_or.at(loser, (slice(None), pairs[:, 1]), open_ & (found == "worse"))
            left = np.where(loser & (left < 0), k, left)
    out = {"verdict": verdict.astype(str), "seeds": seeds, "look": look, "p_adjusted": p_adj,
           "p_equivalence_adjusted": p_eq_adj}
    if pairs is not None:
        out.update(active=active, left=left)
    return out


def _groups(pairs, groups):
    """The group (problem) of each comparison: given, or the connected sets of players."""
    if groups is not None:
        return np.asarray(groups, int)
    root = list(range(int(pairs.max(initial=-1)) + 1))

    def find(i):
        while root[i] != i:
            i = root[i]
        return i
    for a, b in pairs:
        root[find(a)] = find(b)
    return np.array([find(a) for a, _ in pairs])


def pooled_tests(diffs, among, groups, margin=MARGIN, resolution=0.0, confidence=0.95,
                 homogeneous=None):
    """:func:`paired_tests` for the pairs of several optimizers run on the same seeds, each
    pair's spread pooled over all of them: a randomized complete block design (the seeds
    are blocks) has one residual variance of the optimizer x seed table, which the pairs'
    differences hold exactly: for K optimizers on n seeds the residual sum of squares is
    1/K of the sum over pairs of their differences' squared deviations, on (K - 1)(n - 1)
    degrees of freedom instead of a pair's n - 1, which at 3 to 9 seeds is what makes an
    early elimination possible (Montgomery, Design and Analysis of Experiments, ch. 4).
    It assumes alike spreads: ``homogeneous(diffs, among, groups)`` (:func:`_spreads_alike`)
    says per comparison whether to pool; where not, a pair keeps its own spread and n - 1.
    ``among`` (experiments, comparisons): the pairs that pool (both optimizers still in the
    race); ``groups`` (comparisons,): which pool each belongs to. Below 3 optimizers:
    the pair's own."""
    d = np.asarray(diffs, dtype=float)
    out = paired_tests(d, margin, resolution, confidence)
    n = out["n"]
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ss = np.where(n > 1, np.nansum((d - out["mean"][..., None]) ** 2, axis=-1), 0.0)
        pooled_sd, pooled_df = np.full(n.shape, np.nan), np.ones(n.shape)
        for g in np.unique(groups):
            member = (groups == g)[None, :] & among & (n > 1)
            k = (1 + np.sqrt(1 + 8 * member.sum(axis=1))) / 2  # optimizers whose pairs pool
            df = np.where(member, n - 1, 0).sum(axis=1) * 2 / np.maximum(k, 1)
            mse = np.where(member, ss, 0).sum(axis=1) / np.maximum(k, 1) / np.maximum(df, 1)
            pool = member & (k >= 3)[:, None]
            pooled_sd = np.where(pool, np.sqrt(2 * mse)[:, None], pooled_sd)
            pooled_df = np.where(pool, np.maximum(df, 1)[:, None], pooled_df)
        own = out["sd"]
        shared = np.isfinite(pooled_sd)
        if homogeneous is not None:
            shared &= homogeneous(d, among, groups)
        sd = np.fmax(np.where(shared, pooled_sd, own), resolution)
        df = np.where(shared, pooled_df, np.maximum(n - 1, 1))
        se = sd / np.sqrt(np.maximum(n, 1))
        enough = n >= MIN_PAIRS
        with_spread = enough & (se > 0)
        safe = np.where(se > 0, se, 1)
        mean = out["mean"]
        half = stats.t.ppf(0.5 + confidence / 2, df) * se
        p_value = np.where(with_spread, 2 * stats.t.sf(np.abs(mean / safe), df), 1.0)
        p_equivalence = np.where(with_spread, np.maximum(stats.t.sf((mean + margin) / safe, df),
                                                         stats.t.cdf((mean - margin) / safe, df)), 1.0)
    out.update(sd=sd, ci_low=np.where(enough, mean - half, np.nan),
               ci_high=np.where(enough, mean + half, np.nan), p_value=p_value,
               p_equivalence=p_equivalence, df=df)
    return out


def _spreads_alike(pairs):
    """The check :func:`pooled_tests` pools by: per comparison, whether the optimizers of its
    pool have alike seed spreads, by Bartlett's test (1937) on their residual variances (p
    above SPREAD_CHECK, at POOL_FROM seeds or more). An optimizer's residual at a seed is
    (up to its sign) the mean over its pairs of their centred differences, x_is - x_i. -
    x_.s + x_.., with (n - 1)(K - 1) / K degrees of freedom. Simulated (benchmarks/
    verdicts.py): with spreads of 1 against 3 points and no difference at all, the race errs
    in 6% of experiments (pooled without the check: 11.6%)."""
    def check(d, among, groups):
        experiments, m, width = d.shape
        k_players = int(pairs.max(initial=-1)) + 1
        centred = np.nan_to_num(d - np.nanmean(d, axis=-1, keepdims=True))
        centred = np.where(among[..., None], centred, 0.0)
        residual = np.zeros((experiments, k_players, width))
        np.add.at(residual, (slice(None), pairs[:, 0]), centred)  # d = x_b - x_a: from a, -d
        np.add.at(residual, (slice(None), pairs[:, 1]), -centred)
        out = np.ones((experiments, m), bool)
        seeds = np.sum(~np.isnan(d), axis=-1)
        for g in np.unique(groups):
            in_g = groups == g
            members = np.unique(pairs[in_g])
            alive = np.zeros((experiments, k_players), bool)
            np.logical_or.at(alive, (slice(None), pairs[in_g, 0]), among[:, in_g])
            np.logical_or.at(alive, (slice(None), pairs[in_g, 1]), among[:, in_g])
            k = alive[:, members].sum(axis=1)
            n = np.where(among[:, in_g], seeds[:, in_g], 0).max(axis=1)
            r = residual[:, members] / np.maximum(k, 1)[:, None, None]
            df_i = np.maximum((n - 1) * (k - 1) / np.maximum(k, 1), 1e-9)[:, None]
            s2 = np.fmax((r ** 2).sum(axis=-1) / df_i, 1e-300)
            a = alive[:, members]
            total = np.where(a, df_i, 0).sum(axis=1)
            pooled = np.where(a, s2 * df_i, 0).sum(axis=1) / np.maximum(total, 1e-300)
            with np.errstate(divide="ignore", invalid="ignore"):
                statistic = (total * np.log(pooled) - np.where(a, df_i * np.log(s2), 0).sum(axis=1)) / \
                    (1 + (np.where(a, 1 / df_i, 0).sum(axis=1) - 1 / total) / (3 * (k - 1)))
            p = stats.chi2.sf(statistic, np.maximum(k - 1, 1))
            out[:, in_g] = ((p > SPREAD_CHECK) & (n >= POOL_FROM))[:, None]
        return out
    return check


def planned_counts(start, plan, max_seeds=None):
    """The seeds each comparison has at each look when decide.py follows ``plan``: its
    own seeds at the first look (``start``, any shape: unequal seed counts), then at look
    k at least plan[k] (decide.py adds seeds up to the look's target; a comparison that
    has more keeps them), at most ``max_seeds``. Shape (looks, *start.shape)."""
    start = np.asarray(start)
    cap = max(plan) if max_seeds is None else max_seeds
    out = [start] + [np.minimum(np.maximum(start, n), max(cap, 1)) for n in plan[1:]]
    return np.stack([np.broadcast_to(c, start.shape) for c in out])


@dataclass(frozen=True)
class Design:
    """How a folder's verdicts spend alpha, stated once for every verdict of it.

    ``kind``: "sequential" (decide.py's looks, fixed in decide.json before its first
    round), "first look" (plot.py on a folder decide.py has not touched: the first look
    of the default plan, so that decide.py may follow) or "fixed" (one look, all of
    alpha: a grid that will never add seeds). ``plan``: the seeds decide.py aims at,
    look by look; ``weights``: each look's share of alpha; ``looks``: the looks taken,
    each {(dataset, model, optimizer setting): seeds read}, or None for the one look of a
    folder without decide.json (every seed there now)."""
    kind: str
    plan: tuple
    weights: tuple
    looks: Optional[tuple] = None

    @classmethod
    def first_look(cls, counts, max_seeds=MAX_SEEDS):
        plan = tuple(schedule(max(1, min(counts, default=1)), max_seeds))
        return cls("first look", plan, tuple(look_weights(plan)))

    @classmethod
    def fixed(cls):
        return cls("fixed", (), (1.0,))

    def taken(self):
        """How many looks have been taken."""
        return 1 if self.looks is None else len(self.looks)

    def spent(self):
        """The share of alpha the looks taken have spent."""
        return float(sum(self.weights[:self.taken()]))


# ------------------------------------------------------------------ across problems

def probability_of_improvement(problems):
    """P(B beats A) on a random problem and seed pair: per problem, the Mann-Whitney
    statistic of B's scores against A's (ties count half), averaged over problems.
    ``problems``: list of (a_scores, b_scores)."""
    values = [float(_share_beaten(np.asarray(a, float), np.asarray(b, float)))
              for a, b in problems]
    return float(np.mean(values)) if values else math.nan


def _share_beaten(a, b):
    """The share of (a, b) score pairs where b beats a, ties half, over the last axis of
    each (leading axes, e.g. bootstrap resamples, are kept)."""
    a, b = a[..., :, None], b[..., None, :]
    return np.mean((b > a) + 0.5 * (b == a), axis=(-2, -1))


def probability_interval(problems, reps=2000, confidence=0.95, seed=0):
    """Stratified bootstrap interval of :func:`probability_of_improvement`: the seeds of
    each optimizer are resampled within each problem (rliable's approach)."""
    rng = np.random.default_rng(seed)
    estimates = np.zeros(reps)
    for a, b in problems:  # all resamples of a problem at once
        a, b = np.asarray(a, float), np.asarray(b, float)
        pick_a = rng.integers(0, len(a), (reps, len(a)))
        pick_b = rng.integers(0, len(b), (reps, len(b)))
        # a resample's share is count_a @ K @ count_b / (n_a n_b), K the (a, b) pairs' wins
        # (ties half): exact, as comparing the resampled scores pair by pair was, without
        # the reps x n_a x n_b comparisons (100 seeds: 20 million per pair and problem)
        wins = (b[None, :] > a[:, None]) + 0.5 * (b[None, :] == a[:, None])
        counts_a, counts_b = _counts(pick_a, len(a)), _counts(pick_b, len(b))
        estimates += np.sum((counts_a @ wins) * counts_b, axis=1) / (len(a) * len(b))
    estimates /= max(1, len(problems))
    tail = (1 - confidence) / 2
    return float(np.quantile(estimates, tail)), float(np.quantile(estimates, 1 - tail))


def _counts(picks, n):
    """How often each of ``n`` items was drawn, per row of ``picks`` (rows of indices)."""
    out = np.zeros((len(picks), n))
    np.add.at(out, (np.arange(len(picks))[:, None], picks), 1.0)
    return out


def across_problems(mean_diffs):
    """The test across problems on the per-problem mean differences: Wilcoxon signed-rank
    (two-sided; nan below 2 non-zero differences) and the sign test (binomial)."""
    d = np.asarray([x for x in mean_diffs if np.isfinite(x)], float)
    wins, losses = int(np.sum(d > 0)), int(np.sum(d < 0))
    wilcoxon = math.nan
    if np.sum(d != 0) >= 2:
        wilcoxon = float(stats.wilcoxon(d[d != 0]).pvalue)
    sign = float(stats.binomtest(wins, wins + losses).pvalue) if wins + losses else math.nan
    return {"problems": len(d), "wilcoxon_p": wilcoxon, "sign_p": sign, "wins": wins,
            "losses": losses}
