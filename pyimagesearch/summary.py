"""The summary a person reads at a glance: one row per run, and who won where."""
import csv
import io
import math
from collections import defaultdict

import numpy as np

from . import registry, specs, tuning, verdicts
from .measure import Measure, oriented
from .measure import value as value_of
from .results import TARGET_FRACTION, _model, csv_text, problem

COLUMNS = ["dataset", "model", "batch", "optimizer", "seed", "test_accuracy", "macro_f1",
           "final_train_loss", "final_val_loss", "final_val_accuracy", "validation",
           "best_val_accuracy", "best_epoch",
           "val_loss_std_last_quarter", "epochs", "wall_seconds", "status",
           "target_val_accuracy", "epochs_to_target", "seconds_to_target"]

METRIC_NOTE = (
    "Test accuracy is the accuracy row of each run's classification report (the test set, "
    "after the last epoch). The original article's prose quoted macro-average *precision* "
    "instead (e.g. \"84% vs 74%\" for MiniVGGNet on CIFAR-10); this summary reports accuracy, "
    "as the article's own table of results did.")


def _mean(values):
    values = [v for v in values if not math.isnan(v)]
    return float(np.mean(values)) if values else math.nan


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


# ------------------------------------------------------------------ verdicts

# A metric with no test-set size to resolve it (a user's program's): differences that agree
# to a millionth of a point are not known to zero spread either.
UNKNOWN_RESOLUTION = 1e-6


def problem_comparisons(rows, measure=None):
    """Every pair of optimizers run on the same problem (dataset and model), in registry
    order, with their test accuracies by seed: dicts of dataset, model, a, b, a_scores,
    b_scores ({seed: accuracy}), a_settings, b_settings (the run settings behind each, by
    which decide.json's looks name runs: a tuned optimizer's chosen setting), resolution
    (one test image in points, for test accuracy), margin (in the measure's units) and
    learned (whether any run of the two learned). ``measure``: which value of a run is
    compared (:mod:`.measure`; default test accuracy)."""
    measure = measure or Measure()
    by_problem = defaultdict(lambda: defaultdict(dict))
    settings = defaultdict(set)
    learned = defaultdict(bool)
    sizes = defaultdict(list)
    for row in rows:
        key = problem(row)
        seed = -1 if row.get("seed") is None else row["seed"]
        score = value_of(row, measure)
        if math.isfinite(score):
            by_problem[key][row["optimizer"]][seed] = score
        settings[(key, row["optimizer"])].update(row.get("settings") or [row.get("setting",
                                                                               row["optimizer"])])
        learned[(key, row["optimizer"])] |= row.get("learned", True)
        if row.get("test_images"):
            sizes[key].append(row["test_images"])
    out = []
    for key, by_opt in by_problem.items():
        names = sorted(by_opt, key=lambda o: registry.order(registry.OPTIMIZERS, o))
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                out.append({"dataset": key[0], "model": key[1], "a": a, "b": b,
                            "a_scores": by_opt[a], "b_scores": by_opt[b],
                            "a_settings": sorted(settings[(key, a)]),
                            "b_settings": sorted(settings[(key, b)]),
                            "resolution": 100.0 / min(sizes[key])
                            if sizes[key] and measure.name == "test_accuracy"
                            else UNKNOWN_RESOLUTION, "measure": measure,
                            "margin": measure.margin_for(list(by_opt[a].values())),
                            "learned": learned[(key, a)] or learned[(key, b)]})
    return out


def paired_seeds(comparison):
    """The seeds both optimizers of a comparison have, ascending."""
    return sorted(set(comparison["a_scores"]) & set(comparison["b_scores"]))


def paired_diffs(comparison, seeds=None):
    """The differences over ``seeds`` (default: every seed both have), in the measure's
    units and oriented so that positive means B better (B - A in points for accuracies)."""
    a, b = comparison["a_scores"], comparison["b_scores"]
    measure = comparison.get("measure") or Measure()
    return [oriented(a[s], b[s], measure)
            for s in (paired_seeds(comparison) if seeds is None else seeds)]


def seed_counts(rows, measure=None):
    """The paired seeds of every comparison, in :func:`problem_comparisons`' order."""
    return [len(paired_seeds(c)) for c in problem_comparisons(rows, measure)]


def default_plan(counts, max_seeds=verdicts.MAX_SEEDS):
    """The looks when none were fixed (no decide.py yet): from the fewest paired seeds."""
    return verdicts.schedule(max(1, min(counts, default=1)), max_seeds)


def design_for(rows, design=None, measure=None):
    """``design``, or where none was fixed the first look of the default plan."""
    return design or verdicts.Design.first_look(seed_counts(rows, measure))


def arrivals(comparison, design):
    """(seeds in the order the looks read them, the seeds each look had, the seeds no look
    has read yet) of a comparison under ``design``: a seed counts at a look when both
    optimizers' runs of it were there (decide.json's record of the look) and are readable
    now. Without recorded looks, every paired seed is the one look's."""
    shared = paired_seeds(comparison)
    if design is None or design.looks is None:
        return shared, [len(shared)], []
    ordered, counts, unread, _ = _arrivals(comparison, design, shared)
    return ordered, counts, unread


def seen_by(comparison, design, side, look):
    """The seeds of one side (``"a"`` or ``"b"``) that the looks up to ``look`` had."""
    if design is None or design.looks is None:
        return set(comparison[f"{side}_scores"])
    names = comparison[f"{side}_settings"]
    out = set()
    for k in range(min(look, len(design.looks) - 1) + 1):
        out |= set.intersection(*(set(design.looks[k].get(
            (comparison["dataset"], comparison["model"], n), ())) for n in names))
    return out & set(comparison[f"{side}_scores"])


def _arrivals(comparison, design, shared):
    def seen(look, names):
        return set.intersection(*(set(look.get((comparison["dataset"], comparison["model"], n), ()))
                                  for n in names))
    first = {}
    for k, look in enumerate(design.looks):
        both = seen(look, comparison["a_settings"]) & seen(look, comparison["b_settings"])
        for s in shared:
            if s in both and s not in first:
                first[s] = k
    ordered = sorted(first, key=lambda s: (first[s], s))
    counts = [sum(1 for s in ordered if first[s] <= k) for k in range(len(design.looks))]
    return ordered, counts, [s for s in shared if s not in first], first


def verdict_table(rows, margin=verdicts.MARGIN, design=None, measure=None):
    """The verdict of every pair on every problem, and one overall row per pair: dicts
    with the columns of verdicts.csv (VERDICT_COLUMNS) and ``text``, a line a person
    reads. ``design`` (:class:`verdicts.Design`): decide.json's looks, or by default the
    first look of the default plan over every seed there. Each comparison is tested on
    all the paired seeds it had at each look taken; seeds no look has read yet (runs
    added since decide.py's last look) are counted in ``unread``. ``measure``: the metric,
    its direction and margin (default: test accuracy, higher is better, ``margin`` points)."""
    measure = measure or Measure(margin=margin)
    found = problem_comparisons(rows, measure)
    if not found:
        return [], []
    design = design_for(rows, design, measure)
    order = [arrivals(c, design) for c in found]
    longest = max(1, max(len(o[0]) for o in order))
    table = np.full((1, len(found), longest), np.nan)
    for i, (c, (seeds, _, _)) in enumerate(zip(found, order)):
        table[0, i, :len(seeds)] = paired_diffs(c, seeds)
    counts = np.array([[o[1][k] for o in order] for k in range(design.taken())])[:, None, :]
    resolution = np.array([c["resolution"] for c in found])
    # a pair where no run learned is not tested: its accuracies are chance, whatever they say
    margins = np.array([c["margin"] for c in found])
    seq = verdicts.sequential(table, counts, design.weights, margins, resolution,
                              skip=[not c["learned"] for c in found])
    still_open = int(np.sum(seq["verdict"][0] == "undecided"))
    later_weight = design.weights[min(design.taken(), len(design.weights) - 1)]
    out = []
    for i, (c, (seeds, _, unread)) in enumerate(zip(found, order)):
        at = max(0, int(seq["look"][0, i]))
        read = seeds[:int(counts[at, 0, i])]
        margin = c["margin"]
        tests = verdicts.paired_tests(np.array(paired_diffs(c, read)), margin, c["resolution"])
        verdict = str(seq["verdict"][0, i])
        equivalent = verdict == "equivalent"
        row = {"scope": "problem", "dataset": c["dataset"], "model": c["model"], "a": c["a"],
               "b": c["b"], "n": int(tests["n"]), "mean_diff": float(tests["mean"]),
               "ci_low": float(tests["ci_low"]), "ci_high": float(tests["ci_high"]),
               "p_value": math.nan, "p_adjusted": math.nan, "verdict": verdict,
               "seeds_needed": None, "margin": margin, "learned": c["learned"],
               "metric": measure.name, "goal": measure.goal, "unit": measure.unit,
               "sd": float(tests["sd"]), "look": at, "seeds": read, "unread": unread,
               # a seed one side had at the look the verdict rests on and the other lacks
               "a_only": sorted(seen_by(c, design, "a", at) - set(c["b_scores"])),
               "b_only": sorted(seen_by(c, design, "b", at) - set(c["a_scores"]))}
        if row["n"] >= verdicts.MIN_PAIRS:
            row["p_value"] = float(tests["p_equivalence"] if equivalent else tests["p_value"])
            row["p_adjusted"] = float(seq["p_equivalence_adjusted" if equivalent else "p_adjusted"][0, i])
        if verdict == "undecided" and row["n"] >= 2 and c["learned"]:
            needed = verdicts.seeds_needed(row["mean_diff"], row["sd"], margin,
                                           verdicts.ALPHA * later_weight / max(1, still_open))
            # at least one more seed: the seeds run now have already been looked at
            row["seeds_needed"] = None if needed is None else max(needed, row["n"] + 1)
        row["text"] = verdict_text(row)
        out.append(row)
    return out, overall_rows(found, out, measure)


def overall_rows(found, problem_rows, measure):
    """Per pair over every problem it was run on: the counts of verdicts, the Wilcoxon
    signed-rank test on the per-problem mean differences (Holm over the pairs), and the
    probability of improvement with its stratified bootstrap interval. Its verdict: the
    Wilcoxon test's where it decides, else the one every problem agrees on, else
    undecided."""
    from statsmodels.stats.multitest import multipletests
    pairs = defaultdict(list)
    for c, row in zip(found, problem_rows):
        pairs[(c["a"], c["b"])].append((c, row))
    out = []
    for (a, b), members in pairs.items():
        means = [r["mean_diff"] for _, r in members]
        test = verdicts.across_problems(means)
        sign = 1.0 if measure.goal == "max" else -1.0  # "B beats A": B's value is the better
        scores = [([sign * v for v in c["a_scores"].values()],
                   [sign * v for v in c["b_scores"].values()]) for c, _ in members]
        low, high = verdicts.probability_interval(scores)
        counts = {v: sum(1 for _, r in members if r["verdict"] == v) for v in verdicts.VERDICTS}
        out.append({"scope": "overall", "dataset": "*", "model": "*", "a": a, "b": b,
                    "n": len(members),
                    "mean_diff": float(np.mean([m for m in means if not math.isnan(m)]))
                    if any(not math.isnan(m) for m in means) else math.nan,
                    "ci_low": math.nan, "ci_high": math.nan, "p_value": test["wilcoxon_p"],
                    "p_adjusted": math.nan, "verdict": "undecided", "seeds_needed": None,
                    "margin": measure.margin if not measure.relative else math.nan,
                    "metric": measure.name, "goal": measure.goal, "unit": measure.unit,
                    "counts": counts,
                    "probability": verdicts.probability_of_improvement(scores),
                    "probability_low": low, "probability_high": high})
    tested = [r for r in out if not math.isnan(r["p_value"])]
    if tested:
        adjusted = multipletests([r["p_value"] for r in tested], method="holm")[1]
        for r, p in zip(tested, adjusted):
            r["p_adjusted"] = float(p)
            if p <= verdicts.ALPHA:
                r["verdict"] = "better" if r["mean_diff"] > 0 else "worse"
    for r in out:  # the same verdict on every problem is one too (each is family-wise)
        for verdict in ("better", "worse", "equivalent"):
            if r["verdict"] == "undecided" and r["counts"][verdict] == r["n"]:
                r["verdict"] = verdict
        r["text"] = overall_text(r)
    return out


def verdict_text(row):
    """One line: how B compares with A on a problem, with its evidence, and which seeds
    it did not read and why."""
    return _verdict_evidence(row) + seeds_note(row)


def seeds_note(row):
    """Which seeds a comparison left out and why: runs of one optimizer whose partner at
    that seed is missing or unreadable, and runs added since the last look."""
    name = registry.display_name
    notes = []
    for side, other in (("a", "b"), ("b", "a")):
        only = row.get(f"{side}_only") or []
        if only:
            notes.append(f"{_seed_list(only)} of {name(row[side])} left out: no readable "
                         f"{name(row[other])} run there")
    if row.get("unread"):
        notes.append(f"{_seed_list(row['unread'])} not read: run after the last look "
                     "(decide.py's next call takes the next look)")
    return f" ({'; '.join(notes)})" if notes else ""


def _seed_list(seeds):
    seeds = [s for s in seeds if s != -1]
    if not seeds:
        return "the unseeded run"
    head = ", ".join(map(str, seeds[:8])) + (", ..." if len(seeds) > 8 else "")
    return f"seed{'s' if len(seeds) > 1 else ''} {head}"


def raw(row):
    """(B - A, its interval) in the metric's own direction: a verdict row holds the gain
    (positive: B better), which for a lower-is-better metric is A - B."""
    if row.get("goal", "max") == "max":
        return row["mean_diff"], row["ci_low"], row["ci_high"]
    return -row["mean_diff"], -row["ci_high"], -row["ci_low"]


def _verdict_evidence(row):
    name = registry.display_name
    a, b, n = name(row["a"]), name(row["b"]), row["n"]
    points = row.get("unit", "accuracy points") == "accuracy points"
    digits = ".2f" if points else ".4g"
    unit = "points" if points else row["unit"]
    metric = "" if row.get("metric", "test_accuracy") == "test_accuracy" else (
        f" (on {row['metric']}, {'lower' if row['goal'] == 'min' else 'higher'} is better)")
    mean, low, high = raw(row)
    interval = "" if math.isnan(low) else f" [{low:+{digits}}, {high:+{digits}}]"
    if row["verdict"] in ("better", "worse"):
        return (f"{b} {row['verdict']} than {a}{metric} by {abs(mean):{digits}} {unit}"
                f"{interval}, n={n}, p adj. {row['p_adjusted']:.3g}")
    if row["verdict"] == "equivalent":
        within = f"±{row['margin']:g}" + ("" if points else f" {unit}")
        return (f"equivalent within {within}: {b} - {a} = "
                f"{mean:+{digits}}{interval}, n={n}, p adj. {row['p_adjusted']:.3g}")
    if not row.get("learned", True):
        return f"undecided: no run of {a} or {b} learned (test accuracy at chance)"
    if n < 2:
        return f"undecided: one run each ({b} - {a} = {mean:+{digits}}); run with --seeds"
    needed = row.get("seeds_needed")
    about = "" if needed is None else (
        f"; about {needed} seeds per optimizer would decide" if needed <= 1000
        else "; more than 1,000 seeds per optimizer would be needed")
    if n < verdicts.MIN_PAIRS:
        return f"undecided: {b} - {a} = {mean:+{digits}} over {n} seeds, too few " \
               f"for a test (at least {verdicts.MIN_PAIRS}){about}"
    return f"undecided: {b} - {a} = {mean:+{digits}}{interval}, n={n}{about}"


def overall_text(row):
    """The answer across problems, in one sentence."""
    name = registry.display_name
    a, b, c = name(row["a"]), name(row["b"]), row["counts"]
    test = (("no test across fewer than 2 problems" if row["n"] < 2 else "no test: fewer "
             "than 2 problems with a non-zero mean difference") if math.isnan(row["p_value"]) else
            f"Wilcoxon signed-rank p = {row['p_value']:.3g} (Holm {row['p_adjusted']:.3g}) on "
            "the per-problem mean differences")
    return (f"Across {row['n']} problem{'s' if row['n'] != 1 else ''}, {b} vs {a}: "
            f"{row['verdict']} (better on {c['better']}, equivalent on {c['equivalent']}, worse on "
            f"{c['worse']}, undecided on {c['undecided']}); {test}; P({b} beats {a} on a random "
            f"problem and seed) = {row['probability']:.2f} [{row['probability_low']:.2f}, "
            f"{row['probability_high']:.2f}] (stratified bootstrap, 95%).")


def design_sentence(design, problem_rows=()):
    """Which looks the verdicts took and what they spent, in one sentence."""
    counts = [r["n"] for r in problem_rows if r["n"]]
    seeds = "" if not counts else (f"{min(counts)} seeds per comparison" if min(counts) == max(counts)
                                   else f"{min(counts)} to {max(counts)} seeds per comparison")
    if design.kind == "fixed":
        return ("One look with all of alpha (a fixed design, plot.py --fixed, recorded in "
                f"decide.json: decide.py adds no seeds to this folder){', ' + seeds if seeds else ''}")
    plan = ", ".join(map(str, design.plan))
    if design.kind == "first look":
        return (f"This is the first look (the grid as run{', ' + seeds if seeds else ''}), "
                f"spending {design.spent():.1%} of alpha: its share of the default plan of looks "
                f"at {plan} seeds, so that decide.py may add seeds later (plot.py --fixed "
                "spends all of it in one look, for a grid that will never add seeds)")
    return (f"Looks taken: {design.taken()} of decide.py's {len(design.plan)} (the grid as run, "
            f"then {design.taken() - 1} round{'s' if design.taken() != 2 else ''} of seeds; "
            f"{seeds + '; ' if seeds else ''}the plan in decide.json aims at {plan} seeds, and "
            f"each look spends alpha in proportion to the square root of its target), "
            f"{design.spent():.1%} of alpha spent so far")


def rule_sentence(measure, design, problem_rows):
    """The decision rule in one sentence a reader can check (``measure``: a Measure, or
    a margin in accuracy points)."""
    measure = measure if isinstance(measure, Measure) else Measure(margin=measure)
    comparisons = len(problem_rows)
    return (f"Verdicts on {measure.sentence()}: on each problem, the paired t-test "
            f"(better/worse) and TOST (equivalent within {measure.margin_text()}) on the "
            "differences over every seed both optimizers have; "
            + (f"all {comparisons} comparisons of this summary are one family (Holm step-down "
               "over both tests of each)" if comparisons != 1 else
               "its two tests are one family (Holm step-down)")
            + f". {design_sentence(design, problem_rows)}; so the chance of any wrong better, "
            f"worse or equivalent here is at most {verdicts.ALPHA:.0%}. Intervals are plain 95% "
            f"t-intervals; a verdict needs its adjusted p (p adj.) at most {verdicts.ALPHA:g}. "
            f"The spread is taken as at least one test image (a millionth of a point for a "
            f"program's metric), and no test runs below "
            f"{verdicts.MIN_PAIRS} seeds.")


VERDICT_COLUMNS = ["scope", "dataset", "model", "a", "b", "metric", "goal", "unit", "n",
                   "mean_diff", "ci_low", "ci_high", "p_value", "p_adjusted", "verdict",
                   "seeds_needed", "margin", "probability", "probability_low",
                   "probability_high", "look", "seeds_read"]
# metric, goal (max: higher is better; min: lower is), unit (accuracy points for accuracies,
# else the metric's own); mean_diff, ci_low, ci_high, margin in that unit, mean_diff = B - A
# in the metric's own direction (so for a loss, negative means B lower: better).
# scope: "problem" (one pair on one problem: the mean paired difference B - A, its
# 95% t-interval, the test's p and its adjusted p), "overall" (one pair across problems:
# mean of the per-problem means, Wilcoxon's p and Holm's; the probability of improvement
# P(B beats A) and its bootstrap interval in their own columns); "tuned" and "tuned overall":
# the same for each optimizer at its setting selected on validation.


def verdicts_csv(problem_rows, overall, tuned=None):
    """verdicts.csv: every setting's rows, then the tuned optimizers' (``tuned``: the
    verdict table of :func:`tuned_rows`), each column with one meaning."""
    records = [*problem_rows, *overall]
    if tuned:
        records += [{**r, "scope": "tuned" if r["scope"] == "problem" else "tuned overall"}
                    for r in [*tuned[0], *tuned[1]]]
    def cells(row):
        out = {c: row.get(c) for c in VERDICT_COLUMNS}
        if row["scope"] == "problem" or row.get("goal") == "max":
            out["mean_diff"], out["ci_low"], out["ci_high"] = raw(row)
        elif not math.isnan(row["mean_diff"]):  # an overall row: the mean, no interval
            out["mean_diff"] = -row["mean_diff"]
        out["seeds_read"] = " ".join(str(s) for s in row["seeds"]) if row.get("seeds") else None
        return out
    return csv_text(VERDICT_COLUMNS, [cells(row) for row in records])


def headline(overall):
    """The study's question across its problems: RAdam vs Adam where both ran, else the
    first pair."""
    if not overall:
        return None
    for row in overall:
        if (row["a"], row["b"]) == ("adam", "radam"):
            return row
    return overall[0]


def verdict_markdown(rows, margin=verdicts.MARGIN, design=None, table=None, measure=None):
    """The summary's verdict section (and what plot.py prints); ``table``: what
    :func:`verdict_table` gave for these rows, when the caller has it already."""
    measure = measure or Measure(margin=margin)
    design = design_for(rows, design, measure)
    problems, overall = table or verdict_table(rows, margin, design, measure)
    if not problems:
        what = "test accuracy" if measure.name == "test_accuracy" else measure.name
        return ["## Verdicts", "", f"Not enough runs with a {what} to compare."]
    unit = "points" if measure.accuracy else measure.unit
    digits = 2 if measure.accuracy else 4
    lines = ["## Verdicts", "", f"**{headline(overall)['text']}**", "",
             rule_sentence(measure, design, problems), "",
             f"| dataset | model | A | B | n | B - A ({unit}) | 95% CI | p | p adj. | verdict |",
             "|" + " --- |" * 10]
    for r in problems:
        mean, low, high = raw(r)
        ci = "" if math.isnan(low) else f"[{low:.{digits}f}, {high:.{digits}f}]"
        lines.append(f"| {r['dataset']} | {r['model']} | {r['a']} | {r['b']} | {r['n']} | "
                     f"{_fmt(mean, digits)} | {ci} | {_fmt(r['p_value'], 4)} | "
                     f"{_fmt(r['p_adjusted'], 4)} | {r['text']} |")
    if len(overall) > 1 or overall[0]["n"] > 1:
        lines += ["", "### Across problems", ""] + [f"- {r['text']}" for r in overall]
    return lines


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


def to_markdown(rows, title="Summary", margin=verdicts.MARGIN, design=None, table=None,
                tuned_table=None, measure=None, speed_rows=None):
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
    measure = measure or Measure(margin=margin)
    lines = lines[:4] + verdict_markdown(rows, margin, design, table, measure) \
        + speed_markdown(speed_rows) + [""] + lines[4:]
    lines += ["", "## Test accuracy over seeds", "",
              "| dataset | model | optimizer | n | mean | std | reached target | "
              "epochs to target | seconds to target |", "|" + " --- |" * 9]
    for g in group_stats(rows):
        lines.append(f"| {g['dataset']} | {g['model']} | {registry.display_name(g['optimizer'])} | "
                     f"{g['n']} | {_fmt(g['mean'])} | {_fmt(g['std'])} | {g['reached_target']} | "
                     f"{_fmt(g['epochs_to_target'], 1)} | {_fmt(g['seconds_to_target'], 1)} |")
    lines += ["", f"Target: {TARGET_FRACTION:.0%} of the best validation accuracy that any run "
              "reached on the same model and dataset (time-to-target as AlgoPerf counts it); "
              "runs that did not learn neither set it nor reach it."]
    on_test = sum(1 for r in rows if r.get("validation", "test set") == "test set")
    if on_test:
        lines += ["", f"{on_test} of {len(rows)} runs validated on the test set (no "
                  "--validation-split, as the original study did): any choice made from their "
                  "curves (a best epoch, a setting picked from a grid) was made on the test set."]
    lines += tuned_markdown(rows, margin, design, tuned_table, measure)
    # the answer by budget is on test accuracy at selection, in points, whatever the metric
    lines += budget_markdown(rows, margin if measure.name == "test_accuracy" else verdicts.MARGIN,
                             design)
    lines += ["", "Validation-loss std is the sample standard deviation over the last quarter "
              "of the epochs (at least 2): the study's \"stability\" claim, as a number, "
              "without the first epochs' BatchNorm warm-up. \"Did not learn\": a test "
              "accuracy within 2 points of chance (1 / classes).", ""]
    return "\n".join(lines)


def speed_markdown(speed_rows):
    """The speed-up section: B's steps to the target against A's, per pair and problem."""
    if not speed_rows:
        return []
    first = speed_rows[0]
    lines = ["", "## Speed-up: steps to the target", "",
             f"Per seed, the first evaluation point at which each run's {first['metric']} reaches "
             + ("(its validation accuracy: test accuracy has no curve) "
                if first["metric"] == "val_accuracy" else "")
             + f"the target ({first['target_rule']}, so A reaches it on every seed); the ratio "
             "is B's steps over A's, its geometric mean over seeds with the paired 95% interval "
             "on the log scale. A run that never reaches the target is censored, never taken as "
             "reaching it: such a pair counts only where its direction is known, by the sign "
             f"test. Verdicts: faster, slower, as fast within ±{100 * first['speed_margin']:g}%, "
             "or undecided; a family of its own (its own question), with the same looks and "
             "shares of alpha as the verdicts above, so the chance of any wrong faster, slower "
             f"or as-fast call is at most {verdicts.ALPHA:.0%}.", "",
             "| dataset | model | A | B | target | B/A steps | 95% CI | n | censored | B/A seconds | verdict |",
             "|" + " --- |" * 11]
    for r in speed_rows:
        ci = "" if math.isnan(r["ci_low"]) else f"[{r['ci_low']:.2f}, {r['ci_high']:.2f}]"
        lines.append(f"| {r['dataset']} | {r['model']} | {r['a']} | {r['b']} | {r['target']:.4g} | "
                     f"{_fmt(r['ratio'], 2)} | {ci} | {r['n']} | {r['censored']} | "
                     f"{_fmt(r['seconds_ratio'], 2)} | {r['text']} |")
    return lines


# ------------------------------------------------------------------ tuned comparisons

def family(row):
    """The optimizer a run's setting is a trial of, when the grid made its settings one
    tuning family (combinations.py --trials, a preset's grid, or --tune: the run record's
    ``setting_of``); else the setting itself: specs of one optimizer are rivals unless the
    grid said otherwise (``adam`` against ``adam(epsilon=1e-06)`` is the question asked)."""
    return row.get("setting_of") or row["optimizer"]


def tuned_selection(rows):
    """Per dataset, model and optimizer: the setting with the best mean validation accuracy
    at the final epoch over seeds (the model a run ends with, not a best epoch it did not
    keep), with its tuning budget (settings tried) and where it was selected."""
    groups = defaultdict(lambda: defaultdict(list))
    for row in rows:
        groups[(row["dataset"], _model(row), family(row))][row["optimizer"]].append(row)
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


def tuned_rows(rows):
    """The runs of each optimizer's selected setting (:func:`tuned_selection`), named by
    the optimizer alone, so that the pairs line up across problems whose chosen settings
    differ; [] unless some optimizer was run at several settings."""
    selection = tuned_selection(rows)
    if all(s["budget"] < 2 for s in selection):
        return []
    chosen = {(s["dataset"], s["model"], s["chosen"]): s["optimizer"] for s in selection}
    return [{**r, "optimizer": chosen[key], "setting": r["optimizer"]} for r in rows
            if (key := (r["dataset"], _model(r), r["optimizer"])) in chosen]


def tuned_markdown(rows, margin=verdicts.MARGIN, design=None, tuned_table=None, measure=None):
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
    # a family of its own, under its own heading, by the folder's one design
    tuned = verdict_markdown(tuned_rows(rows), margin, design, tuned_table, measure)[2:]
    return lines + ["", "The tuned settings compared (a family of its own):", ""] + tuned


# ------------------------------------------------------------------ the answer by tuning budget

TUNING_COLUMNS = ["dataset", "model", "optimizer", "budget", "expected_best_val", "band_low",
                  "band_high", "expected_test_at_selection"]


def searches(rows):
    """Every optimizer run at several settings (trials of a search, or a grid) on a
    problem: {(dataset, model, optimizer): {setting: [rows]}}, settings in run order.
    A setting counts once it has a finite final-epoch validation accuracy."""
    groups = defaultdict(lambda: defaultdict(list))
    for row in rows:
        if math.isfinite(row.get("final_val_accuracy", math.nan)):
            groups[(*problem(row), family(row))][row["optimizer"]].append(row)
    return {k: dict(v) for k, v in sorted(
        groups.items(), key=lambda kv: (kv[0][0], kv[0][1],
                                        registry.order(registry.OPTIMIZERS, kv[0][2])))
        if len(v) >= 2}


def _scores(settings, field):
    return np.array([_mean([r[field] for r in members]) for members in settings.values()])


def tuning_curves(rows):
    """The rows of tuning_curves.csv: per problem, optimizer and budget b = 1..T, the
    expected best validation accuracy of b trials drawn at random (exact), its bootstrap
    band, and the expected test accuracy of the trial validation selects."""
    out = []
    for (dataset, model, name), settings in searches(rows).items():
        val, test = _scores(settings, "final_val_accuracy"), _scores(settings, "test_accuracy")
        best, (low, high) = tuning.expected_best(val), tuning.band(val)
        selected = tuning.expected_at_selection(val, test)
        out += [{"dataset": dataset, "model": model, "optimizer": name, "budget": b + 1,
                 "expected_best_val": float(best[b]), "band_low": float(low[b]),
                 "band_high": float(high[b]), "expected_test_at_selection": float(selected[b])}
                for b in range(len(val))]
    return out


def tuning_csv(curves):
    return csv_text(TUNING_COLUMNS, curves)


def budget_verdicts(rows, margin=verdicts.MARGIN, design=None):
    """{budget b: the verdict rows (as :func:`verdict_table`) at that budget}. Per seed,
    each optimizer's score at budget b is the expected test accuracy of the setting that
    validation (the mean over seeds) selects among b of its trials drawn at random; those
    are compared by the summary's rule, paired by seed, each budget a family of its own.
    A pair is compared at the budgets both optimizers reached, under the folder's design
    (a seed counts at a look when every trial of the optimizer had it)."""
    by_budget = defaultdict(list)
    for (dataset, model, name), settings in searches(rows).items():
        members = list(settings.values())
        seeds = set.intersection(*({r.get("seed") for r in ms} for ms in members))
        if not seeds:
            continue
        seeds = sorted(seeds, key=lambda s: -1 if s is None else s)
        outcomes = np.array([[next(r["test_accuracy"] for r in ms if r.get("seed") == s)
                              for s in seeds] for ms in members])
        selected = tuning.expected_at_selection(_scores(settings, "final_val_accuracy"), outcomes)
        first = members[0][0]
        images = [r["test_images"] for ms in members for r in ms if r.get("test_images")]
        learned = any(r.get("learned", True) for ms in members for r in ms)
        for b in range(len(members)):
            by_budget[b + 1] += [{"dataset": dataset, "model": first["model"],
                                  "batch": first.get("batch"), "optimizer": name, "seed": seed,
                                  "test_accuracy": float(selected[b, j]), "learned": learned,
                                  "settings": list(settings),
                                  **({"test_images": min(images)} if images else {})}
                                 for j, seed in enumerate(seeds)]
    return {b: verdict_table(members, margin, design)[0] for b, members in sorted(by_budget.items())}


def sensitivity(rows, margin=verdicts.MARGIN):
    """Per problem and optimizer searched over its learning rate: every setting's rate and
    final validation accuracy (mean and std over seeds), and the width in decades of the
    rates within ``margin`` points of its best (:func:`tuning.flat_width`)."""
    out = []
    for (dataset, model, name), settings in searches(rows).items():
        rates = [_learning_rate(setting) for setting in settings]
        if any(rate is None for rate in rates):
            continue
        val = _scores(settings, "final_val_accuracy")
        spread = [float(np.std([r["final_val_accuracy"] for r in ms], ddof=1)) if len(ms) > 1
                  else math.nan for ms in settings.values()]
        width, open_low, open_high = tuning.flat_width(rates, val, margin / 100)
        best = int(np.nanargmax(val))
        out.append({"dataset": dataset, "model": model, "optimizer": name, "rates": rates,
                    "val_mean": val.tolist(), "val_std": spread, "best_rate": rates[best],
                    "best_val": float(val[best]), "width_decades": width,
                    "open_low": open_low, "open_high": open_high,
                    "searched_decades": float(np.log10(max(rates) / min(rates)))})
    return out


def _learning_rate(setting):
    """A setting's learning rate: its spec's, else its registry default; None if unknown."""
    spec = specs.parse(setting)
    rate = spec.kwargs.get("learning_rate")
    if rate is None and spec.name in registry.OPTIMIZERS:
        rate = registry.OPTIMIZERS[spec.name].learning_rate
    return float(rate) if isinstance(rate, (int, float)) and not isinstance(rate, bool) \
        and rate > 0 else None


def width_text(s):
    """The width in decades, ``1.23``, or ``>= 1.23`` when the flat range reaches the edge
    of the rates tried (so the true width may be larger)."""
    if math.isnan(s["width_decades"]):
        return "-"
    bound = ">= " if s["open_low"] or s["open_high"] else ""
    return f"{bound}{s['width_decades']:.2f}"


def budget_markdown(rows, margin=verdicts.MARGIN, design=None):
    """The verdict as a function of the tuning budget, and how forgiving each optimizer is
    of its learning rate. Empty unless some optimizer was run at several settings."""
    by_budget = budget_verdicts(rows, margin, design)
    if not by_budget:
        return []
    budgets = list(by_budget)
    lines = ["", "## The answer by tuning budget", "",
             "Each optimizer's trials (its settings) are scored by their mean final-epoch "
             "validation accuracy over seeds; at budget b, its expected best of b trials drawn "
             "at random (Dodge et al. 2019, exact) is in tuning_curves.csv and the tuning "
             "figures. The verdicts below compare, seed by seed, the expected test accuracy of "
             "the trial validation would select at each budget, by the rule above; each budget "
             "is a family of its own.", ""]
    cells = defaultdict(dict)
    for b, table in by_budget.items():
        for row in table:
            cells[(row["dataset"], row["model"], row["a"], row["b"])][b] = row
    if cells:
        lines += ["| dataset | model | A | B | " + " | ".join(f"b={b}" for b in budgets) + " |",
                  "|" + " --- |" * (4 + len(budgets))]
        for (dataset, model, a, b), by_b in cells.items():
            lines.append(f"| {dataset} | {model} | {registry.display_name(a)} | "
                         f"{registry.display_name(b)} | " + " | ".join(
                             f"{by_b[k]['mean_diff']:+.2f} {by_b[k]['verdict']}"
                             if k in by_b else "" for k in budgets) + " |")
        lines += ["", "Cells: mean B - A in points of expected test accuracy at selection, and "
                  "the verdict at that budget."]
    flat = sensitivity(rows, margin)
    if flat:
        lines += ["", f"**Sensitivity to the learning rate**: the width, in decades, of the rates "
                  f"whose final validation accuracy (mean over seeds) stays within {margin:g} "
                  "point(s) of the optimizer's best, the trials joined linearly in log rate; "
                  "'>=' where that range reaches the edge of the rates tried.", "",
                  "| dataset | model | optimizer | trials | rates tried | best rate | best val acc. "
                  "| width (decades) |", "|" + " --- |" * 8]
        for s in flat:
            lines.append(f"| {s['dataset']} | {s['model']} | {registry.display_name(s['optimizer'])} "
                         f"| {len(s['rates'])} | {min(s['rates']):.3g} to {max(s['rates']):.3g} | "
                         f"{s['best_rate']:.3g} | {_fmt(s['best_val'])} | {width_text(s)} |")
    return lines


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
