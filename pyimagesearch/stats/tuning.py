"""The answer as a function of the tuning budget (statistics only, no I/O).

An optimizer tried at T settings (trials of a search, or a grid) on one problem: what
would a user who could afford only b of them get? Dodge et al. (2019, "Show your work"):
the expected best validation score of b settings drawn at random without replacement
from the T, computed exactly from the order statistics,

    E[max of b] = sum over i = b..T of v_(i) * C(i-1, b-1) / C(T, b),

with v_(1) <= ... <= v_(T) the sorted scores: the i-th smallest is the best of the b
exactly when it is drawn and the other b-1 come from the i-1 below it. The same weights,
applied to the trials sorted by validation score, give the expected *test* accuracy of
the setting validation would select at that budget.
"""
import math

import numpy as np

BOOTSTRAP = 2000  # resamples of the trials for the band
BAND = 0.95


def selection_weights(trials):
    """W[b-1, i]: the probability that the i-th smallest of ``trials`` scores (0-based) is
    the best of b drawn at random without replacement, for b = 1..trials."""
    weights = np.zeros((trials, trials))
    for b in range(1, trials + 1):
        for i in range(b, trials + 1):
            weights[b - 1, i - 1] = math.comb(i - 1, b - 1) / math.comb(trials, b)
    return weights


def expected_best(scores):
    """E[best score of b of the trials], b = 1..T: the exact expected maximum."""
    scores = np.sort(np.asarray(scores, float))
    return selection_weights(len(scores)) @ scores


def expected_at_selection(scores, outcomes):
    """E[outcome of the trial with the best score among b drawn], b = 1..T. ``outcomes``:
    one value per trial, or a (trials, k) array (e.g. a column per seed). Ties in score
    go to the later trial, as a stable sort orders them."""
    order = np.argsort(np.asarray(scores, float), kind="stable")
    return selection_weights(len(order)) @ np.asarray(outcomes, float)[order]


def band(scores, resamples=BOOTSTRAP, level=BAND, seed=0):
    """A percentile bootstrap band of :func:`expected_best` for every budget: the trials
    resampled with replacement (the scores are a sample of what the search space gives)."""
    scores = np.asarray(scores, float)
    rng = np.random.default_rng(seed)
    draws = np.sort(scores[rng.integers(0, len(scores), (resamples, len(scores)))], axis=1)
    curves = draws @ selection_weights(len(scores)).T
    tail = (1 - level) / 2
    return np.quantile(curves, tail, axis=0), np.quantile(curves, 1 - tail, axis=0)


def flat_width(rates, scores, within):
    """How forgiving an optimizer is of its learning rate: the width, in decades, of the
    range around its best rate where the score stays within ``within`` of the best, the
    scores joined linearly in log10(rate) between trials (trials at one rate: their best).
    Returns (width, open_low, open_high): ``open_*`` when the range reaches the edge of
    the rates tried, so the true width is at least the one given."""
    by_rate = {}
    for rate, score in zip(rates, scores):
        if math.isfinite(score):
            by_rate[rate] = max(score, by_rate.get(rate, -math.inf))
    if not by_rate:
        return math.nan, False, False
    x = np.log10(sorted(by_rate))
    y = np.array([by_rate[r] for r in sorted(by_rate)])
    best = int(np.argmax(y))
    threshold = y[best] - within

    def edge(step):
        i = best
        while 0 <= i + step < len(x) and y[i + step] >= threshold:
            i += step
        if not 0 <= i + step < len(x):
            return x[i], True
        j = i + step  # below the threshold: where the line between i and j crosses it
        return x[i] + (x[j] - x[i]) * (y[i] - threshold) / (y[i] - y[j]), False

    low, open_low = edge(-1)
    high, open_high = edge(+1)
    return float(high - low), open_low, open_high
