"""The learning-rate range test (Smith 2017, "Cyclical Learning Rates"; the 2019 study's
own workflow starts with it): train from fresh weights while the learning rate rises
exponentially, record the smoothed training loss, stop once it has clearly blown up,
and suggest the rate where the loss fell fastest.
"""
import math

import numpy as np

SMOOTHING = 0.98  # the loss is an exponential moving average with this beta, bias-corrected
STOP_FACTOR = 4.0  # stop once the smoothed loss passes this many times its best
SKIP_FRACTION = 0.1  # the first part of the sweep (too noisy to judge) is not a candidate
RULE = ("steepest descent: the learning rate at which the smoothed training loss (exponential "
        f"moving average, beta {SMOOTHING}, bias-corrected) falls fastest against log10(learning "
        "rate), searched where the loss has begun to fall for good (after the first "
        f"{SKIP_FRACTION:.0%} of the recorded steps and after the last point at or above the "
        "starting loss) and before the smoothed loss's minimum")


def rates(min_lr, max_lr, steps):
    """``steps`` learning rates rising exponentially from ``min_lr`` to ``max_lr``."""
    return np.geomspace(min_lr, max_lr, steps)


def smooth(losses, beta=SMOOTHING):
    """Bias-corrected exponential moving average (as fastai's finder does)."""
    out, average = [], 0.0
    for i, loss in enumerate(losses, 1):
        average = beta * average + (1 - beta) * loss
        out.append(average / (1 - beta ** i))
    return np.array(out)


def suggest(learning_rates, smoothed):
    """(rate, index) by :data:`RULE`, or (None, None) when the curve never falls."""
    smoothed = np.asarray(smoothed, float)
    n = len(smoothed)
    if n < 3 or not np.isfinite(smoothed).any():
        return None, None
    lowest = int(np.nanargmin(smoothed))
    # early wiggles of a flat curve (the average has little history yet) are not a descent
    above = [i for i in range(lowest) if smoothed[i] >= smoothed[0]]
    start = min(max(int(n * SKIP_FRACTION), above[-1] + 1 if above else 0), max(lowest - 1, 0))
    if lowest - start < 2:
        return None, None
    slope = np.gradient(smoothed[:lowest + 1], np.log10(np.asarray(learning_rates[:lowest + 1])))
    index = start + int(np.argmin(slope[start:lowest + 1]))
    if slope[index] >= 0:
        return None, None
    return float(learning_rates[index]), index


def sweep(model, batches, learning_rates, log=print):
    """Train ``model`` one batch per rate; return (rates used, raw losses, smoothed losses,
    stopped early?). Stops once the smoothed loss passes STOP_FACTOR x its best, or the
    loss is not finite."""
    optimizer = model.optimizer
    used, losses, best = [], [], math.inf
    for step, rate in enumerate(learning_rates):
        if step and step % len(batches) == 0:
            batches.on_epoch_end()  # a fresh order for the next pass
        x, y = batches[step % len(batches)]
        optimizer.learning_rate = float(rate)
        result = model.train_on_batch(x, y)
        loss = float(result[0] if isinstance(result, (list, tuple)) else result)
        if not math.isfinite(loss):
            log(f"[INFO] loss not finite at learning rate {rate:.3g}: stopping")
            return used, losses, smooth(losses), True
        used.append(float(rate))
        losses.append(loss)
        smoothed = smooth(losses)[-1]
        best = min(best, smoothed)
        if step > 10 and smoothed > STOP_FACTOR * best:
            log(f"[INFO] smoothed loss {smoothed:.3g} passed {STOP_FACTOR:g}x its best "
                f"({best:.3g}) at learning rate {rate:.3g}: stopping")
            return used, losses, smooth(losses), True
    return used, losses, smooth(losses), False
