"""Runs someone else logged, read into the run table's terms: which of their recorded
keys is the optimizer, the seed and the problem; every other parameter that varies
makes a setting of its own (never pooled); duplicates refused; one line says what was
read. Every source (a table, TensorBoard, MLflow ...) hands its runs here as
:class:`Logged` and gets back what plot.py, decide.py and ``compare()`` read."""
import math
from dataclasses import dataclass
from typing import Optional

OPTIMIZER_KEYS = ("optimizer", "optim", "opt")
SEED_KEYS = ("seed",)
# prefixes trackers put before a run's parameters and metrics in their exports
PARAM_PREFIXES = ("params.", "param.", "config.", "hparams.", "hparam.")
METRIC_PREFIXES = ("metrics.", "metric.", "summary.")
# numbers that are a run's parameters, not its results, when a table does not say
PARAMETER_NAMES = ("lr", "learning_rate", "batch_size", "weight_decay", "momentum", "beta1",
                   "beta2", "beta_1", "beta_2", "eps", "epsilon", "warmup", "warmup_steps",
                   "epochs", "steps", "width", "depth", "layers", "n_params")
FINISHED = {"", "finished", "ok", "done", "success", "succeeded", "completed"}


@dataclass(frozen=True)
class Logged:
    """One run as its source holds it: an id, its parameters (name -> value as logged),
    its metrics (name -> [(step, value)], one point for a final value), and its state
    (``finished``, or what its tracker says: failed, killed, running ...)."""
    id: str
    params: dict
    metrics: dict
    state: str = "finished"
    order: float = 0.0  # when it ran (a start time, or its place in the source): --duplicates latest
    # where the source knows the run's setting was one of an optimizer's tuning (DeepOBS's
    # setting folders): True for the chosen setting, False for a trial; ``family``, the
    # optimizer it tunes
    tuned: Optional[bool] = None
    family: Optional[str] = None


@dataclass(frozen=True)
class Keys:
    """The keys asked for (None: the defaults tried in order)."""
    optimizer: str = None
    seed: str = None
    problem: str = None
    duplicates: str = "refuse"  # or "latest"
    experiment: str = None  # the store's experiment (MLflow), by name
    step: str = None  # a long table's step column (default: STEP_KEYS, the first present)


# what a long table's step column is called by the tools that write them (DeepOBS: epoch;
# W&B: _step; Lightning: step; TensorBoard: global_step)
STEP_KEYS = ("step", "epoch", "iteration", "_step", "global_step", "trainer/global_step")


class Logs(list):
    """A source's runs (:class:`Logged`), with ``note``: how they were read, when that
    is worth a word (a long table's runs told apart by its key columns), and
    ``problem_key``: the parameter that names the problem where the source knows it."""
    note = ""
    problem_key = None


def _pick(asked, defaults, present, what, flag):
    if asked is not None:
        if asked not in present:
            raise ValueError(f"{flag} {asked}: no run has it (keys present: "
                            f"{', '.join(sorted(present)) or 'none'})")
        return asked
    found = next((k for k in defaults if k in present), None)
    if found is None:
        raise ValueError(f"no {what} key ({' or '.join(defaults)}) in the runs: name one with "
                        f"{flag} (keys present: {', '.join(sorted(present)) or 'none'})")
    return found


def order_of(value, fallback):
    """When a run started, as a number whatever its type (an epoch in seconds or
    milliseconds, a timestamp string, a datetime): --duplicates latest keeps the later."""
    if is_number(value):
        return float(value)
    try:
        import pandas as pd
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        return fallback
    if pd.isna(stamp):
        return fallback
    return stamp.tz_localize("UTC").timestamp() if stamp.tzinfo is None else stamp.timestamp()


def plain_number(text):
    """A parameter logged as text (MLflow keeps them so; a table's params.* columns): a
    number where it is one, an int where it is written as one."""
    if not isinstance(text, str):
        return text
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() and text.strip().lstrip("-").isdigit() else number


def is_number(value):
    """A number as logged (not a flag: a bool is an int to Python)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _text(value):
    if is_number(value) and float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return format(value, ".6g") if is_number(value) else str(value)


def setting_label(name, params):
    """``adam`` with the parameters that vary: ``adam(lr=0.001, batch_size=64)``, a spec
    plot.py reads and shows as typed (a text value quoted)."""
    if not params:
        return str(name)
    args = ", ".join(f"{k}={_text(v) if is_number(v) else repr(str(v))}" for k, v in params)
    return f"{name}({args})"


@dataclass(frozen=True)
class Read:
    """What a source's runs are, in the run table's terms: ``runs``, [(problem, setting,
    seed, Logged)]; ``failed``, [(Logged, why)]; ``line``, the one line that says how;
    ``seed_key``, the key that held the seed (a next round's runs change it)."""
    runs: list
    failed: list
    line: str
    seed_key: str


def identify(logged, keys, source):
    """Sort ``logged`` runs into problem, optimizer setting and seed; ValueError, one line,
    for a key no run has, a seed that is not an integer, or two runs of one setting,
    problem and seed (unless ``keys.duplicates == 'latest'``)."""
    finished = [r for r in logged if str(r.state).lower() in FINISHED]
    failed = [(r, f"{r.state}") for r in logged if str(r.state).lower() not in FINISHED]
    if not logged:
        raise ValueError(f"{source}: no runs")
    present = set().union(*(r.params for r in logged))
    optimizer = _pick(keys.optimizer, OPTIMIZER_KEYS, present, "optimizer", "--optimizer-key")
    seed = _pick(keys.seed, SEED_KEYS, present, "seed", "--seed-key")
    problem = None if keys.problem is None else _pick(keys.problem, (), present, "problem",
                                                      "--problem-key")
    named = {optimizer, seed} | ({problem} if problem else set())
    values = {}
    for run in finished:
        for k, v in run.params.items():
            if k not in named:
                values.setdefault(k, set()).add(repr(v))
    varying = tuple(sorted(k for k, vs in values.items() if len(vs) > 1 or any(
        k not in r.params for r in finished)))
    out, seen = [], {}
    for run in sorted(finished, key=lambda r: r.order):
        if optimizer not in run.params or seed not in run.params:
            failed.append((run, f"no {optimizer if optimizer not in run.params else seed}"))
            continue
        raw = run.params[seed]
        try:
            number = float(raw)
            if not math.isfinite(number) or not number.is_integer():
                raise ValueError
        except (TypeError, ValueError):
            raise ValueError(f"{source}: run {run.id}: seed {raw!r} ({seed}) is not an "
                             "integer") from None
        setting = setting_label(run.params[optimizer], [(k, run.params[k]) for k in varying
                                                         if k in run.params])
        where = str(run.params.get(problem, "")) if problem else ""
        key = (where, setting, int(number))
        if key in seen:
            if keys.duplicates != "latest":
                # two runs of one setting share every parameter (any that varies is in the
                # setting): what tells them apart, if anything, is a column not read as one
                raise ValueError(f"{source}: runs {seen[key][3].id} and {run.id} are both "
                                 f"{setting}, seed {int(number)}"
                                 + (f" on {where}" if where else "")
                                 + ": if they are different runs (another size, another "
                                 "problem), name the column that tells them apart with "
                                 "--problem-key or --param-keys; if one run was logged twice, "
                                 "give --duplicates latest to keep the later one")
            out.remove(seen[key])
        seen[key] = (where, setting, int(number), run)
        out.append(seen[key])
    _some_pair(out, varying, source)
    # the runs' count is the caller's to add: it may leave out more (a metric not logged)
    line = (f"optimizer = {' + '.join((optimizer,) + varying)}; seed = {seed}; problem = "
            f"{problem or 'none'}")
    return Read(out, failed, line, seed)


def _some_pair(found, varying, source):
    """ValueError, one line, where a parameter that varies takes a value of its own on
    every run across several seeds: an identifier (a run's name, a time, a path), not a
    setting, which would make every run a setting of its own with nothing to pair. Named,
    with the remedy."""
    runs = [run for *_, run in found]
    if len({seed for _, _, seed, _ in found}) < 2 or len(runs) < 3:
        return
    own = [k for k in varying if len({repr(r.params.get(k)) for r in runs}) == len(runs)]
    if own:
        raise ValueError(f"{source}: {', '.join(own)} takes a value of its own on every "
                         f"run, so each of the {len(runs)} runs would be a setting of its own "
                         "with no seed to pair: a run's name, time or path is no setting; "
                         "leave it out of --param-keys, or name the optimizer with "
                         "--optimizer-key")


def split_columns(names, param_keys=()):
    """(parameters, metrics) of a table's columns: a tracker's prefixes say which; a
    column without one is a parameter when named in ``param_keys`` or PARAMETER_NAMES,
    or when it holds text, else a metric (decided by the caller for text)."""
    params, metrics = {}, {}
    for name in names:
        lower = name.lower()
        if lower.startswith(PARAM_PREFIXES):
            params[name] = name.split(".", 1)[1]
        elif lower.startswith(METRIC_PREFIXES):
            metrics[name] = name.split(".", 1)[1]
        elif name in param_keys or lower in PARAMETER_NAMES:
            params[name] = name
        else:
            metrics[name] = name
    return params, metrics
