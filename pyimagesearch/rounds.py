"""decide.py's design and rounds: the margin and the looks fixed before the first round
(``decide.json`` in the grid's folder, which plot.py reads too), and the runs a round adds:
the recorded runs of the optimizers still undecided, with new seeds."""
import json
import os

from . import grid, runspec, storage, summary, verdicts

DESIGN_FILE = "decide.json"


def design(folder, margin=None, max_seeds=None):
    """(margin, plan) for a folder: decide.py's fixed design when it has one (a margin or
    cap given now must agree with it), else (the margin given or the default, None: the
    default plan). ValueError, one line, for a disagreement or a damaged file."""
    path = os.path.join(folder, DESIGN_FILE)
    if not os.path.exists(path):
        return (verdicts.MARGIN if margin is None else margin), None
    try:
        with open(path, encoding="utf-8") as f:
            fixed = json.load(f)
        plan = [int(n) for n in fixed["plan"]]
        fixed_margin, fixed_cap = float(fixed["margin"]), int(fixed["max_seeds"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ValueError(f"{path}: damaged ({type(e).__name__}: {e})") from None
    if margin is not None and margin != fixed_margin:
        raise ValueError(f"--margin {margin:g}: decide.py fixed {fixed_margin:g} for {folder} "
                         f"({path}) before its rounds; the error rates hold for that margin only")
    if max_seeds is not None and max_seeds != fixed_cap:
        raise ValueError(f"--max-seeds {max_seeds}: decide.py fixed {fixed_cap} for {folder} "
                         f"({path}) before its rounds")
    return fixed_margin, plan


def save_design(folder, margin, max_seeds, plan):
    storage.write_text(os.path.join(folder, DESIGN_FILE), json.dumps(
        {"margin": margin, "max_seeds": max_seeds, "plan": plan, "alpha": verdicts.ALPHA,
         "looks": "Bonferroni over the looks, each spending alpha in proportion to the square "
                  "root of its seeds"},
        indent=1) + "\n")


def missing_runs(rows, records, problems, seeds_wanted):
    """The runs the next look needs: for every comparison still undecided, both
    optimizers up to ``seeds_wanted`` seeds shared; the new seeds are the next numbers
    after the largest shared one, so every earlier look (which read the shared seeds in
    order) keeps its seeds, and a round cut short is completed with the same seeds.
    ``records``: {(dataset, model, optimizer): a run record of it}. Returns RunSpecs."""
    have = {}
    for row in rows:
        if row.get("seed") is not None:
            have.setdefault((*summary.problem(row), row["optimizer"]), set()).add(row["seed"])
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
                if seed not in present:
                    spec = runspec.RunSpec.from_record(records[(*problem, optimizer)], seed=seed)
                    if spec not in wanted:
                        wanted.append(spec)
    return wanted


def train_line(spec, folder):
    """The train.py line of a RunSpec, with the outputs a grid would give it."""
    import shlex
    run = grid.Run(spec.dataset, spec.model, spec.optimizer, spec.seed,
                   None if spec.steps is None else str(spec.batch_size))
    history, report = grid.outputs(run, folder)
    words = ["python", "train.py", "--history", history, "--report", report, *spec.to_argv()]
    return run, " ".join(shlex.quote(w) for w in words)
