"""The study's figures: per model and dataset, accuracy and loss curves of every optimizer."""
import math
import textwrap

import matplotlib

matplotlib.use("Agg")  # files only; no screen needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from matplotlib.ticker import MaxNLocator  # noqa: E402

from pyimagesearch import registry  # noqa: E402
from pyimagesearch.outputs import style  # noqa: E402
from pyimagesearch.outputs.summary import effort_ranking as rank  # noqa: E402
from pyimagesearch.runs import storage  # noqa: E402
from pyimagesearch.runs.readers import program  # noqa: E402
from pyimagesearch.runs.results import seed_band  # noqa: E402
from pyimagesearch.stats.measure import direction, value  # noqa: E402


def save(fig, path):
    """Save a figure atomically (temporary file, then rename) and close it."""
    with storage.atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)


LEGEND_INSIDE_UP_TO = 2  # optimizers: the original's two keep its legend inside the panels


def place_legend(ax, place, optimizers):
    """The original's legend inside the panel for up to two optimizers; beyond that the
    legend (4 entries per optimizer) would cover the curves, so it goes beside the panel."""
    if optimizers <= LEGEND_INSIDE_UP_TO:
        ax.legend(loc=place)
    else:
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
                  fontsize="small")


def _curve(ax, histories, key, label, **style):
    """One line; for several seeds the mean with a band of +-1 standard deviation. Epochs
    are numbered from 1, as the page numbers them (the original numbered from 0)."""
    mean, std = seed_band(histories, key)
    epochs = np.arange(1, len(mean) + 1)
    (line,) = ax.plot(epochs, mean, label=label if len(histories) == 1
                      else f"{label} (mean of {len(histories)})", **style)
    if std is not None:
        ax.fill_between(epochs, mean - std, mean + std, color=line.get_color(), alpha=0.2)


def _program(histories):
    """The run record of a user's program's run (pyimagesearch.program.wrap), or None."""
    record = histories[0].get("run") if histories else None
    return record if isinstance(record, dict) and record.get("kind") == "program" else None


MARKERS_PER_CURVE = 12
ZOOM_FROM = 20  # evaluation points: a longer curve gets an inset on its last quarter
ZOOM_SHARE = 0.25


def _zoom_on_the_end(ax, drawn):
    """An inset on the last quarter of training, its y axis scaled to where the curves end
    (their means and spreads there), so that the difference the verdict reports can be
    seen when the whole run's scale (from the first, untrained evaluation) flattens it.
    Placed where the curves are not: below them where they rise, above where they fall."""
    if not drawn or max(len(steps) for steps, *_ in drawn) < ZOOM_FROM:
        return
    start = max(steps[0] + (steps[-1] - steps[0]) * (1 - ZOOM_SHARE) for steps, *_ in drawn)
    low, high = math.inf, -math.inf
    for steps, mean, spread, _ in drawn:
        at = steps >= start
        band = spread if spread is not None else np.zeros_like(mean)
        if at.any():
            low = min(low, float(np.nanmin((mean - band)[at])))
            high = max(high, float(np.nanmax((mean + band)[at])))
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return
    rising = np.nanmean([mean[-1] - mean[0] for _, mean, *_ in drawn]) > 0
    inset = ax.inset_axes([0.45, 0.08, 0.52, 0.42] if rising else [0.45, 0.5, 0.52, 0.42])
    for steps, mean, spread, line_style in drawn:
        at = steps >= start
        inset.plot(steps[at], mean[at], **{**line_style, "markevery": max(
            1, int(at.sum()) // (MARKERS_PER_CURVE // 2))})
        if spread is not None:
            inset.fill_between(steps[at], (mean - spread)[at], (mean + spread)[at],
                               color=line_style["color"], alpha=0.2)
    pad = (high - low) * 0.1
    inset.set_ylim(low - pad, high + pad)
    inset.set_title("the last quarter, scaled to its values", fontsize="x-small")
    inset.tick_params(labelsize="x-small")


def program_curves(by_optimizer, model, dataset, path):
    """A program's runs in their own terms: its metric against the steps it logged, and
    the losses it logged (if any) below; never under an accuracy panel it does not have."""
    panels = program.figure_panels([h for hs in by_optimizer.values() for h in hs])
    plt.style.use("ggplot")
    beside = len(by_optimizer) > LEGEND_INSIDE_UP_TO
    fig, axes = plt.subplots(len(panels), 1, figsize=(12 if beside else 7, 4.5 * len(panels)),
                             squeeze=False)
    for ax, (title, keys) in zip(axes[:, 0], panels):
        drawn = []
        for i, (optimizer, histories) in enumerate(by_optimizer.items()):
            look = {"color": style.colour(i), "marker": style.marker(i), "markersize": 4}
            for key in keys:
                kept = [h for h in histories if isinstance(h.get(key), list) and h[key]]
                if not kept:
                    continue
                length = min(len(h[key]) for h in kept)
                values = np.array([h[key][:length] for h in kept], float)
                steps = np.array(kept[0].get("step") or range(1, length + 1), float)[:length]
                mean = values.mean(axis=0)
                spread = values.std(axis=0, ddof=1) if len(kept) > 1 else None
                line_style = {"linestyle": "--" if program.is_train_series(key) else "-",
                              # a marker every few points: 100 epochs of them hide the curves
                              "markevery": max(1, len(steps) // MARKERS_PER_CURVE), **look}
                (line,) = ax.plot(steps, mean, label=f"{optimizer} {key}" + (
                    f" (mean of {len(kept)})" if len(kept) > 1 else ""), **line_style)
                if spread is not None:
                    ax.fill_between(steps, mean - spread, mean + spread, color=line.get_color(),
                                    alpha=0.2)
                drawn.append((steps, mean, spread, line_style))
        _zoom_on_the_end(ax, drawn)
        ax.set_title(f"{model} on {dataset} ({title})")
        ax.set_xlabel("step")
        ax.set_ylabel(title)
        place_legend(ax, "best", len(by_optimizer))
    plt.tight_layout()
    save(fig, path)


def comparison(by_optimizer, model, dataset, path):
    """The original's two stacked panels, for every optimizer in ``by_optimizer``.

    ``by_optimizer`` maps an optimizer name to its list of histories (one per seed).
    Each curve has its own colour, as in the original, while the style's colour cycle
    lasts; with more optimizers than that, each optimizer gets one colour and its
    training curves are dashed, so no two curves look alike.
    """
    if _program(next(iter(by_optimizer.values()), [])):
        return program_curves(by_optimizer, model, dataset, path)
    plt.style.use("ggplot")
    beside = len(by_optimizer) > LEGEND_INSIDE_UP_TO
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(12 if beside else 7, 9))
    for i, (optimizer, histories) in enumerate(by_optimizer.items()):
        diverged = [int(h["diverged_epoch"][0]) for h in histories if h.get("diverged_epoch")]
        note = f" (diverged at epoch {min(diverged)})" if diverged else ""
        # the page's colour and marker for this setting; training dashed, validation solid
        look = {"color": style.colour(i), "marker": style.marker(i), "markersize": 4}
        train, val = {**look, "linestyle": "--"}, look
        _curve(top, histories, "accuracy", f"{optimizer}_train_acc{note}", **train)
        _curve(top, histories, "val_accuracy", f"{optimizer}_val_acc{note}", **val)
        _curve(bottom, histories, "loss", f"{optimizer}_train_loss{note}", **train)
        _curve(bottom, histories, "val_loss", f"{optimizer}_val_loss{note}", **val)
    for ax, what, place in ((top, "Accuracy", "lower right"), (bottom, "Loss", "upper right")):
        # the problem in the title; the optimizers are the legend's (a title naming six
        # settings took seven lines)
        ax.set_title(f"{model} on {dataset} ({what})")
        ax.set_xlabel("Epoch #")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(what)
        place_legend(ax, place, len(by_optimizer))
    plt.tight_layout()
    save(fig, path)


def overview(rows, path, measure=None):
    """Test accuracy of every run in one picture: grouped bars per dataset and model; for
    a program's runs, the metric judged (``measure``), in its own units and direction."""
    if measure is None or not any(r.get("program") for r in rows):
        name, score, accuracy = "Test accuracy", (lambda r: r["test_accuracy"]), True
    else:
        name = f"final {measure.name} ({direction(measure.goal)})"
        score, accuracy = (lambda r: value(r, measure)), False
    plt.style.use("ggplot")
    groups = sorted({(r["dataset"], r["model"]) for r in rows},
                    key=lambda g: (registry.order(registry.DATASETS, g[0]),
                                   registry.order(registry.MODELS, g[1])))
    optimizers = sorted({r["optimizer"] for r in rows},
                        key=lambda o: registry.order(registry.OPTIMIZERS, o))
    width = 0.8 / max(len(optimizers), 1)
    fig, ax = plt.subplots(figsize=(max(7, 1.2 * len(groups) + 2), 5))
    x = np.arange(len(groups))
    for i, optimizer in enumerate(optimizers):
        means, errors = [], []
        for dataset, model in groups:
            accs = [score(r) for r in rows if (r["dataset"], r["model"], r["optimizer"])
                    == (dataset, model, optimizer) and not math.isnan(score(r))]
            means.append(np.mean(accs) if accs else 0.0)
            errors.append(np.std(accs, ddof=1) if len(accs) > 1 else 0.0)
        bars = ax.bar(x + (i - (len(optimizers) - 1) / 2) * width, means, width, yerr=errors,
                      label=registry.display_name(optimizer), color=style.colour(i))
        ax.bar_label(bars, labels=[(f"{m:.2f}" if accuracy else f"{m:.3g}") if m else ""
                                   for m in means], fontsize=7, padding=2)
    ax.set_xticks(x, [f"{d}\n{m}" for d, m in groups], fontsize=8)
    ax.set_ylabel(name)
    if accuracy:
        ax.set_ylim(0, 1.08)
    ax.set_title(f"{name} of every run")
    # beside the bars, not over them (inside, it covered the tallest two)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, fontsize="small")
    plt.tight_layout()
    save(fig, path)


# ------------------------------------------------------------------ study B (iteration budgets)

def moving_average(values, window):
    values = np.asarray(values, float)
    if window <= 1 or len(values) < window:
        return values
    return np.convolve(values, np.ones(window) / window, mode="valid")


def _evaluated(by_optimizer):
    """(series, axis title, legend suffix) of what a --steps run evaluated at its points: a
    language model's validation loss, a hold-out's accuracy, or the test set's (study B)."""
    record = next(iter(by_optimizer.values()))[0].get("run") or {}
    if record.get("language_model"):
        return "val_loss", "Validation loss (nats per byte)", "val_loss"
    if record.get("validation_split"):
        return "val_accuracy", "Validation accuracy", "val_acc"
    return "val_accuracy", "Test accuracy", "test_acc"


def learning_curves(by_optimizer, model, dataset, batch, path, window_steps=100):
    """Top: test accuracy at each evaluation point; bottom: the training loss per step,
    smoothed by a ``window_steps`` moving average for single-example updates."""
    plt.style.use("ggplot")
    beside = len(by_optimizer) > LEGEND_INSIDE_UP_TO
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(12 if beside else 7, 9))
    smooth = str(batch) == "1"
    series, what, short = _evaluated(by_optimizer)
    for i, (optimizer, histories) in enumerate(by_optimizer.items()):
        h = histories[0]
        top.plot(h["iterations"], h[series], marker=style.marker(i), color=style.colour(i),
                 label=f"{optimizer}_{short}")
        every = int(h.get("step_loss_every", [1])[0])
        loss = h.get("step_loss", [])
        window = max(1, -(-window_steps // every)) if smooth else 1
        curve = moving_average(loss, window)
        x = (np.arange(len(curve)) + window) * every
        bottom.plot(x, curve, color=style.colour(i), label=f"{optimizer}_train_loss"
                    + (f" ({window_steps}-step moving average)" if smooth else ""))
    top.set_xscale("log")
    bottom.set_xscale("log")
    for ax, what, place in ((top, what, "upper right" if series == "val_loss" else "lower right"),
                            (bottom, "Loss", "upper right")):
        ax.set_title(f"{model} on {dataset}, batch {batch} ({what})", fontsize=10)
        ax.set_xlabel("Iteration #")
        ax.set_ylabel(what)
        place_legend(ax, place, len(by_optimizer))
    plt.tight_layout()
    save(fig, path)


def _run_label(row):
    return f"{row['model']} b{row['batch']} {registry.display_name(row['optimizer'])}"


def accuracy_vs_time(step_rows, path):
    """One point per run: final test accuracy against training time."""
    plt.style.use("ggplot")
    fig, ax = plt.subplots(figsize=(8, 6))
    for optimizer in sorted({r["optimizer"] for r, _ in step_rows}):
        pts = [(h["train_seconds"][-1], h["val_accuracy"][-1], r) for r, h in step_rows
               if r["optimizer"] == optimizer]
        ax.scatter([p[0] for p in pts], [p[1] for p in pts], label=registry.display_name(optimizer))
        for seconds, acc, r in pts:
            ax.annotate(f"{r['model']} b{r['batch']}", (seconds, acc), fontsize=7,
                        xytext=(3, 3), textcoords="offset points")
    ax.set_xscale("log")
    ax.set_xlabel("Training time (s)")
    ax.set_ylabel("Test accuracy")
    ax.set_title("Accuracy against training time, every run")
    ax.legend(loc="lower right")
    plt.tight_layout()
    save(fig, path)


def effort_ranking(step_rows, path):
    """Every run ranked by effort (training seconds / test accuracy), least first."""
    plt.style.use("ggplot")
    ranked = rank(step_rows)
    fig, ax = plt.subplots(figsize=(8, max(4, 0.35 * len(ranked) + 1.5)))
    labels = [_run_label(r) for r, _, _ in ranked]
    values = [e for _, _, e in ranked]
    ax.barh(np.arange(len(ranked)), values)
    ax.set_yticks(np.arange(len(ranked)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("Effort: training seconds / test accuracy (lower is better)")
    ax.set_title("All runs ranked by effort")
    plt.tight_layout()
    save(fig, path)


def tuning_curve(curves, model, dataset, path):
    """The answer as a function of the tuning budget: per optimizer, the expected best
    validation accuracy of b trials (line, bootstrap band) and the expected test accuracy
    of the trial validation selects (dashed), for b = 1..T."""
    plt.style.use("ggplot")
    fig, ax = plt.subplots(figsize=(7, 4.5))
    by_optimizer = {}
    for row in curves:
        by_optimizer.setdefault(row["optimizer"], []).append(row)
    for name, rows in by_optimizer.items():
        budget = [r["budget"] for r in rows]
        (line,) = ax.plot(budget, [r["expected_best_val"] for r in rows], marker="o",
                          label=f"{registry.display_name(name)}: best validation")
        ax.fill_between(budget, [r["band_low"] for r in rows], [r["band_high"] for r in rows],
                        color=line.get_color(), alpha=0.2)
        ax.plot(budget, [r["expected_test_at_selection"] for r in rows], linestyle="--",
                color=line.get_color(), label=f"{registry.display_name(name)}: test at selection")
    ax.set_xlabel("tuning budget (trials)")
    ax.set_ylabel("expected accuracy")
    ax.set_xticks(sorted({r["budget"] for r in curves}))
    ax.set_title(textwrap.shorten(f"Tuning budget, {model} on {dataset} (band: 95% bootstrap)",
                                  90), fontsize="medium")
    ax.legend(fontsize="small", loc="lower right")
    fig.tight_layout()
    save(fig, path)


def sensitivity(entries, model, dataset, margin, path):
    """Final validation accuracy of every trial against its learning rate (log axis):
    mean over seeds with +-1 std, one colour per optimizer, its best marked, and the
    range within ``margin`` points of the best."""
    plt.style.use("ggplot")
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for s in entries:
        order = np.argsort(s["rates"])
        rates = np.array(s["rates"])[order]
        mean = np.array(s["val_mean"])[order]
        std = np.nan_to_num(np.array(s["val_std"])[order])
        line = ax.errorbar(rates, mean, yerr=std, marker="o", capsize=3,
                           label=f"{registry.display_name(s['optimizer'])} "
                                 f"(within {margin:g} pt: {s['width_text']} decades)")
        ax.axhline(s["best_val"] - margin / 100, color=line[0].get_color(), linestyle=":",
                   linewidth=1)
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("final validation accuracy (mean ± std over seeds)")
    ax.set_title(textwrap.shorten(f"Sensitivity to the learning rate, {model} on {dataset}", 90),
                 fontsize="medium")
    ax.legend(fontsize="small", loc="lower center")
    fig.tight_layout()
    save(fig, path)


def lr_range_test(result, path):
    """lr_find.py's figure: loss against learning rate (log axis), the suggestion marked."""
    plt.style.use("ggplot")
    fig, ax = plt.subplots(figsize=(7, 4.5))
    curve = result["curve"]
    ax.plot(curve["learning_rate"], curve["loss"], color="0.7", linewidth=0.8,
            label="training loss (per batch)")
    ax.plot(curve["learning_rate"], curve["smoothed_loss"], label="smoothed")
    rate = result["suggested_learning_rate"]
    if rate is not None:
        index = curve["learning_rate"].index(rate)
        ax.axvline(rate, color="k", linestyle="--", linewidth=1)
        ax.plot([rate], [curve["smoothed_loss"][index]], "o", color="k",
                label=f"suggested {rate:.2g} (steepest descent)")
    ax.set_xscale("log")
    finite = [v for v in curve["smoothed_loss"] if math.isfinite(v)]
    if finite:
        ax.set_ylim(min(finite) * 0.9, min(max(finite), 4.5 * min(finite)) * 1.05)
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("training loss")
    ax.set_title(f"Learning-rate range test: {result['optimizer']} on {result['model']}, "
                 f"{result['dataset']}", fontsize=10)
    ax.legend(loc="upper left", fontsize=8)
    plt.tight_layout()
    save(fig, path)
