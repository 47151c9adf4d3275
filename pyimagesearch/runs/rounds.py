"""decide.py's design and rounds: the margin and the looks' shares of alpha fixed before
the first round, and a record of every look taken (``decide.json`` in the grid's folder,
which plot.py reads too), and the runs a round adds: the recorded runs of the optimizers
still undecided, with new seeds. A look is a round: the grid as run is look 0, each round
of decide.py the next; at each look every comparison reads all the paired seeds it has.
Which runs a round adds is decided here (:func:`wanted_runs`); the lines that launch them
are pyimagesearch.launch.next_round's."""
import datetime
import json
import os

from pyimagesearch.runs import results, storage
from pyimagesearch.runs.results import DESIGN_FILE
from pyimagesearch.stats import measure, verdicts
from pyimagesearch.stats.problems import family


def _path(folder):
    # None: runs read from another system with nowhere named to keep a design (the API's
    # compare() without a plots folder): no decide.json, nothing recorded
    return os.devnull if folder is None else os.path.join(folder, DESIGN_FILE)


def read(folder):
    """decide.json's contents, {} when there is none; ValueError (one line) when damaged."""
    path = _path(folder)
    if folder is None or not os.path.exists(path):
        return {}
    try:
        with open(path, encoding="utf-8") as f:
            fixed = json.load(f)
        fixed["plan"] = [int(n) for n in fixed["plan"]]
        fixed["measure"] = measure.choose(fixed.get("metric"), fixed.get("goal"),
                                          fixed["margin"], fixed.get("baseline"),
                                          fixed.get("race", False))
        fixed["max_seeds"] = None if fixed["max_seeds"] is None else int(fixed["max_seeds"])
        # each tuned optimizer's setting, fixed at the first look: {(dataset, model, name): setting}
        fixed["tuned"] = {(d, m, o): chosen for d, m, o, chosen in fixed.get("tuned") or []}
        for look in fixed.get("looks", []):
            look["runs"] = {(d, m, o): set(int(x) for x in seeds)
                            for d, m, o, seeds in look["runs"]}
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ValueError(f"{path}: damaged ({type(e).__name__}: {e})") from None
    return fixed


def design(folder, chosen=None, max_seeds=None, rows=None):
    """(measure, :class:`verdicts.Design` or None) for a folder: decide.py's fixed design
    when it has one (a metric, goal, margin or cap given now must agree with it), else
    (the measure given or the default, None: plot.py's first look). ``chosen``: a
    :class:`measure.Measure`, or a margin in accuracy points. A decide.json of an earlier
    version, with
    no record of its looks, is read as it was meant then: look k read each comparison's
    first plan[k] seeds (``rows`` needed). ValueError, one line, for a disagreement or a
    damaged file."""
    path = _path(folder)
    if chosen is not None and not isinstance(chosen, measure.Measure):
        chosen = measure.Measure(margin=chosen)
    fixed = read(folder)
    if not fixed:
        return (chosen or measure.Measure()), None
    held = fixed["measure"]
    if chosen is not None and measure.key(chosen) != measure.key(held):
        raise ValueError(f"decide.py fixed {held.name} ({held.goal}, margin "
                         f"{held.margin_text()}, {measure.question(held)}) for {folder} ({path}) "
                         f"before its rounds, not {chosen.name} ({chosen.goal}, margin "
                         f"{chosen.margin_text()}, {measure.question(chosen)}); the error "
                         "rates hold for that design only")
    if max_seeds is not None and max_seeds != fixed["max_seeds"] and fixed.get("design") != "fixed":
        raise ValueError(f"--max-seeds {max_seeds}: decide.py fixed {fixed['max_seeds']} for "
                         f"{folder} ({path}) before its rounds")
    plan = fixed["plan"]
    if fixed.get("design") == "fixed":
        return held, verdicts.Design("fixed", tuple(plan), (1.0,),
                                     tuple(k["runs"] for k in fixed["looks"]))
    looks = fixed.get("looks")
    if looks is None:  # an earlier version's decide.json: look k read the first plan[k] seeds
        most = max((len(v) for v in snapshot(rows or []).values()), default=0)
        looks = [{"runs": _first_seeds(rows or [], n)} for n in plan if n <= max(most, plan[0])]
    return held, verdicts.Design("sequential", tuple(plan), tuple(verdicts.look_weights(plan)),
                                 tuple(k["runs"] for k in looks))


def _first_seeds(rows, n):
    """Every run setting's first ``n`` seeds (how an earlier version's looks read them)."""
    out = snapshot(rows)
    return {k: set(sorted(v)[:n]) for k, v in out.items()}


def snapshot(rows):
    """The runs a look reads: {(dataset, model, optimizer setting): seeds} of the runs
    there and readable (-1 for an unseeded run), whatever metric the verdicts compare:
    a run without that metric is left out by the verdicts themselves."""
    out = {}
    for row in rows:
        key = (*results.problem(row), row["optimizer"])
        out.setdefault(key, set()).add(-1 if row.get("seed") is None else row["seed"])
    return out


def _write(folder, fixed):
    if folder is None:
        raise ValueError("runs from another system: name a plots folder to keep "
                         f"{DESIGN_FILE} in (plot.py -p, decide.py -p)")
    os.makedirs(folder, exist_ok=True)  # the plots folder, for runs logged elsewhere
    looks = [{**look, "runs": [[*k, sorted(v)] for k, v in sorted(look["runs"].items())]}
             for look in fixed["looks"]]
    kept = {k: v for k, v in fixed.items() if k != "measure"}
    kept["tuned"] = [[*k, v] for k, v in sorted((fixed.get("tuned") or {}).items())]
    storage.write_text(_path(folder), json.dumps({**kept, "looks": looks}, indent=1) + "\n")


def start(folder, chosen, max_seeds, plan, rows, kind="sequential", tuned=None,
          trials_by_name=False):
    """Fix the design (``chosen``: the Measure, or a margin in accuracy points; ``plan``:
    decide.py's target seeds per look; "fixed": one look with all of alpha; ``tuned``:
    each tuned optimizer's setting, {(dataset, model, optimizer): setting}) and take the
    first look at ``rows``; ``trials_by_name``: the folder's settings of one optimizer name
    were read as its trials (results.mark_trials), and are at every later look); returns
    the Design."""
    if not isinstance(chosen, measure.Measure):
        chosen = measure.Measure(margin=chosen)
    weights = [1.0] if kind == "fixed" else [float(w) for w in verdicts.look_weights(plan)]
    fixed = {"design": kind, **measure.to_record(chosen), "max_seeds": max_seeds,
             "plan": list(plan),
             "alpha": verdicts.ALPHA, "weights": weights,
             "looks_rule": "one look, all of alpha: no seeds are added" if kind == "fixed" else
             "a look is a round (the grid as run, then each decide.py round); each comparison is "
             "tested on every paired seed it has at the look; look k spends alpha in "
             "proportion to the square root of plan[k], none below 3 seeds (Bonferroni over "
             "looks, Holm within)",
             "looks": [], "rounds": {}, "tuned": dict(tuned or {})}
    if trials_by_name:
        fixed["trials_by_name"] = True
    if tuned:
        fixed["tuned_rule"] = ("each optimizer's setting selected on validation (the best mean "
                               "final validation accuracy over the seeds of the first look) and "
                               "fixed before any round: later seeds go to it alone, and the "
                               "verdict is of the tuned optimizers")
    _write(folder, fixed)
    return take_look(folder, rows)


def fixed_selection(folder, rows):
    """Mark ``rows`` with the tuned settings decide.json fixed (row ``selected``: True for a
    chosen setting's runs, False for its rivals' trials), so that every part of the summary
    compares the optimizers at those settings instead of selecting again on more seeds.
    Returns the selection ({} when none was fixed)."""
    tuned = read(folder).get("tuned") or {} if folder and os.path.exists(_path(folder)) else {}
    for row in rows:
        key = (*results.problem(row), family(row))
        if key in tuned:
            row["selected"] = row["optimizer"] == tuned[key]
    return tuned


def take_look(folder, rows):
    """Record the next look at ``rows`` in decide.json; returns the Design with it."""
    fixed = read(folder)
    fixed["looks"].append({"look": len(fixed["looks"]), "runs": snapshot(rows),
                           "taken": datetime.datetime.now().isoformat(timespec="seconds")})
    _write(folder, fixed)
    return design(folder)[1]


def record_round(folder, look, names):
    """The runs a round asked for, written before it is launched, so that a run of it that
    never finished is named as missing, not mistaken for a seed decide.py chose not to add."""
    fixed = read(folder)
    fixed.setdefault("rounds", {})[str(look)] = sorted(names)
    _write(folder, fixed)


def explain_missing(folder, missing, design_present):
    """Warn about each missing run of a folder, except the seeds decide.py chose not to add
    (counted in one line, said only when there are some): a run a round asked for that is
    missing was interrupted or failed, and a run of the grid as run is simply missing."""
    if not missing:
        return
    fixed = read(folder) if design_present else {}
    if not fixed.get("looks"):
        for run, path in missing:
            results.warn(f"{path}: missing")
        return
    asked = {name: k for k, names in fixed.get("rounds", {}).items() for name in names}
    grid_seeds = set().union(*fixed["looks"][0]["runs"].values())  # the grid as run
    by_design = 0
    for run, path in missing:
        name = os.path.splitext(os.path.basename(path))[0]
        seed = -1 if run.seed is None else run.seed
        if name in asked:
            results.warn(f"{path}: missing, though decide.py's round {asked[name]} asked for it "
                 "(interrupted or failed: run decide.py again)")
        elif seed in grid_seeds:
            results.warn(f"{path}: missing")
        else:
            by_design += 1
    if by_design:
        print(f"[INFO] {by_design} seed x optimizer combinations not run: decide.py added "
              "seeds only to the pairs still undecided")


def wanted_runs(rows, records, problems, seeds_wanted):
    """The runs the next look needs, as (a run record, seed): for every comparison still
    undecided, both optimizers up to ``seeds_wanted`` seeds shared; the new seeds are the
    next numbers after the largest shared one, so every earlier look (which read the
    shared seeds in order) keeps its seeds, and a round cut short is completed with the
    same seeds. ``records``: {(dataset, model, optimizer): a run record of it}."""
    have = {}
    for row in rows:
        if row.get("seed") is not None:
            have.setdefault((*results.problem(row), row["optimizer"]), set()).add(row["seed"])
    wanted = []
    for p in problems:
        if p["verdict"] != "undecided":
            continue
        problem = (p["dataset"], p["model"])
        seeds_a, seeds_b = (have.get((*problem, o), set()) for o in (p["a"], p["b"]))
        shared = sorted(seeds_a & seeds_b)
        after = (shared[-1] if shared else -1) + 1
        target = (shared + list(range(after, after + seeds_wanted)))[:seeds_wanted]
        for optimizer, present in ((p["a"], seeds_a), (p["b"], seeds_b)):
            for seed in target:
                if seed not in present and (records[(*problem, optimizer)], seed) not in wanted:
                    wanted.append((records[(*problem, optimizer)], seed))
    return wanted
