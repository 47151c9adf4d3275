"""What a verdict compares: a metric, its direction and its margin, in its own units.

    test_accuracy (default), val_accuracy, val_loss, train_loss, or any series a run's
    history holds (a program's own metric: its final value)

The goal is ``max`` or ``min``: given (``--goal``), or inferred from the name (loss, error,
perplexity, bits per byte: lower is better; otherwise higher, and the output says it was
assumed). Accuracies are compared in points (100 x the fraction) with a 1-point default
margin; any other metric needs a margin, in its units (``--margin 0.02``) or relative to
the pair's median (``--margin 1%``: both optimizers' values at the first look). The difference every verdict tests is oriented so
that positive means "B better": B - A where higher is better, A - B where lower is.
No I/O; the summary, decide.py and the simulation orient values through :func:`oriented`.
"""
import math
import re
from dataclasses import dataclass, replace
from typing import Optional

DEFAULT_METRIC = "test_accuracy"
ACCURACY_MARGIN = 1.0  # points
_LOWER = re.compile(r"loss|error|err$|perplexity|ppl|bpb|bits_per|nll|mse|mae|rmse", re.I)
_ACCURACY = re.compile(r"(^|_)(acc|accuracy|top1|top5)($|_)", re.I)
# the names the summary's rows already hold (the history's last epoch, the test report)
ROW_FIELDS = {"test_accuracy": "test_accuracy", "val_accuracy": "final_val_accuracy",
              "val_loss": "final_val_loss", "loss": "final_train_loss",
              "train_loss": "final_train_loss"}


@dataclass(frozen=True)
class Measure:
    name: str = DEFAULT_METRIC
    goal: str = "max"
    margin: float = ACCURACY_MARGIN  # in units (points for accuracies), or a fraction if relative
    relative: bool = False
    goal_assumed: bool = False
    # which comparisons: every pair (default), each other optimizer against ``baseline``,
    # or a ``race`` for the best (decide.py --race: a loser leaves)
    baseline: Optional[str] = None
    race: bool = False

    @property
    def accuracy(self):
        """An accuracy (a fraction): compared in points."""
        return bool(_ACCURACY.search(self.name)) or self.name in ("test_accuracy", "val_accuracy")

    @property
    def scale(self):
        return 100.0 if self.accuracy else 1.0

    @property
    def unit(self):
        return "accuracy points" if self.accuracy else f"{self.name} units"

    @property
    def better(self):
        """What "better" means, in words."""
        return f"higher {self.name}" if self.goal == "max" else f"lower {self.name}"

    @property
    def points_margin(self):
        """The margin in accuracy points that the parts judged on validation accuracy use
        whatever the metric (the learning-rate sensitivity): this one for an accuracy
        margin in points, else the default."""
        return self.margin if self.accuracy and not self.relative else ACCURACY_MARGIN

    def margin_text(self):
        if self.relative:
            return f"±{100 * self.margin:g}% of the pair's median {self.name}"
        return f"±{self.margin:g} {self.unit}"

    def margin_for(self, values):
        """The margin in units for a comparison whose values are ``values`` (a relative
        margin: of their median; analysis.pair_margin gives it both optimizers' values at
        the first look's seeds)."""
        if not self.relative:
            return self.margin
        finite = sorted(v for v in values if math.isfinite(v))
        if not finite:
            return math.nan
        mid = len(finite) // 2
        median = finite[mid] if len(finite) % 2 else (finite[mid - 1] + finite[mid]) / 2
        return self.margin * abs(median) * self.scale

    def sentence(self):
        """Which metric, in which units, and which way is better, in one clause."""
        assumed = " (assumed from its name; --goal to say otherwise)" if self.goal_assumed else ""
        return (f"{self.name}, its final value, {direction(self.goal)}{assumed}; "
                f"differences in {self.unit}")


def direction(goal):
    """Which way is better, as every output says it: 'higher is better' or 'lower is better'."""
    return f"{'lower' if goal == 'min' else 'higher'} is better"


def sign(goal):
    """+1 where higher is better, -1 where lower is: a value times its sign is larger the
    better it is. Every comparison of values in the metric's direction goes through it."""
    return -1.0 if goal == "min" else 1.0


def oriented(a, b, measure):
    """The difference B - A in the measure's units, positive when B is better."""
    return sign(measure.goal) * (b - a) * measure.scale


def infer_goal(name):
    return "min" if _LOWER.search(name) else "max"


def parse_margin(text):
    """(value, relative) from ``0.02`` or ``1%``; ValueError (one line) otherwise."""
    text = str(text).strip()
    relative = text.endswith("%")
    try:
        value = float(text[:-1] if relative else text)
    except ValueError:
        raise ValueError(f"--margin {text}: give a number (0.02) or a percentage (1%)") from None
    if not (0 < value < math.inf):
        raise ValueError(f"--margin {text}: must be a positive number")
    return (value / 100, True) if relative else (value, False)


def choose(name=None, goal=None, margin=None, baseline=None, race=False):
    """The Measure a command line asks for; ValueError, one line, naming what is missing."""
    if baseline and race:
        raise ValueError("--baseline and --race ask two questions: give one")
    return replace(_choose(name, goal, margin), baseline=baseline or None, race=bool(race))


def _choose(name, goal, margin):
    name = name or DEFAULT_METRIC
    if goal not in (None, "max", "min"):
        raise ValueError(f"--goal {goal}: give max or min")
    measure = Measure(name, goal or infer_goal(name), ACCURACY_MARGIN, False,
                      goal is None and name != DEFAULT_METRIC)
    if margin is None:
        if not measure.accuracy:
            raise ValueError(f"--margin: {name} is not an accuracy, so there is no default "
                             f"margin: give one in its units (--margin 0.02) or relative to "
                             "the baseline (--margin 1%), here or to combinations.py")
        return measure
    value, relative = parse_margin(margin)
    return Measure(name, measure.goal, value, relative, measure.goal_assumed)


def value(row, measure):
    """A run's value of the measure: for train.py's runs a field of its summary row (its
    test report's accuracy, its history's last epoch), else the last finite value of that
    series in its history (``row["finals"]``); nan when it has none. A program's or a
    tracker's metric is its own, whatever its name: ``test_accuracy`` logged by a program
    is that program's, not train.py's report."""
    field = None if row.get("program") else ROW_FIELDS.get(measure.name)
    if field is not None:
        return row.get(field, math.nan)
    return (row.get("finals") or {}).get(measure.name, math.nan)


def recorded(rows):
    """What the runs were written to judge, (metric, goal, margin), as their grid recorded
    it (combinations.py --command with --metric, --goal, --margin), or None where no run
    records one (train.py's runs); ValueError, one line, when the runs of one folder were
    written for different metrics, goals or margins."""
    found = {}
    for row in rows:
        written = row.get("written_for")
        if written:
            found[tuple(written)] = found.get(tuple(written), 0) + 1
    if len(found) > 1:
        listed = "; ".join(f"{m}" + (f" ({g}" + (f", margin {a}" if a else "") + ")" if g else
                                     f" (margin {a})" if a else "") + f": {n} runs"
                           for (m, g, a), n in sorted(found.items(), key=str))
        raise ValueError(f"the runs here were written for different metrics or margins "
                         f"({listed}): judge each grid in its own folder")
    return next(iter(found)) if found else None


def for_runs(rows, name=None, goal=None, margin=None, baseline=None, race=False):
    """(the Measure, a line saying where it came from or None): the flags given, and where
    no --metric was given, the metric, goal and margin the runs' grid recorded; the study's
    test accuracy for train.py's runs. ValueError, one line: a non-accuracy metric with no
    margin anywhere, runs written for different metrics, a metric no run has."""
    held = recorded(rows)
    note = None
    if held is not None and name in (None, held[0]):  # the grid's own: its goal and margin
        if name is None:
            note = f"the metric the grid was written for (combinations.py --metric {held[0]})"
        name, goal = held[0], goal or held[1]
        margin = margin if margin is not None else held[2]
    if name is not None:  # a metric asked for must be there; the default may be absent
        check_present(Measure(name), rows)
    return choose(name, goal, margin, baseline, race), note


# series a history holds that count or time its evaluations: never a metric to judge
BOOKKEEPING = {"step", "epoch", "iterations", "total_seconds", "epoch_seconds",
               "diverged_epoch", "seconds"}


def available(rows):
    """The metrics the runs hold: every series' final value, and test accuracy where a
    run has a test report (train.py's)."""
    names = set()
    for row in rows:
        names.update(k for k in (row.get("finals") or {}) if k not in BOOKKEEPING)
        if math.isfinite(row.get("test_accuracy", math.nan)):
            names.add("test_accuracy")
        if "loss" in (row.get("finals") or {}) and not row.get("program"):
            names.add("train_loss")
    return names


def check_present(chosen, rows):
    """ValueError, one line, when no run holds the measure's metric (naming those they do)."""
    names = available(rows)
    if rows and chosen.name not in names:
        raise ValueError(f"--metric {chosen.name}: no run here has it (they have: "
                         f"{', '.join(sorted(names)) or 'no metric'})")


def to_record(measure):
    return {"metric": measure.name, "goal": measure.goal,
            "margin": f"{100 * measure.margin:g}%" if measure.relative else measure.margin,
            "baseline": measure.baseline, "race": measure.race}


def question(measure):
    """Which comparisons, in words."""
    if measure.race:
        return "a race for the best"
    if measure.baseline:
        return f"each against {measure.baseline}"
    return "every pair"


def key(measure):
    """What makes two measures the same design (how the goal was found does not)."""
    baseline = measure.baseline.lower() if measure.baseline else None  # AdamW is adamw
    return measure.name, measure.goal, measure.margin, measure.relative, baseline, measure.race
