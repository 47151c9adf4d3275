"""The summary a person reads at a glance: one row per run, and who won where."""
import csv
import io
import math
from collections import defaultdict

import numpy as np

from . import registry, specs

COLUMNS = ["dataset", "model", "batch", "optimizer", "seed", "test_accuracy", "macro_f1",
           "final_train_loss", "final_val_loss", "final_val_accuracy", "validation",
           "best_val_accuracy", "best_epoch",
           "val_loss_std_last_quarter", "epochs", "wall_seconds", "status",
           "target_val_accuracy", "epochs_to_target", "seconds_to_target"]
TARGET_FRACTION = 0.99  # time-to-target: this fraction of the best validation accuracy

METRIC_NOTE = (
    "Test accuracy is the accuracy row of each run's classification report (the test set, "
    "after the last epoch). The original article's prose quoted macro-average *precision* "
    "instead (e.g. \"84% vs 74%\" for MiniVGGNet on CIFAR-10); this summary reports accuracy, "
    "as the article's own table of results did.")


def _model(row):
    """The model, with its batching when the grid varies it (study B)."""
    return row["model"] if row.get("batch") is None else f"{row['model']} (batch {row['batch']})"


def _mean(values):
    values = [v for v in values if not math.isnan(v)]
    return float(np.mean(values)) if values else math.nan


def add_time_to_target(rows, histories, fraction=TARGET_FRACTION):
    """Give each row its target (``fraction`` of the best validation accuracy any run
    reached on the same model and dataset) and the epochs and seconds it took to reach it.
    ``histories`` is parallel to ``rows``. A run that did not learn (test accuracy at
    chance) neither sets the target nor ever reaches it."""
    from .results import time_to_target
    best = defaultdict(float)
    for row, history in zip(rows, histories):
        if not row.get("learned", True):
            continue
        key = (row["dataset"], _model(row))
        best[key] = max(best[key], max(v for v in history["val_accuracy"] if not math.isnan(v))
                        if any(not math.isnan(v) for v in history["val_accuracy"]) else 0.0)
    for row, history in zip(rows, histories):
        target = fraction * best[(row["dataset"], _model(row))]
        epoch, seconds = time_to_target(history, target) if row.get("learned", True) and target \
            else (None, math.nan)
        row.update(target_val_accuracy=target, epochs_to_target=epoch, seconds_to_target=seconds)


def group_stats(rows):
    """Per dataset, model and optimizer: n, mean and sample std of test accuracy over
    seeds, and the mean epochs and seconds to target of the runs that reached it."""
    groups = defaultdict(list)
    for row in rows:
        groups[(row["dataset"], _model(row), row["optimizer"])].append(row)
    out = []
    for (dataset, model, optimizer), members in groups.items():
        accs = [r["test_accuracy"] for r in members if not math.isnan(r["test_accuracy"])]
        reached = [r for r in members if r.get("epochs_to_target")]
        out.append({"dataset": dataset, "model": model, "optimizer": optimizer, "n": len(accs),
                    "mean": float(np.mean(accs)) if accs else math.nan,
                    "std": float(np.std(accs, ddof=1)) if len(accs) > 1 else math.nan,
                    "reached_target": f"{len(reached)}/{len(members)}",
                    "epochs_to_target": _mean([float(r["epochs_to_target"]) for r in reached]),
                    "seconds_to_target": _mean([r["seconds_to_target"] for r in reached])})
    return out


MIN_PAIRS = 3  # fewer paired seeds give no interval: two agreeing seeds are not a spread


def paired_difference(a_by_seed, b_by_seed, confidence=0.95, resolution=0.0):
    """Mean of (b - a) over the seeds both have, in accuracy points, with the half-width
    of its ``confidence`` interval from the t-distribution (nan when n < MIN_PAIRS).

    ``resolution``: the smallest step a test accuracy can take, in points (100 / test
    images). The spread of the differences is taken as at least that: on a finite test
    set, differences that agree to the last image are not known to zero spread."""
    from scipy import stats
    seeds = sorted(set(a_by_seed) & set(b_by_seed))
    diffs = [100 * (b_by_seed[s] - a_by_seed[s]) for s in seeds
             if not (math.isnan(a_by_seed[s]) or math.isnan(b_by_seed[s]))]
    n = len(diffs)
    if n == 0:
        return {"n": 0, "mean": math.nan, "half_width": math.nan}
    mean = float(np.mean(diffs))
    if n < MIN_PAIRS:
        return {"n": n, "mean": mean, "half_width": math.nan}
    sd = max(float(np.std(diffs, ddof=1)), resolution)
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * sd / math.sqrt(n))
    return {"n": n, "mean": mean, "half_width": half}


def paired_verdict(a, b, diff):
    """One line: how ``b`` compares with ``a``."""
    n, mean, half = diff["n"], diff["mean"], diff["half_width"]
    if n == 0:
        return f"no paired runs of {a} and {b}"
    if n < MIN_PAIRS:
        return (f"{b} {'higher' if mean > 0 else 'lower'} than {a} by {abs(mean):.2f} points "
                f"in {n} pair{'s' if n > 1 else ''}: no interval below n={MIN_PAIRS}")
    if math.isnan(half) or abs(mean) <= half:
        return f"no detectable difference at n={n}"
    return (f"{b} {'higher' if mean > 0 else 'lower'} than {a} by "
            f"{abs(mean):.1f} ± {half:.1f} points")


def resolutions(rows):
    """Per (dataset, model): one test image in accuracy points (100 / the smallest test set
    among its runs), the finest step a difference of test accuracies can take."""
    sizes = defaultdict(list)
    for row in rows:
        if row.get("test_images"):
            sizes[(row["dataset"], _model(row))].append(row["test_images"])
    return defaultdict(float, {k: 100.0 / min(v) for k, v in sizes.items()})


def comparisons(rows):
    """Every pair of optimizers run on the same model and dataset, paired by seed."""
    by_group = defaultdict(lambda: defaultdict(dict))
    for row in rows:
        seed = -1 if row.get("seed") is None else row["seed"]
        by_group[(row["dataset"], _model(row))][row["optimizer"]][seed] = row["test_accuracy"]
    step = resolutions(rows)
    out = []
    for (dataset, model), by_opt in by_group.items():
        names = sorted(by_opt, key=lambda o: registry.order(registry.OPTIMIZERS, o))
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                diff = paired_difference(by_opt[a], by_opt[b], resolution=step[(dataset, model)])
                out.append({"dataset": dataset, "model": model, "a": a, "b": b, **diff,
                            "verdict": paired_verdict(a, b, diff)})
    return out


def winners(rows):
    """Per (dataset, model): the two optimizers with the highest mean test accuracy, and
    whether the data name a winner. Only a paired 95% interval over seeds that excludes
    zero does; one run each is not evidence, and nor is a group where no run learned.

    Returns dicts with dataset, model, leader, runner_up, means, and either winner (with
    margin_points and half_width, paired by seed) or reason: "one run each", "no
    detectable difference", "nothing learned" or "too few optimizers"."""
    groups = defaultdict(lambda: defaultdict(dict))
    learned = defaultdict(bool)
    for row in rows:
        seed = -1 if row.get("seed") is None else row["seed"]
        groups[(row["dataset"], _model(row))][row["optimizer"]][seed] = row["test_accuracy"]
        learned[(row["dataset"], _model(row))] |= row.get("learned", True)
    step = resolutions(rows)
    out = []
    for key, by_opt in groups.items():
        means = sorted(((m, opt) for opt, accs in by_opt.items()
                        if not math.isnan(m := _mean(list(accs.values())))), reverse=True)
        entry = {"dataset": key[0], "model": key[1], "winner": None, "leader": None,
                 "runner_up": None, "margin_points": math.nan, "half_width": math.nan,
                 "means": {o: m for m, o in means}, "n": 0}
        out.append(entry)
        if len(means) < 2:
            entry["reason"] = "too few optimizers"
            continue
        leader, runner_up = means[0][1], means[1][1]
        diff = paired_difference(by_opt[runner_up], by_opt[leader], resolution=step[key])
        entry.update(leader=leader, runner_up=runner_up, n=diff["n"],
                     margin_points=diff["mean"], half_width=diff["half_width"])
        if not learned[key]:
            entry["reason"] = "nothing learned"
        elif max(len(by_opt[leader]), len(by_opt[runner_up])) < 2 or diff["n"] < 2:
            entry["reason"] = "one run each"
        elif diff["n"] < MIN_PAIRS:
            entry["reason"] = "too few seeds"
        elif math.isnan(diff["half_width"]) or diff["mean"] - diff["half_width"] <= 0:
            entry["reason"] = "no detectable difference"
        else:
            entry["winner"] = leader
    return out


def _fmt(value, digits=4):
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.{digits}f}"
    return str(value)


def to_csv(rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_fmt(row.get(c)) for c in COLUMNS])
    return buffer.getvalue()


def verdict(entry):
    """One line a person can trust: a winner only where the paired interval names one."""
    name = registry.display_name
    reason = entry.get("reason")
    if reason == "too few optimizers":
        return "not enough runs with a test accuracy to compare"
    leader, runner_up = name(entry["leader"]), name(entry["runner_up"])
    means = entry["means"]
    if reason == "nothing learned":
        return "no verdict: no run learned (every test accuracy within 2 points of chance)"
    if reason == "one run each":
        return (f"one run each: not evidence ({leader} {means[entry['leader']]:.4f}, "
                f"{runner_up} {means[entry['runner_up']]:.4f}; run with --seeds)")
    if reason == "too few seeds":
        return (f"{entry['n']} paired seeds: too few for an interval ({leader} "
                f"{means[entry['leader']]:.4f}, {runner_up} {means[entry['runner_up']]:.4f}; "
                f"run at least {MIN_PAIRS} seeds)")
    if reason == "no detectable difference":
        return (f"no detectable difference: {leader} vs {runner_up}, "
                f"{entry['margin_points']:+.2f} points, paired 95% CI "
                f"[{entry['margin_points'] - entry['half_width']:.2f}, "
                f"{entry['margin_points'] + entry['half_width']:.2f}], n={entry['n']}")
    return (f"{leader} ahead of {runner_up} by {entry['margin_points']:.2f} ± "
            f"{entry['half_width']:.2f} points (paired 95% CI, n={entry['n']})")


def who_won(rows):
    """The "Who won" table's lines (summary.md has them; plot.py prints them)."""
    lines = ["## Who won (test accuracy; a winner only where the paired 95% CI over "
             "seeds excludes zero)", "", "| dataset | model | verdict |", "| --- | --- | --- |"]
    for entry in winners(rows):
        lines.append(f"| {entry['dataset']} | {entry['model']} | {verdict(entry)} |")
    return lines


def to_markdown(rows, title="Summary"):
    headers = ["dataset", "model", "optimizer", "seed", "test acc.", "macro-F1",
               "final train loss", "final val loss", "best val acc. (epoch)",
               "val loss std, last quarter", "epochs", "wall s", "status"]
    lines = [f"# {title}", "", METRIC_NOTE, "", "## Runs", "",
             "| " + " | ".join(headers) + " |", "|" + " --- |" * len(headers)]
    for r in rows:
        cells = [r["dataset"], _model(r), registry.display_name(r["optimizer"]),
                 _fmt(r.get("seed")), _fmt(r["test_accuracy"]), _fmt(r["macro_f1"]),
                 _fmt(r["final_train_loss"]), _fmt(r["final_val_loss"]),
                 f"{_fmt(r['best_val_accuracy'])} ({r['best_epoch']})",
                 _fmt(r["val_loss_std_last_quarter"]), str(r["epochs"]), _fmt(r["wall_seconds"], 0), r.get("status", "ok")]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [""] + who_won(rows)
    lines += ["", "## Test accuracy over seeds", "",
              "| dataset | model | optimizer | n | mean | std | reached target | "
              "epochs to target | seconds to target |", "|" + " --- |" * 9]
    for g in group_stats(rows):
        lines.append(f"| {g['dataset']} | {g['model']} | {registry.display_name(g['optimizer'])} | "
                     f"{g['n']} | {_fmt(g['mean'])} | {_fmt(g['std'])} | {g['reached_target']} | "
                     f"{_fmt(g['epochs_to_target'], 1)} | {_fmt(g['seconds_to_target'], 1)} |")
    lines += ["", f"Target: {TARGET_FRACTION:.0%} of the best validation accuracy that any run "
              "reached on the same model and dataset (time-to-target as AlgoPerf counts it); "
              "runs that did not learn neither set it nor reach it.",
              "", "## Paired differences (test accuracy, 95% CI over seeds, t-distribution)", "",
              "| dataset | model | A | B | n | mean B - A (points) | 95% CI | verdict |",
              "|" + " --- |" * 8]
    lines += _comparison_lines(comparisons(rows))
    on_test = sum(1 for r in rows if r.get("validation", "test set") == "test set")
    if on_test:
        lines += ["", f"{on_test} of {len(rows)} runs validated on the test set (no "
                  "--validation-split, as the original study did): any choice made from their "
                  "curves (a best epoch, a setting picked from a grid) was made on the test set."]
    lines += tuned_markdown(rows)
    lines += ["", "Validation-loss std is the sample standard deviation over the last quarter "
              "of the epochs (at least 2): the study's \"stability\" claim, as a number, "
              "without the first epochs' BatchNorm warm-up. \"Did not learn\": a test "
              "accuracy within 2 points of chance (1 / classes).", ""]
    return "\n".join(lines)


# ------------------------------------------------------------------ tuned comparisons

def family(optimizer):
    """The optimizer a setting belongs to: ``adam(learning_rate=0.0003)`` -> ``adam``."""
    try:
        return specs.parse(optimizer).name
    except specs.SpecError:
        return optimizer


def tuned_selection(rows):
    """Per dataset, model and optimizer: the setting with the best mean validation accuracy
    at the final epoch over seeds (the model a run ends with, not a best epoch it did not
    keep), with its tuning budget (settings tried) and where it was selected."""
    groups = defaultdict(lambda: defaultdict(list))
    for row in rows:
        groups[(row["dataset"], _model(row), family(row["optimizer"]))][row["optimizer"]].append(row)
    out = []
    for (dataset, model, name), settings in groups.items():
        scored = [(_mean([r.get("final_val_accuracy", math.nan) for r in members]), setting)
                  for setting, members in settings.items()]
        best_val, chosen = max(scored, key=lambda t: -math.inf if math.isnan(t[0]) else t[0])
        members = [r for ms in settings.values() for r in ms]
        out.append({"dataset": dataset, "model": model, "optimizer": name, "chosen": chosen,
                    "budget": len(settings), "val_accuracy": best_val,
                    "test_accuracy": _mean([r["test_accuracy"] for r in settings[chosen]]),
                    "seeds": len(settings[chosen]),
                    "on_test": any(r.get("validation", "test set") == "test set" for r in members)})
    return sorted(out, key=lambda s: (s["dataset"], s["model"],
                                      registry.order(registry.OPTIMIZERS, s["optimizer"])))


def tuned_markdown(rows):
    """The "tuned verdict": each optimizer at its selected setting, compared on test
    accuracy with paired intervals. Empty unless some optimizer was run at several settings."""
    selection = tuned_selection(rows)
    if all(s["budget"] < 2 for s in selection):
        return []
    lines = ["", "## Tuned verdict (each optimizer at the setting with the best mean "
             "final-epoch validation accuracy, then compared on the test set)", "",
             "| dataset | model | optimizer | settings tried | chosen setting | mean val acc. | "
             "mean test acc. | selected on |", "|" + " --- |" * 8]
    for s in selection:
        where = "the test set: optimistic" if s["on_test"] else "the validation hold-out"
        lines.append(f"| {s['dataset']} | {s['model']} | {registry.display_name(s['optimizer'])} | "
                     f"{s['budget']} | {registry.display_name(s['chosen'])} | "
                     f"{_fmt(s['val_accuracy'])} | {_fmt(s['test_accuracy'])} | {where} |")
    budgets = defaultdict(dict)
    for s in selection:
        budgets[(s["dataset"], s["model"])][s["optimizer"]] = s["budget"]
    for (dataset, model), by_opt in budgets.items():
        if len(set(by_opt.values())) > 1:
            lines += ["", f"**Unequal tuning budgets** on {dataset} / {model}: " + ", ".join(
                f"{registry.display_name(o)} {n}" for o, n in by_opt.items()) + " settings. The "
                "optimizer tuned more has an advantage; give each the same number of settings."]
    if any(s["on_test"] for s in selection):
        lines += ["", "Some selections were made on the test set (runs without "
                  "--validation-split): the tuned test accuracies are optimistic."]
    chosen = {(s["dataset"], s["model"], s["chosen"]) for s in selection}
    picked = [r for r in rows if (r["dataset"], _model(r), r["optimizer"]) in chosen]
    lines += ["", "| dataset | model | A | B | n | mean B - A (points) | 95% CI | verdict |",
              "|" + " --- |" * 8]
    lines += _comparison_lines(comparisons(picked))
    return lines


def _comparison_lines(found):
    out = []
    for c in found:
        ci = "" if math.isnan(c["half_width"]) else \
            f"[{c['mean'] - c['half_width']:.2f}, {c['mean'] + c['half_width']:.2f}]"
        out.append(f"| {c['dataset']} | {c['model']} | {c['a']} | {c['b']} | {c['n']} | "
                   f"{_fmt(c['mean'], 2)} | {ci} | {c['verdict']} |")
    return out


# ------------------------------------------------------------------ study B (iteration budgets)

def effort(row, history):
    """Study B's "effort": training seconds per unit of test accuracy (lower is better)."""
    accuracy = row["test_accuracy"]
    if math.isnan(accuracy):
        accuracy = history["val_accuracy"][-1]
    seconds = history.get("train_seconds", [math.nan])[-1]
    return seconds / accuracy if accuracy > 0 else math.inf


def effort_ranking(step_rows):
    """(row, history, effort) for every run with an iteration budget, least effort first."""
    return sorted(((r, h, effort(r, h)) for r, h in step_rows), key=lambda t: t[2])


def iterations_markdown(step_rows):
    """The article's tables: per batching, test accuracy at each evaluation point, and
    all runs ranked by effort. Empty when no run had an iteration budget."""
    if not step_rows:
        return ""
    lines = ["", "## Accuracy at 500 x 2^k iterations (iteration budgets)", ""]
    batches = sorted({r["batch"] for r, _ in step_rows},
                     key=lambda b: (0, 0) if b == "full" else (1, int(b)))
    for batch in batches:
        members = [(r, h) for r, h in step_rows if r["batch"] == batch]
        points = sorted({int(i) for _, h in members for i in h["iterations"]})
        title = {"full": "batch (whole training set per step)", "1": "stochastic (1 example per step)"}
        lines += [f"### {title.get(batch, f'mini-batch ({batch} per step)')}", "",
                  "| model | optimizer | " + " | ".join(f"{p:,}" for p in points) + " |",
                  "|" + " --- |" * (len(points) + 2)]
        for r, h in members:
            at = dict(zip((int(i) for i in h["iterations"]), h["val_accuracy"]))
            cells = [f"{100 * at[p]:.2f}%" if p in at else "" for p in points]
            lines.append(f"| {r['model']} | {registry.display_name(r['optimizer'])} | "
                         + " | ".join(cells) + " |")
        lines.append("")
    lines += ["## Effort ranking (training seconds / test accuracy; lower is better)", "",
              "| rank | model | batching | optimizer | test accuracy | training s | effort |",
              "| --- | --- | --- | --- | --- | --- | --- |"]
    for rank, (r, h, e) in enumerate(effort_ranking(step_rows), 1):
        acc = r["test_accuracy"] if not math.isnan(r["test_accuracy"]) else h["val_accuracy"][-1]
        lines.append(f"| {rank} | {r['model']} | {r['batch']} | "
                     f"{registry.display_name(r['optimizer'])} | {acc:.4f} | "
                     f"{h['train_seconds'][-1]:.1f} | {e:.1f} |")
    return "\n".join(lines) + "\n"
