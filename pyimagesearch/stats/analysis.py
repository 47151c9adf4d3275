"""Computing the answer: rows in, results out, no text and no I/O. Which pairs are
compared on which seeds, the verdicts of every pair on every problem and across problems
(through :mod:`.verdicts`, on the metric :mod:`.measure` names), the tuned optimizers,
the answer by tuning budget, the learning-rate sensitivity and study B's effort ranking.
:mod:`.summary` writes them as sentences, markdown and CSV; plot.py, decide.py, the
page and the speed-ups read them from here."""
import math
from collections import defaultdict

import numpy as np

from pyimagesearch import registry, specs
from pyimagesearch.stats import tuning, verdicts
from pyimagesearch.stats.measure import Measure, oriented
from pyimagesearch.stats.measure import sign as measures_sign
from pyimagesearch.stats.measure import value as value_of
from pyimagesearch.stats.problems import family, model_of as _model, problem  # noqa: F401


def _mean(values):
    values = [v for v in values if not math.isnan(v)]
    return float(np.mean(values)) if values else math.nan


def group_stats(rows, measure=None):
    """Per dataset, model and optimizer: n, mean and sample std of test accuracy (or of
    ``measure``'s metric) over seeds, and the mean epochs and seconds to target of the runs
    that reached it."""
    measure = measure or Measure()
    groups = defaultdict(list)
    for row in rows:
        groups[(row["dataset"], _model(row), row["optimizer"])].append(row)
    out = []
    for (dataset, model, optimizer), members in groups.items():
        accs = [value_of(r, measure) for r in members if not math.isnan(value_of(r, measure))]
        reached = [r for r in members if r.get("epochs_to_target")]
        steps = [float(r["steps_to_target"]) for r in reached if r.get("steps_to_target")]
        out.append({"dataset": dataset, "model": model, "optimizer": optimizer, "n": len(accs),
                    "mean": float(np.mean(accs)) if accs else math.nan,
                    "std": float(np.std(accs, ddof=1)) if len(accs) > 1 else math.nan,
                    "reached_target": f"{len(reached)}/{len(members)}",
                    "epochs_to_target": _mean([float(r["epochs_to_target"]) for r in reached]),
                    "steps_to_target": _mean(steps),
                    "seconds_to_target": _mean([r["seconds_to_target"] for r in reached])})
    return out


# ------------------------------------------------------------------ verdicts

def resolution(values, scale, fallback):
    """The floor of a comparison's spread for a metric without a test-set size: the smallest
    gap between distinct values seen for it (x ``scale``), since runs that agree more closely
    than the metric can tell apart are not known to zero spread (an accuracy on 169 examples
    moves in steps of 1/169). ``fallback`` (the margin) where every value is the same, so
    that a spread of zero is never read as certainty."""
    distinct = np.unique(np.asarray([v for v in values if math.isfinite(v)], float))
    if len(distinct) < 2:
        return fallback
    return float(np.min(np.diff(distinct))) * scale


def problem_comparisons(rows, measure=None):
    """Every pair of optimizers run on the same problem (dataset and model), in registry
    order, with their test accuracies by seed: dicts of dataset, model, a, b, a_scores,
    b_scores ({seed: accuracy}), a_settings, b_settings (the run settings behind each, by
    which decide.json's looks name runs: a tuned optimizer's chosen setting), resolution
    (one test image in points, for test accuracy; else None: :func:`look_resolution`
    takes it from the seeds a look reads), margin (in the measure's units; a relative one
    from the pair's values at the seeds of its first look, :func:`pair_margin`) and
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
        if measure.baseline:  # each other optimizer against the baseline, A = the baseline
            pairs = [(measure.baseline, b) for b in names if b != measure.baseline] \
                if measure.baseline in names else []
        else:
            pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]
        for a, b in pairs:
            out.append({"dataset": key[0], "model": key[1], "a": a, "b": b,
                        "a_scores": by_opt[a], "b_scores": by_opt[b],
                        "a_settings": sorted(settings[(key, a)]),
                        "b_settings": sorted(settings[(key, b)]),
                        "resolution": 100.0 / min(sizes[key])
                        if sizes[key] and measure.name == "test_accuracy" else None,
                        "measure": measure, "margin": measure.margin,
                        "learned": learned[(key, a)] or learned[(key, b)]})
    return out


def pair_margin(comparison, seeds):
    """A comparison's margin in the measure's units: the one given, or a relative margin
    of the pair's median over both optimizers' values at ``seeds`` (its first look's), so
    that neither which optimizer is A nor seeds added later can move it."""
    measure = comparison["measure"]
    if not measure.relative:
        return measure.margin
    return measure.margin_for([comparison[f"{side}_scores"][s] for s in seeds
                               for side in ("a", "b")])


def look_resolution(comparison, seeds, margin):
    """The floor of a comparison's spread at a look that read ``seeds``: one test image
    for test accuracy, else :func:`resolution` of both optimizers' values at those seeds
    alone (seeds the look has not read cannot move it)."""
    if comparison["resolution"] is not None:
        return comparison["resolution"]
    return resolution([comparison[f"{side}_scores"][s] for s in seeds for side in ("a", "b")],
                      comparison["measure"].scale, margin)


def resolve_baseline(rows, name):
    """The optimizer ``--baseline NAME`` names among the rows' (its spec, its label or its
    display name, in any case; a tuned optimizer by its name); ValueError, one line."""
    names = sorted({family(r) if r.get("setting_of") else r["optimizer"] for r in rows},
                   key=lambda o: registry.order(registry.OPTIMIZERS, o))
    wanted = name.strip().lower()
    for n in names:
        if wanted in (n.lower(), registry.label(n).lower(), registry.display_name(n).lower()):
            return n
    # an optimizer's name where one setting of it ran: --baseline adam for adam(lr=0.05)
    by_name = [n for n in names if _spec_name(n) == wanted]
    if len(by_name) == 1:
        return by_name[0]
    if by_name:
        raise ValueError(f"--baseline {name}: {len(by_name)} settings of it ran "
                         f"({', '.join(by_name)}): name one")
    raise ValueError(f"--baseline {name}: no such optimizer here (these ran: {', '.join(names)})")


def _spec_name(setting):
    try:
        return specs.parse(setting).name.lower()
    except specs.SpecError:
        return None


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


def default_plan(counts, max_seeds=verdicts.MAX_SEEDS, looks=verdicts.LOOKS):
    """The looks when none were fixed (no decide.py yet): from the fewest paired seeds."""
    return verdicts.schedule(max(1, min(counts, default=1)), max_seeds, looks)


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
    first = {}
    for k, look in enumerate(design.looks):
        both = _seen(comparison, look, "a") & _seen(comparison, look, "b")
        for s in shared:
            if s in both and s not in first:
                first[s] = k
    ordered = sorted(first, key=lambda s: (first[s], s))
    counts = [sum(1 for s in ordered if first[s] <= k) for k in range(len(design.looks))]
    return ordered, counts, [s for s in shared if s not in first]


def _seen(comparison, look, side):
    """The seeds one look (decide.json's record) had of a side (``"a"`` or ``"b"``):
    those every setting behind it had (a tuned optimizer's, or a budget's trials)."""
    key = (comparison["dataset"], comparison["model"])
    return set.intersection(*(set(look.get((*key, n), ())) for n in comparison[f"{side}_settings"]))


def seen_by(comparison, design, side, look):
    """The seeds of one side (``"a"`` or ``"b"``) that the looks up to ``look`` had."""
    if design is None or design.looks is None:
        return set(comparison[f"{side}_scores"])
    out = set()
    for k in range(min(look, len(design.looks) - 1) + 1):
        out |= _seen(comparison, design.looks[k], side)
    return out & set(comparison[f"{side}_scores"])


def look_table(sequences, orders, design):
    """The arrays :func:`verdicts.sequential` reads: ``sequences`` (per comparison, its
    values in the order the looks read its seeds) as (1, comparisons, seeds), nan-padded,
    and ``orders`` (per comparison, the seeds each look had) as (looks, 1, comparisons)."""
    table = np.full((1, len(sequences), max(1, max(len(s) for s in sequences))), np.nan)
    for i, values in enumerate(sequences):
        table[0, i, :len(values)] = values
    counts = np.array([[o[k] for o in orders] for k in range(design.taken())])[:, None, :]
    return table, counts


def verdict_table(rows, margin=verdicts.MARGIN, design=None, measure=None):
    """The verdict of every pair on every problem, and one overall row per pair: dicts
    with the columns of verdicts.csv (summary.VERDICT_COLUMNS; summary.verdict_table adds
    the line a person reads). ``design`` (:class:`verdicts.Design`): decide.json's looks, or by default the
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
    table, counts = look_table([paired_diffs(c, seeds) for c, (seeds, _, _) in zip(found, order)],
                               [o[1] for o in order], design)
    # the margin from the first look that read seeds of the pair, the spread's floor from
    # each look's own
    for c, (seeds, each, _) in zip(found, order):
        c["margin"] = pair_margin(c, seeds[:next((n for n in each if n), 0)])
    floors = np.array([[look_resolution(c, seeds[:each[k]], c["margin"])
                        for c, (seeds, each, _) in zip(found, order)]
                       for k in range(design.taken())])
    margins = np.array([c["margin"] for c in found])
    # a race: each optimizer on each problem is a player; a loser leaves (verdicts.sequential)
    players = {}
    for c in found:
        for side in ("a", "b"):
            players.setdefault((c["dataset"], c["model"], c[side]), len(players))
    pairs = [(players[(c["dataset"], c["model"], c["a"])],
              players[(c["dataset"], c["model"], c["b"])]) for c in found]
    problems = {key: i for i, key in enumerate(dict.fromkeys((c["dataset"], c["model"])
                                                              for c in found))}
    # a pair where no run learned is not tested: its accuracies are chance, whatever they say
    seq = verdicts.sequential(table, counts, design.weights, margins, lambda k: floors[k],
                              skip=[not c["learned"] for c in found], players=pairs,
                              race=measure.race,
                              groups=[problems[(c["dataset"], c["model"])] for c in found])
    still_open = int(np.sum(seq["verdict"][0] == "undecided"))
    later_weight = design.weights[min(design.taken(), len(design.weights) - 1)]
    out = []
    for i, (c, (seeds, _, unread)) in enumerate(zip(found, order)):
        at = max(0, int(seq["look"][0, i]))
        read = seeds[:int(counts[at, 0, i])]
        margin = c["margin"]
        tests = verdicts.paired_tests(np.array(paired_diffs(c, read)), margin, floors[at, i])
        verdict = str(seq["verdict"][0, i])
        equivalent = verdict == "equivalent"
        row = {"scope": "problem", "dataset": c["dataset"], "model": c["model"], "a": c["a"],
               "b": c["b"], "n": int(tests["n"]),
               **differences(float(tests["mean"]), float(tests["ci_low"]),
                             float(tests["ci_high"]), measure),
               "within_margin": bool(verdicts.within_margin(
                   verdict, seq["p_equivalence_adjusted"][0, i])),
               "p_value": math.nan, "p_adjusted": math.nan, "verdict": verdict,
               "seeds_needed": None, "margin": margin, "learned": c["learned"],
               "metric": measure.name, "goal": measure.goal, "unit": measure.unit,
               "sd": float(tests["sd"]), "look": at, "seeds": read, "unread": unread,
               # a seed one side had at the look the verdict rests on and the other lacks
               "a_only": sorted(seen_by(c, design, "a", at) - set(c["b_scores"])),
               "b_only": sorted(seen_by(c, design, "b", at) - set(c["a_scores"])),
               # in a race: the look at which each side left (None: it is still in)
               "a_left": _left(seq, pairs[i][0]) if measure.race else None,
               "b_left": _left(seq, pairs[i][1]) if measure.race else None}
        if row["n"] >= verdicts.MIN_PAIRS:
            row["p_value"] = float(tests["p_equivalence"] if equivalent else tests["p_value"])
            row["p_adjusted"] = float(seq["p_equivalence_adjusted" if equivalent else "p_adjusted"][0, i])
        if verdict == "undecided" and row["n"] >= 2 and c["learned"]:
            needed = verdicts.seeds_needed(row["gain"], row["sd"], margin,
                                           verdicts.ALPHA * later_weight / max(1, still_open))
            # at least one more seed: the seeds run now have already been looked at
            row["seeds_needed"] = None if needed is None else max(needed, row["n"] + 1)
        out.append(row)
    return out, overall_rows(found, out, measure)


def _left(seq, player):
    look = int(seq["left"][0, player])
    return None if look < 0 else look


def race_standings(problem_rows):
    """Per problem of a race: who left at which look, beaten by whom and by how much (the
    comparison that decided it), and the survivors; the answer names the best (the one
    survivor) or the set that could not be separated. Dicts of dataset, model, left (list
    of {optimizer, look, by, gain, gain_low, gain_high: by's gain over it}, by look),
    survivors, best (or
    None), equivalent (the survivors' pairs decided equivalent) and open (undecided)."""
    out = []
    by_problem = defaultdict(list)
    for row in problem_rows:
        by_problem[(row["dataset"], row["model"])].append(row)
    for (dataset, model), rows in by_problem.items():
        names = list(dict.fromkeys(n for r in rows for n in (r["a"], r["b"])))
        left = {}
        for r in rows:
            for side, other, sign in (("a", "b", 1.0), ("b", "a", -1.0)):
                look = r[f"{side}_left"]
                lost = r["verdict"] == ("better" if side == "a" else "worse")
                if look is not None and lost and r["look"] == look and r[side] not in left:
                    # the winner's gain over the one that left (positive: the winner better)
                    mean, low, high = (sign * r["gain"], sign * r["gain_low"],
                                       sign * r["gain_high"])
                    left[r[side]] = {"optimizer": r[side], "look": look, "by": r[other],
                                     "gain": mean, "gain_low": min(low, high),
                                     "gain_high": max(low, high), "n": r["n"]}
        survivors = [n for n in names if n not in left]
        among = [r for r in rows if r["a"] in survivors and r["b"] in survivors]
        out.append({"dataset": dataset, "model": model,
                    "left": sorted(left.values(), key=lambda e: (e["look"], e["optimizer"])),
                    "survivors": survivors, "best": survivors[0] if len(survivors) == 1 else None,
                    "equivalent": [(r["a"], r["b"]) for r in among if r["verdict"] == "equivalent"],
                    "open": [(r["a"], r["b"]) for r in among if r["verdict"] == "undecided"]})
    return out


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
        means = [r["gain"] for _, r in members]
        test = verdicts.across_problems(means)
        better = measures_sign(measure.goal)  # "B beats A": B's value is the better
        # each problem's scores at the seeds its verdict read: later runs cannot move it
        scores = [([better * c["a_scores"][s] for s in r["seeds"]],
                   [better * c["b_scores"][s] for s in r["seeds"]]) for c, r in members
                  if r["seeds"]]
        low, high = verdicts.probability_interval(scores) if scores else (math.nan, math.nan)
        counts = {v: sum(1 for _, r in members if r["verdict"] == v) for v in verdicts.VERDICTS}
        gain = float(np.mean([m for m in means if not math.isnan(m)])) \
            if any(not math.isnan(m) for m in means) else math.nan
        out.append({"scope": "overall", "dataset": "*", "model": "*", "a": a, "b": b,
                    "n": len(members), **differences(gain, math.nan, math.nan, measure),
                    "within": sum(1 for _, r in members if r["verdict"] in ("better", "worse")
                                  and r["within_margin"]),
                    "p_value": test["wilcoxon_p"],
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
                r["verdict"] = "better" if r["gain"] > 0 else "worse"
    for r in out:  # the same verdict on every problem is one too (each is family-wise)
        for verdict in ("better", "worse", "equivalent"):
            if r["verdict"] == "undecided" and r["counts"][verdict] == r["n"]:
                r["verdict"] = verdict
    return out


def differences(gain, low, high, measure):
    """A difference under both of its names, each saying its direction: ``gain`` (and its
    interval ``gain_low``, ``gain_high``), oriented so that positive means B better, and
    ``b_minus_a`` (``b_minus_a_low``, ``b_minus_a_high``), B - A in the metric's own
    direction; the same for a higher-is-better metric, of opposite signs for a loss."""
    if measure.goal == "max":
        b_minus_a = (gain, low, high)
    else:
        b_minus_a = (-gain, -high, -low)
    return {"gain": gain, "gain_low": low, "gain_high": high,
            **dict(zip(("b_minus_a", "b_minus_a_low", "b_minus_a_high"), b_minus_a))}


def raw(row):
    """(B - A, its interval) in the metric's own direction."""
    return row["b_minus_a"], row["b_minus_a_low"], row["b_minus_a_high"]


def headline(overall):
    """The study's question across its problems: RAdam vs Adam where both ran, else the
    first pair decided better or worse, else the first equivalent, else the first pair."""
    if not overall:
        return None
    for row in overall:
        if (row["a"], row["b"]) == ("adam", "radam"):
            return row
    # else a decided pair before an equivalent one, and either before an undecided one
    rank = {"better": 0, "worse": 0, "equivalent": 1}
    return min(overall, key=lambda row: rank.get(row["verdict"], 2))


# ------------------------------------------------------------------ tuned comparisons

def tuned_selection(rows):
    """Per dataset, model and optimizer: the setting with the best mean validation accuracy
    at the final epoch over seeds (the model a run ends with, not a best epoch it did not
    keep), with its tuning budget (settings tried) and where it was selected."""
    groups = defaultdict(lambda: defaultdict(list))
    for row in rows:
        groups[(row["dataset"], _model(row), family(row))][row["optimizer"]].append(row)
    out = []
    for (dataset, model, name), settings in groups.items():
        scored = [(_mean([selection_score(r) for r in members]), setting)
                  for setting, members in settings.items()]
        best_val, chosen = max(scored, key=lambda t: -math.inf if math.isnan(t[0]) else t[0])
        fixed = [setting for setting, members in settings.items()
                 if any(r.get("selected") for r in members)]
        if fixed:  # decide.py fixed it at its first look: more seeds do not select again
            chosen = fixed[0]
            best_val = next(v for v, setting in scored if setting == chosen)
        members = [r for ms in settings.values() for r in ms]
        out.append({"dataset": dataset, "model": model, "optimizer": name, "chosen": chosen,
                    "budget": len(settings), "val_accuracy": best_val,
                    "selected_on": selected_on(members),
                    "val_value": natural(best_val, members),
                    "test_accuracy": _mean([r["final_metric"] if r.get("program")
                                            else r["test_accuracy"] for r in settings[chosen]]),
                    "seeds": len(settings[chosen]), "fixed": bool(fixed),
                    "on_test": any(r.get("validation", "test set") == "test set" for r in members)})
    # problems in the rows' order (the run table's: a model's widths by size), then optimizers
    first = {}
    for row in rows:
        first.setdefault((row["dataset"], _model(row)), len(first))
    return sorted(out, key=lambda s: (first[(s["dataset"], s["model"])],
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


# ------------------------------------------------------------------ the answer by tuning budget

def searches(rows):
    """Every optimizer run at several settings (trials of a search, or a grid) on a
    problem: {(dataset, model, optimizer): {setting: [rows]}}, settings in run order.
    A setting counts once it has a finite final-epoch validation accuracy."""
    groups = defaultdict(lambda: defaultdict(list))
    first = {}  # problems in the run table's order (a model's widths by size), as tuned_selection
    for row in rows:
        first.setdefault(problem(row), len(first))
        if math.isfinite(selection_score(row)):
            groups[(*problem(row), family(row))][row["optimizer"]].append(row)
    return {k: dict(v) for k, v in sorted(
        groups.items(), key=lambda kv: (first[kv[0][:2]],
                                        registry.order(registry.OPTIMIZERS, kv[0][2])))
        if len(v) >= 2}


def selection_score(row):
    """What tuning selects a setting on, higher is better: train.py's final validation
    accuracy; a program's own metric in its own direction (results._program_metrics)."""
    return row.get("selection_score", row.get("final_val_accuracy", math.nan))


def selected_on(rows):
    """What a tuning of these runs selects on: "validation accuracy" (train.py's image
    classifiers), "validation loss" (its language model), or a program's own metric."""
    return next((r.get("selected_on") or r.get("program_metric") for r in rows
                 if r.get("selected_on") or r.get("program_metric")), "validation accuracy")


def natural(score, rows):
    """A selection score (higher is better) back in its metric's own terms: a loss is
    scored negated, and reads as the loss again."""
    return -score if any(r.get("selection_negated") for r in rows) else score


def outcome_score(row):
    """What the selected setting yields, higher is better: train.py's test accuracy; a
    program's own metric."""
    return row.get("outcome_score", row.get("test_accuracy", math.nan))


def _scores(settings, score):
    return np.array([_mean([score(r) for r in members]) for members in settings.values()])


def tuning_curves(rows):
    """The rows of tuning_curves.csv: per problem, optimizer and budget b = 1..T, the
    expected best validation accuracy of b trials drawn at random (exact), its bootstrap
    band, and the expected test accuracy of the trial validation selects."""
    out = []
    for (dataset, model, name), settings in searches(rows).items():
        val, test = _scores(settings, selection_score), _scores(settings, outcome_score)
        best, (low, high) = tuning.expected_best(val), tuning.band(val)
        selected = tuning.expected_at_selection(val, test)
        out += [{"dataset": dataset, "model": model, "optimizer": name, "budget": b + 1,
                 "expected_best_val": float(best[b]), "band_low": float(low[b]),
                 "band_high": float(high[b]), "expected_test_at_selection": float(selected[b])}
                for b in range(len(val))]
    return out


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
        if not seeds or members[0][0].get("program"):  # in test-accuracy points: train.py's
            continue
        seeds = sorted(seeds, key=lambda s: -1 if s is None else s)
        outcomes = np.array([[next(r["test_accuracy"] for r in ms if r.get("seed") == s)
                              for s in seeds] for ms in members])
        selected = tuning.expected_at_selection(_scores(settings, selection_score), outcomes)
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
        val = _scores(settings, selection_score)
        spread = [float(np.std([selection_score(r) for r in ms], ddof=1)) if len(ms) > 1
                  else math.nan for ms in settings.values()]
        width, open_low, open_high = tuning.flat_width(rates, val, margin / 100)
        # the setting decide.py fixed, where it did: more seeds do not select again
        fixed = [i for i, ms in enumerate(settings.values()) if any(r.get("selected") for r in ms)]
        best = fixed[0] if fixed else int(np.nanargmax(val))
        members = [r for ms in settings.values() for r in ms]
        ladder = sorted(set(rates))
        at = ladder.index(rates[best])
        neighbours = [ladder[i] for i in (at - 1, at + 1) if 0 <= i < len(ladder)]
        out.append({"dataset": dataset, "model": model, "optimizer": name, "rates": rates,
                    "val_mean": val.tolist(), "val_std": spread, "best_rate": rates[best],
                    "best_val": float(val[best]), "selected_on": selected_on(members),
                    "best_value": natural(float(val[best]), members),
                    # Wen et al. (2025): a fair baseline's chosen rate lies inside the range
                    # searched, its neighbours at most 2x away
                    "best_at_edge": ("lowest" if at == 0 else "highest" if at == len(ladder) - 1
                                     else "") if len(ladder) > 1 else "",
                    "neighbour_ratio": max((max(n, rates[best]) / min(n, rates[best])
                                            for n in neighbours), default=math.nan),
                    "width_decades": width,
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
