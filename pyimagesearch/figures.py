"""The study's figures: per model and dataset, accuracy and loss curves of every optimizer."""
import math
import textwrap

import matplotlib

matplotlib.use("Agg")  # files only; no screen needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from . import registry, storage  # noqa: E402


def save(fig, path):
    """Save a figure atomically (temporary file, then rename) and close it."""
    with storage.atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)


def _curve(ax, histories, key, label, **style):
    """One line; for several seeds the mean with a band of +-1 standard deviation."""
    length = min(len(h[key]) for h in histories)
    values = np.array([h[key][:length] for h in histories])
    epochs = np.arange(0, length)
    mean = values.mean(axis=0)
    (line,) = ax.plot(epochs, mean, label=label if len(histories) == 1
                      else f"{label} (mean of {len(histories)})", **style)
    if len(histories) > 1:
        std = values.std(axis=0, ddof=1)
        ax.fill_between(epochs, mean - std, mean + std, color=line.get_color(), alpha=0.2)


def comparison(by_optimizer, model, dataset, path):
    """The original's two stacked panels, for every optimizer in ``by_optimizer``.

    ``by_optimizer`` maps an optimizer name to its list of histories (one per seed).
    Each curve has its own colour, as in the original, while the style's colour cycle
    lasts; with more optimizers than that, each optimizer gets one colour and its
    training curves are dashed, so no two curves look alike.
    """
    plt.style.use("ggplot")
    names = " vs. ".join(registry.display_name(o) for o in by_optimizer)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 9))
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    per_optimizer = 2 * len(by_optimizer) > len(cycle)
    for i, (optimizer, histories) in enumerate(by_optimizer.items()):
        diverged = [int(h["diverged_epoch"][0]) for h in histories if h.get("diverged_epoch")]
        note = f" (diverged at epoch {min(diverged)})" if diverged else ""
        train, val = ({"color": cycle[i % len(cycle)], "linestyle": "--"},
                      {"color": cycle[i % len(cycle)]}) if per_optimizer else ({}, {})
        _curve(top, histories, "accuracy", f"{optimizer}_train_acc{note}", **train)
        _curve(top, histories, "val_accuracy", f"{optimizer}_val_acc{note}", **val)
        _curve(bottom, histories, "loss", f"{optimizer}_train_loss{note}", **train)
        _curve(bottom, histories, "val_loss", f"{optimizer}_val_loss{note}", **val)
    for ax, what, place in ((top, "Accuracy", "lower right"), (bottom, "Loss", "upper right")):
        # long titles (many optimizers) wrap instead of running off the figure
        ax.set_title(textwrap.fill(f"{names} for '{model}' on '{dataset}' ({what})",
                                    55, break_on_hyphens=False))
        ax.set_xlabel("Epoch #")
        ax.set_ylabel(what)
        ax.legend(loc=place)
    plt.tight_layout()
    save(fig, path)


def overview(rows, path):
    """Test accuracy of every run in one picture: grouped bars per dataset and model."""
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
            accs = [r["test_accuracy"] for r in rows if (r["dataset"], r["model"], r["optimizer"])
                    == (dataset, model, optimizer) and not math.isnan(r["test_accuracy"])]
            means.append(np.mean(accs) if accs else 0.0)
            errors.append(np.std(accs, ddof=1) if len(accs) > 1 else 0.0)
        bars = ax.bar(x + (i - (len(optimizers) - 1) / 2) * width, means, width, yerr=errors,
                      label=registry.display_name(optimizer))
        ax.bar_label(bars, labels=[f"{m:.2f}" if m else "" for m in means], fontsize=7, padding=2)
    ax.set_xticks(x, [f"{d}\n{m}" for d, m in groups], fontsize=8)
    ax.set_ylabel("Test accuracy")
    ax.set_ylim(0, 1.08)
    ax.set_title("Test accuracy of every run")
    ax.legend(loc="upper right")
    plt.tight_layout()
    save(fig, path)
