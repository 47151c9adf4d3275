"""A DeepOBS results folder, as DeepOBS's runners write it (the Crowded Valley release is
one): ``deepobs:results/`` holds ``<testproblem>/<optimizer>/<setting>/random_seed__S__
<date>.json``, one file per run. A run's problem and optimizer are its folders, its
setting its folder's name (``num_epochs__100__batch_size__128__learning_rate__...``) with
the JSON's own hyperparameters, its seed the JSON's ``random_seed``, its curves the
per-epoch lists (``test_accuracies`` read as ``test_accuracy``, ``valid_losses`` as
``valid_loss`` ...; entry 0 the evaluation before training, at epoch 0).

Where an optimizer ran several settings on a problem, they are its tuning: the settings
run on one seed are its trials and the one run on many (the authors' final runs) its
chosen setting, so that the tuned comparison compares each optimizer at it. A damaged
JSON file is named and left out, the rest read. Nothing is written."""
import glob
import json
import math
import os

from pyimagesearch.runs.sources import keys as keys_

NAME = "deepobs"
PREFIX = "deepobs:"
PATTERN = "random_seed__*.json"
# DeepOBS's per-epoch lists, by the metric names the run table uses
CURVES = {"test_accuracies": "test_accuracy", "test_losses": "test_loss",
          "valid_accuracies": "valid_accuracy", "valid_losses": "valid_loss",
          "train_accuracies": "train_accuracy", "train_losses": "train_loss"}


def claims(location):
    return isinstance(location, str) and location.startswith(PREFIX)


def _files(root):
    return sorted(glob.glob(os.path.join(glob.escape(root), "*", "*", "*", PATTERN)))


def _logged(path, root):
    """One JSON file as a run (keys.Logged), or a reason it cannot be read."""
    problem, optimizer, setting = os.path.relpath(os.path.dirname(path), root).split(os.sep)
    try:
        with open(path, encoding="utf-8") as f:
            found = json.load(f)
        seed = int(found["random_seed"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        return f"{path}: unreadable ({type(e).__name__}: {e})"
    hyper = found.get("optimizer_hyperparams") or found.get("hyperparams") or {}
    # what the setting folder's name says: the budget and the hyperparameters
    budget = {k: found[k] for k in ("num_epochs", "batch_size", "weight_decay")
              if isinstance(found.get(k), (int, float)) and not isinstance(found.get(k), bool)}
    params = {"testproblem": problem, "optimizer": optimizer, "seed": seed,
              "setting": setting, **budget,
              **{k: v for k, v in hyper.items() if isinstance(v, (int, float, str))
                 and not isinstance(v, bool)}}
    metrics = {}
    for key, name in CURVES.items():
        values = found.get(key)
        if isinstance(values, list) and values and all(isinstance(v, (int, float)) for v in values):
            metrics[name] = [(float(epoch), float(v)) for epoch, v in enumerate(values)
                             if math.isfinite(float(v))]
    if not metrics:
        return f"{path}: no per-epoch metric ({', '.join(CURVES)})"
    return keys_.Logged(os.path.relpath(path, root), params, metrics, "finished",
                        float(os.path.getmtime(path)))


def read(location, keys, param_keys=()):
    """Every run under the results folder, as :class:`keys.Logged`; the settings of each
    optimizer on each problem marked as its tuning (``tuned``: True for the setting run on
    the most seeds, False for the others), where it ran more than one."""
    root = location[len(PREFIX):]
    if not os.path.isdir(root):
        raise ValueError(f"{location}: not a directory")
    files = _files(root)
    if not files:
        raise ValueError(f"{location}: no DeepOBS runs ({'/'.join(['<testproblem>', '<optimizer>', '<setting>', PATTERN])})")
    out, damaged = keys_.Logs(), []
    for path in files:
        run = _logged(path, root)
        (damaged if isinstance(run, str) else out).append(run)
    if not out:
        raise ValueError(f"{location}: no readable run ({damaged[0]})")
    seeds = {}
    for run in out:
        p = run.params
        seeds.setdefault((p["testproblem"], p["optimizer"]), {}).setdefault(
            p["setting"], set()).add(p["seed"])
    marked = keys_.Logs()
    for run in out:
        p = run.params
        settings = seeds[(p["testproblem"], p["optimizer"])]
        tuned = None
        if len(settings) > 1:
            most = max(len(s) for s in settings.values())
            tuned = len(settings[p["setting"]]) == most
        # the setting folder names the run's setting: the hyperparameters say it again
        params = {k: v for k, v in p.items() if k != "setting"}
        marked.append(keys_.Logged(run.id, params, run.metrics, run.state, run.order, tuned,
                                   p["optimizer"]))
    marked.problem_key = "testproblem"
    marked.note = (f"DeepOBS results, {len(files)} files in {len({(r.params['testproblem'], r.params['optimizer']) for r in out})} "
                   "problem x optimizer folders"
                   + (f"; {len(damaged)} left out: {damaged[0]}" if damaged else ""))
    return marked
