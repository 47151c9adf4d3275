"""The summary a person reads at a glance, written from :mod:`.analysis`' results: one
row per run, the verdicts as sentences and tables, summary.md, verdicts.csv and the
tuning and study B tables. Writing only: what is decided is decided in analysis."""
import csv
import io
import math
from collections import defaultdict

from pyimagesearch.stats import analysis, verdicts
from pyimagesearch import registry
from pyimagesearch.stats.analysis import (budget_verdicts, design_for, effort_ranking, group_stats, headline,
                       raw, selected_on, sensitivity, tuned_rows, tuned_selection)
from pyimagesearch.stats.measure import Measure, direction
from pyimagesearch.stats.measure import value as value_of
from pyimagesearch.runs.results import TARGET_FRACTION, _model, csv_text


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


# ------------------------------------------------------------------ verdicts

# A metric with no test-set size to resolve it (a user's program's): differences that agree
# to a millionth of a point are not known to zero spread either.
def verdict_table(rows, margin=verdicts.MARGIN, design=None, measure=None):
    """:func:`analysis.verdict_table`, each row with ``text``, the line a person reads."""
    problems, overall = analysis.verdict_table(rows, margin, design, measure)
    for row in problems:
        row["text"] = verdict_text(row)
    for row in overall:
        row["text"] = overall_text(row)
    return problems, overall


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


def _verdict_evidence(row):
    name = registry.display_name
    a, b, n = name(row["a"]), name(row["b"]), row["n"]
    points = row.get("unit", "accuracy points") == "accuracy points"
    digits = ".2f" if points else ".4g"
    unit = "points" if points else row["unit"]
    metric = "" if row.get("metric", "test_accuracy") == "test_accuracy" else (
        f" (on {row['metric']}, {direction(row['goal'])})")
    mean, low, high = raw(row)
    interval = "" if math.isnan(low) else f" [{low:+{digits}}, {high:+{digits}}]"
    if row["verdict"] in ("better", "worse"):  # by how much: the size, its interval likewise
        size = sorted((abs(low), abs(high)))
        return (f"{b} {row['verdict']} than {a}{metric} by {abs(mean):{digits}} {unit} "
                f"[{size[0]:{digits}}, {size[1]:{digits}}]{_within(row, unit, points)}, n={n}, "
                f"p adj. {row['p_adjusted']:.3g}")
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


def _within(row, unit, points):
    """", less than the ±1 points that matter" where the equivalence test rejected too."""
    if not row.get("within_margin"):
        return ""
    return f", less than the ±{row['margin']:g}{' points' if points else ' ' + unit} that matter"


def overall_text(row):
    """The answer across problems, in one sentence."""
    name = registry.display_name
    a, b, c = name(row["a"]), name(row["b"]), row["counts"]
    test = (("no test across fewer than 2 problems" if row["n"] < 2 else "no test: fewer "
             "than 2 problems with a non-zero mean difference") if math.isnan(row["p_value"]) else
            f"Wilcoxon signed-rank p = {row['p_value']:.3g} (Holm {row['p_adjusted']:.3g}) on "
            "the per-problem mean differences")
    within = f"; {row['within']} of those within the margin" if row.get("within") else ""
    return (f"Across {row['n']} problem{'s' if row['n'] != 1 else ''}, {b} vs {a}: "
            f"{row['verdict']} (better on {c['better']}, equivalent on {c['equivalent']}, worse on "
            f"{c['worse']}, undecided on {c['undecided']}{within}); {test}; P({b} beats {a} on a random "
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


def _family_clause(measure, comparisons):
    """Which comparisons form the family, in words."""
    if measure.race:
        return (f"a race for the best: at each look the pairs of the optimizers still in it are "
                "one family (Holm step-down over both tests of each, with Shaffer's bound), each "
                "pair's spread pooled over all of them where their spreads are alike (Bartlett's "
                f"test, p > {verdicts.SPREAD_CHECK:g}, from {verdicts.POOL_FROM} seeds on), and an "
                "optimizer decided worse than another leaves: it gets no more seeds (the "
                "table's interval and p are each pair's own; its p adj. is the race's)")
    if measure.baseline:
        return (f"each other optimizer against the baseline {registry.display_name(measure.baseline)}: "
                f"those {comparisons} comparisons are one family (Holm step-down over both tests "
                "of each), and no other pair is compared")
    return (f"all {comparisons} comparisons of this summary are one family (Holm step-down "
            "over both tests of each)" if comparisons != 1 else
            "its two tests are one family (Holm step-down)")


def race_answer(standing, measure, bold=False):
    """A race's answer on one problem (analysis.race_standings' entry), in words: the best,
    the survivors equivalent, or the survivors not separated within the cap."""
    name = registry.display_name
    where = f"{standing['dataset']} / {standing['model']}"
    if standing["best"]:
        best = name(standing["best"])
        return f"the best on {where} is {f'**{best}**' if bold else best}"
    survivors = ", ".join(map(name, standing["survivors"]))
    if standing["open"]:
        return f"on {where}, {survivors} could not be separated within the cap of seeds"
    return f"on {where}, {survivors} are equivalent within {measure.margin_text()}"


def race_details(standing, measure):
    """Who left at which look, behind whom and by how much; who is still in."""
    unit = "points" if measure.accuracy else measure.unit
    digits = 2 if measure.accuracy else 4
    name = registry.display_name
    lines = [f"{name(e['optimizer'])} left at look {e['look']}: {name(e['by'])} better by "
             f"{e['gain']:.{digits}f} {unit} [{e['gain_low']:.{digits}f}, "
             f"{e['gain_high']:.{digits}f}], n={e['n']}" for e in standing["left"]]
    if len(standing["survivors"]) > 1:
        lines.append(f"still in: {', '.join(map(name, standing['survivors']))}")
    return lines


def race_lines(problem_rows, measure):
    """The race, per problem, as markdown: its answer, who left at which look and by how
    much, the survivors."""
    lines = []
    for standing in analysis.race_standings(problem_rows):
        lines.append(f"- Race: {race_answer(standing, measure, bold=True)}.")
        lines += [f"  - {line}" for line in race_details(standing, measure)]
    return lines


def rule_sentence(measure, design, problem_rows):
    """The decision rule in one sentence a reader can check (``measure``: a Measure, or
    a margin in accuracy points)."""
    measure = measure if isinstance(measure, Measure) else Measure(margin=measure)
    comparisons = len(problem_rows)
    return (f"Verdicts on {measure.sentence()}: on each problem, the paired t-test "
            f"(better/worse) and TOST (equivalent within {measure.margin_text()}) on the "
            "differences over every seed both optimizers have; "
            + _family_clause(measure, comparisons)
            + f". {design_sentence(design, problem_rows)}; so the chance of any wrong better, "
            f"worse or equivalent here is at most {verdicts.ALPHA:.0%}. Intervals are plain 95% "
            f"t-intervals; a verdict needs its adjusted p (p adj.) at most {verdicts.ALPHA:g}. "
            f"The spread is taken as at least the metric's resolution (one test image for "
            f"test accuracy; else the smallest gap between distinct values seen, or the margin "
            f"where all are alike), and no test runs below "
            f"{verdicts.MIN_PAIRS} seeds.")


VERDICT_COLUMNS = ["scope", "dataset", "model", "a", "b", "metric", "goal", "unit", "n",
                   "b_minus_a", "b_minus_a_low", "b_minus_a_high", "gain", "gain_low",
                   "gain_high", "p_value", "p_adjusted", "verdict", "within_margin",
                   "seeds_needed", "margin", "probability", "probability_low",
                   "probability_high", "look", "seeds_read"]
# metric, goal (max: higher is better; min: lower is), unit (accuracy points for accuracies,
# else the metric's own); every difference and the margin in that unit, each under a name
# that says its direction: b_minus_a (and its 95% interval) is B - A in the metric's own
# direction, gain the same oriented so that positive means B better (for a loss, A - B).
# within_margin: the equivalence test rejected too (for better/worse: a difference found,
# smaller than the margin).
# scope: "problem" (one pair on one problem: the mean paired difference B - A, its
# 95% t-interval, the test's p and its adjusted p), "overall" (one pair across problems:
# mean of the per-problem means, Wilcoxon's p and Holm's; the probability of improvement
# P(B beats A) and its bootstrap interval in their own columns); "tuned" and "tuned overall":
# the same for each optimizer at its setting selected on validation.


def verdicts_csv(problem_rows, overall, tuned=None):
    """verdicts.csv: every setting's rows, then the tuned optimizers' (``tuned``: the
    verdict table of :func:`tuned_rows`), each column with one meaning."""
    return csv_text(VERDICT_COLUMNS, verdict_rows(problem_rows, overall, tuned))


def verdict_rows(problem_rows, overall, tuned=None):
    """verdicts.csv's rows as dicts of VERDICT_COLUMNS (B - A in the metric's own
    direction)."""
    records = [*problem_rows, *overall]
    if tuned:
        records += [{**r, "scope": "tuned" if r["scope"] == "problem" else "tuned overall"}
                    for r in [*tuned[0], *tuned[1]]]
    def cells(row):
        out = {c: row.get(c) for c in VERDICT_COLUMNS}
        out["seeds_read"] = " ".join(str(s) for s in row["seeds"]) if row.get("seeds") else None
        return out
    return [cells(row) for row in records]


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
    race = ["### The race", ""] + race_lines(problems, measure) + [""] if measure.race else []
    # the answer in one sentence first; the study's question across problems below it (a
    # race's question is the race: its lines follow)
    top = [f"**{answer_sentence(problems, overall, measure)}**", ""]
    if not measure.race:
        top += [f"**{headline(overall)['text']}**", ""]
    lines = ["## Verdicts", "", *top, *race,
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


def program_markdown(rows, measure, title, verdict_lines, left_out=(), tuned_lines=()):
    """The summary of a program's runs, in its metrics' own terms: no test accuracy, no
    best validation accuracy, no target it never had (``tuned_lines``: the tuned
    optimizers' section, where the grid tuned)."""
    headers = ["problem", "program", "optimizer", "seed", f"final {measure.name}",
               "final train loss", "final val loss", "evaluations", "wall s", "status"]
    lines = [f"# {title}", ""] + verdict_lines + left_out_markdown(left_out) + [
        "", "## Runs", "", count_sentence(rows, left_out), "",
        "| " + " | ".join(headers) + " |", "|" + " --- |" * len(headers)]
    for r in rows:
        cells = [r["dataset"], _model(r), registry.display_name(r["optimizer"]),
                 _fmt(r.get("seed")), _fmt(value_of(r, measure), 6), _fmt(r["final_train_loss"]),
                 _fmt(r["final_val_loss"]), str(r["epochs"]), _fmt(r["wall_seconds"], 0),
                 r.get("status", "ok")]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", f"## {measure.name} over seeds", "",
              "| problem | program | optimizer | n | mean | std |", "|" + " --- |" * 6]
    for g in group_stats(rows, measure):
        lines.append(f"| {g['dataset']} | {g['model']} | {registry.display_name(g['optimizer'])} | "
                     f"{g['n']} | {_fmt(g['mean'], 6)} | {_fmt(g['std'], 6)} |")
    return "\n".join(lines + list(tuned_lines) + [""])


def left_out_markdown(left_out):
    """The runs a verdict could not read, each named with why (failed, timed out,
    diverged, missing)."""
    if not left_out:
        return []
    return ["", "## Runs left out", "", *(f"- {run}: {why}" for run, why in left_out)]


def count_sentence(rows, left_out):
    """"14 runs read, 1 left out (below).": the runs the verdicts read, and those they
    leave out, failed or not (a diverged run is drawn, not judged)."""
    gone = {run for run, _ in left_out}
    read = sum(1 for r in rows if r.get("run") not in gone)
    return f"{read} runs read, {len(left_out) or 'none'} left out{' (below)' if left_out else ''}."


def to_markdown(rows, title="Summary", margin=verdicts.MARGIN, design=None, table=None,
                tuned_table=None, measure=None, speed_rows=None, left_out=()):
    if rows and all(r.get("program") for r in rows):
        measure = measure or Measure(margin=margin)
        return program_markdown(rows, measure, title, verdict_markdown(
            rows, margin, design, table, measure) + speed_markdown(speed_rows), left_out,
            tuned_markdown(rows, margin, design, tuned_table, measure))
    headers = ["dataset", "model", "optimizer", "seed", "test acc.", "macro-F1",
               "final train loss", "final val loss", "best val acc. (epoch)",
               "val loss std, last quarter", "epochs", "wall s", "status"]
    lines = [f"# {title}", "", METRIC_NOTE, "", "## Runs", "", count_sentence(rows, left_out), "",
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
        + speed_markdown(speed_rows) + left_out_markdown(left_out) + [""] + lines[4:]
    # a language model in its own terms: its target a validation loss, its budget steps
    language = bool(rows) and all(registry.is_language_model(r["model"]) for r in rows)
    title = "Test accuracy" if measure.name == "test_accuracy" else measure.name
    lines += ["", f"## {title} over seeds", "",
              "| dataset | model | optimizer | n | mean | std | reached target | "
              f"{'steps' if language else 'epochs'} to target | seconds to target |",
              "|" + " --- |" * 9]
    for g in group_stats(rows, measure):
        lines.append(f"| {g['dataset']} | {g['model']} | {registry.display_name(g['optimizer'])} | "
                     f"{g['n']} | {_fmt(g['mean'])} | {_fmt(g['std'])} | {g['reached_target']} | "
                     f"{_fmt(g['steps_to_target' if language else 'epochs_to_target'], 1)} | "
                     f"{_fmt(g['seconds_to_target'], 1)} |")
    lines += ["", f"Target: the validation loss within {1 - TARGET_FRACTION:.0%} of the lowest "
              "that any run reached on the same model and text, in nats per byte; steps to "
              "target: the updates until the first evaluation point at or below it."
              if language else
              f"Target: {TARGET_FRACTION:.0%} of the best validation accuracy that any run "
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
             + f"the target ({first['target_rule']}: a level every run of both reached, "
             "whichever is A); B/A steps is B's steps over A's (below 1: B faster), its "
             "geometric mean over seeds with the paired 95% interval on the log scale. A run that never reaches the target is censored, never taken as "
             "reaching it: such a pair counts only where its direction is known, by the sign "
             f"test. Verdicts: faster, slower, as fast within ±{100 * first['speed_margin']:g}%, "
             "or undecided; a family of its own (its own question), with the same looks and "
             "shares of alpha as the verdicts above, so the chance of any wrong faster, slower "
             f"or as-fast call is at most {verdicts.ALPHA:.0%}.", "",
             "| dataset | model | A | B | target | B/A steps | 95% CI | n | censored | B/A seconds | verdict |",
             "|" + " --- |" * 11]
    for r in speed_rows:
        ci = "" if math.isnan(r["steps_ratio_low"]) else \
            f"[{r['steps_ratio_low']:.2f}, {r['steps_ratio_high']:.2f}]"
        lines.append(f"| {r['dataset']} | {r['model']} | {r['a']} | {r['b']} | {r['target']:.4g} | "
                     f"{_fmt(r['steps_ratio'], 2)} | {ci} | {r['n']} | {r['censored']} | "
                     f"{_fmt(r['seconds_ratio'], 2)} | {r['text']} |")
    return lines


# ------------------------------------------------------------------ tuned comparisons

def answer_sentence(problem_rows, overall, measure=None):
    """The answer a reader takes in at once, with its interval, seeds and error rate:
    "RAdam is worse than Adam on minivggnet / digits by 1.53 points [1.02, 2.04], 8 seeds;
    chance of any wrong call here at most 5%". The study's pair (or the first) on its one
    problem; across problems, the pair's overall verdict; a race, its answer."""
    measure = measure or Measure()
    risk = f"chance of any wrong call here at most {verdicts.ALPHA:.0%}"
    if measure.race:
        answers = [race_answer(s, measure) for s in analysis.race_standings(problem_rows)]
        return " ".join(a[0].upper() + a[1:] + ";" for a in answers) + f" {risk}."
    top = headline(overall)
    if top is None:
        return ""
    name = registry.display_name
    a, b = name(top["a"]), name(top["b"])
    mine = [r for r in problem_rows if (r["a"], r["b"]) == (top["a"], top["b"])]
    if len(mine) != 1:
        verdict = top["verdict"]
        told = {"better": f"{b} is better than {a}", "worse": f"{b} is worse than {a}",
                "equivalent": f"{b} and {a} are equivalent within {measure.margin_text()}",
                "undecided": f"{b} against {a}: undecided"}[verdict]
        within = f", {top['within']} of those within the margin" if top.get("within") else ""
        return (f"{told} across {len(mine)} problems ({top['counts']['better']} better, "
                f"{top['counts']['worse']} worse{within}, {top['counts']['equivalent']} "
                f"equivalent, {top['counts']['undecided']} undecided); {risk}.")
    r = mine[0]
    where = f"on {r['model']} / {r['dataset']}"
    digits = 2 if measure.accuracy else 4
    unit = "points" if measure.accuracy else measure.unit
    gain = abs(r["gain"])
    low, high = sorted((abs(r["gain_low"]), abs(r["gain_high"])))
    interval = "" if math.isnan(low) else f" [{low:.{digits}f}, {high:.{digits}f}]"
    seeds = f"{r['n']} seed{'' if r['n'] == 1 else 's'}"
    if r["verdict"] in ("better", "worse"):
        return (f"{b} is {r['verdict']} than {a} {where} by {gain:.{digits}f} {unit}{interval}"
                f"{_within(r, unit, measure.accuracy)}, {seeds}; {risk}.")
    raw_mean, raw_low, raw_high = raw(r)
    spread = "" if math.isnan(raw_low) else f" [{raw_low:+.{digits}f}, {raw_high:+.{digits}f}]"
    if r["verdict"] == "equivalent":
        return (f"{b} and {a} are equivalent {where} within {measure.margin_text()}: {b} - {a} "
                f"= {raw_mean:+.{digits}f}{spread}, {seeds}; {risk}.")
    return (f"{b} against {a} {where}: undecided after {seeds} ({b} - {a} = "
            f"{raw_mean:+.{digits}f}{spread}); {risk}.")


def tuning_caveats(rows):
    """What a reader of a tuned comparison must know: unequal tuning budgets, selections
    made on the test set. Sentences (markdown bold at most)."""
    selection = tuned_selection(rows)
    out = []
    budgets = defaultdict(dict)
    for s in selection:
        budgets[(s["dataset"], s["model"])][s["optimizer"]] = s["budget"]
    for (dataset, model), by_opt in budgets.items():
        if len(set(by_opt.values())) > 1:
            out.append(f"**Unequal tuning budgets** on {dataset} / {model}: " + ", ".join(
                f"{registry.display_name(o)} {n}" for o, n in by_opt.items()) + " settings. The "
                "optimizer tuned more has an advantage; give each the same number of settings.")
    if any(s["on_test"] for s in selection):
        out.append("Some selections were made on the test set (runs without "
                   "--validation-split): the tuned test accuracies are optimistic.")
    return out


def tuned_markdown(rows, margin=verdicts.MARGIN, design=None, tuned_table=None, measure=None):
    """The "tuned verdict": each optimizer at its selected setting, compared on test
    accuracy with paired intervals. Empty unless some optimizer was run at several settings."""
    selection = tuned_selection(rows)
    if all(s["budget"] < 2 for s in selection):
        return []
    program = next((r["program_metric"] for r in rows if r.get("program")), None)
    if program:  # a program's own metric, in its own direction, selects and is compared
        lines = ["", f"## Tuned verdict (each optimizer at the setting with the best mean "
                 f"final {program}, then compared)", "",
                 f"| problem | program | optimizer | settings tried | chosen setting | mean "
                 f"{program} |", "|" + " --- |" * 6]
        lines += [f"| {s['dataset']} | {s['model']} | {registry.display_name(s['optimizer'])} | "
                  f"{s['budget']} | {registry.display_name(s['chosen'])} | "
                  f"{_fmt(s['test_accuracy'], 6)} |" for s in selection]
    else:
        on = selected_on(rows)  # validation accuracy; a language model's validation loss
        lines = ["", f"## Tuned verdict (each optimizer at the setting with the best mean "
                 f"final {on}, then compared)", "",
                 f"| dataset | model | optimizer | settings tried | chosen setting | mean "
                 f"{on.replace('validation', 'val.')} | mean test acc. | selected on |",
                 "|" + " --- |" * 8]
    for s in selection if not program else ():
        where = "the test set: optimistic" if s["on_test"] else \
            "the text's validation split" if s["selected_on"] == "validation loss" else \
            "the validation hold-out"
        lines.append(f"| {s['dataset']} | {s['model']} | {registry.display_name(s['optimizer'])} | "
                     f"{s['budget']} | {registry.display_name(s['chosen'])} | "
                     f"{_fmt(s['val_value'])} | {_fmt(s['test_accuracy'])} | {where} |")
    for caveat in tuning_caveats(rows):
        lines += ["", caveat]
    if any(s["fixed"] for s in selection):
        lines += ["", "The chosen settings were selected on validation from the seeds of the "
                  "first look and fixed by decide.py before its first round (decide.json): the "
                  "seeds it added went to them alone, and selecting again on those seeds would "
                  "favour whichever setting they happened to flatter. The means shown are "
                  "over every seed now."]
    # a family of its own, under its own heading, by the folder's one design
    tuned = verdict_markdown(tuned_rows(rows), margin, design, tuned_table, measure)[2:]
    return lines + ["", "The tuned settings compared (a family of its own):", ""] + tuned


# ------------------------------------------------------------------ the answer by tuning budget

TUNING_COLUMNS = ["dataset", "model", "optimizer", "budget", "expected_best_val", "band_low",
                  "band_high", "expected_test_at_selection"]


def tuning_csv(curves):
    return csv_text(TUNING_COLUMNS, curves)


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
                             f"{by_b[k]['b_minus_a']:+.2f} {by_b[k]['verdict']}"
                             if k in by_b else "" for k in budgets) + " |")
        lines += ["", "Cells: mean B - A in points of expected test accuracy at selection, and "
                  "the verdict at that budget."]
    flat = sensitivity(rows, margin)
    if flat:
        on = flat[0]["selected_on"]
        within = f"{margin:g} point(s)" if on == "validation accuracy" else f"{margin / 100:g}"
        lines += ["", f"**Sensitivity to the learning rate**: the width, in decades, of the rates "
                  f"whose final {on} (mean over seeds) stays within {within} of the "
                  "optimizer's best, the trials joined linearly in log rate; "
                  "'>=' where that range reaches the edge of the rates tried.", "",
                  f"| dataset | model | optimizer | trials | rates tried | best rate | best "
                  f"{on.replace('validation', 'val.')} | width (decades) |", "|" + " --- |" * 8]
        for s in flat:
            lines.append(f"| {s['dataset']} | {s['model']} | {registry.display_name(s['optimizer'])} "
                         f"| {len(s['rates'])} | {min(s['rates']):.3g} to {max(s['rates']):.3g} | "
                         f"{s['best_rate']:.3g} | {_fmt(s['best_value'])} | {width_text(s)} |")
        lines += rate_range_caveats(flat)
    return lines


def rate_range_caveats(flat):
    """Where a tuning falls short of a fair baseline as Wen et al. (2025) define it: the
    chosen rate at the edge of the range searched (its optimum may lie beyond), or its
    neighbours more than 2x away (the optimum may lie between). Markdown lines."""
    out = []
    for s in flat:
        where = f"{registry.display_name(s['optimizer'])} on {s['dataset']} / {s['model']}"
        if s["best_at_edge"]:
            out += ["", f"**{where}: its best rate ({s['best_rate']:.3g}) is the "
                    f"{s['best_at_edge']} tried**, so its optimum may lie beyond the range "
                    "searched and its tuned result is understated: widen the range until the "
                    "best rate lies inside it."]
        elif s["neighbour_ratio"] > 2 + 1e-9:
            out += ["", f"**{where}: the rates beside its best ({s['best_rate']:.3g}) are up to "
                    f"{s['neighbour_ratio']:.3g}x away**: the optimum may lie between them; a "
                    "fair baseline's neighbours are at most 2x away (Wen et al. 2025)."]
    return out


# ------------------------------------------------------------------ study B (iteration budgets)

def language_markdown(step_rows):
    """A language model's curves in its own terms: the validation loss in nats per byte at
    each evaluation point, by steps."""
    if not step_rows:
        return []
    points = sorted({int(i) for _, h in step_rows for i in h["iterations"]})
    lines = ["", "## Validation loss at each evaluation point (nats per byte, by steps)", "",
             "| model | optimizer | seed | " + " | ".join(f"{p:,}" for p in points) + " |",
             "|" + " --- |" * (len(points) + 3)]
    for r, h in step_rows:
        at = dict(zip((int(i) for i in h["iterations"]), h["val_loss"]))
        lines.append(f"| {_model(r)} | {registry.display_name(r['optimizer'])} | "
                     f"{_fmt(r.get('seed'))} | "
                     + " | ".join(f"{at[p]:.4f}" if p in at else "" for p in points) + " |")
    return lines


def iterations_markdown(step_rows):
    """The article's tables: per batching, test accuracy at each evaluation point, and
    all runs ranked by effort. Empty when no run had an iteration budget."""
    if not step_rows:
        return ""
    language = [registry.is_language_model(r["model"]) for r, _ in step_rows]
    lines = language_markdown([pair for pair, lm in zip(step_rows, language) if lm])
    step_rows = [pair for pair, lm in zip(step_rows, language) if not lm]
    if not step_rows:
        return "\n".join(lines) + "\n"
    lines += ["", "## Accuracy at 500 x 2^k iterations (iteration budgets)", ""]
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
