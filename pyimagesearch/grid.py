"""The grid of runs: what each run is called and the train.py line that makes it.

combinations.py writes these lines; plot.py finds the outputs by the same names.
"""
import os
import re
import shlex
from dataclasses import dataclass, field
from typing import Optional

from pyimagesearch import registry, specs


@dataclass(frozen=True)
class Run:
    dataset: str  # a spec: registry name, folder:PATH, npz:PATH
    model: str  # a spec: registry name or package.module:callable
    optimizer: str  # a canonical spec: "adam", "adamw(learning_rate=0.0003)"
    seed: Optional[int] = None
    batch: Optional[str] = None  # a batching of its own ("full", "1", "128"), else train.py's
    steps: Optional[int] = field(default=None, compare=False)  # an iteration budget
    setting_of: Optional[str] = field(default=None, compare=False)  # its tuning family

    @property
    def name(self):
        """The original's ``{model}_{opt}_{dataset}``, plus ``_b{batch}`` when the grid
        varies the batching and ``_s{seed}`` when seeded. Specs other than registry
        names appear as their file-safe labels (``adam-learning_rate=0.0003``)."""
        name = "_".join(registry.label(part) for part in (self.model, self.optimizer, self.dataset))
        if self.batch is not None:
            name += f"_b{self.batch}"
        if self.seed is not None:
            name += f"_s{self.seed}"
        return name


def runs(datasets, models, optimizers, seeds=None, batches=None, family=None):
    """The original loop order: dataset > model (> batching) > optimizer (> seed).

    ``batches``: (batch, steps) pairs, for grids that vary the batching (study B);
    ``family``: {setting: the optimizer it is a trial of} (:func:`expand_optimizers`).
    """
    family = family or {}
    models = [registry.canonical_model(m) for m in models]  # named as their runs will be
    return [Run(d, m, o, s, b, n, family.get(o)) for d in datasets for m in models
            for b, n in (batches or [(None, None)]) for o in optimizers
            for s in (seeds or [None])]


def outputs(run, folder):
    """(history, report) paths of ``run`` in ``folder``."""
    base = os.path.join(folder, run.name) if folder else run.name
    return base + ".pickle", base + ".txt"


def log_path(run, folder):
    """Where a launcher sends the run's output."""
    return (os.path.join(folder, run.name) if folder else run.name) + ".log"


REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # where train.py is


ORIGINAL_COMMAND = "python train.py"


def program():
    """How a written script starts train.py, as shell words: ``python train.py``, as the
    original did, when it is written from the repository's root; else by its absolute path
    (the scripts go back to the folder they were written from, so that a relative path
    means what it meant there); from an installed package (no repository around it),
    ``python -m pyimagesearch.commands.train``."""
    script = os.path.join(REPO, "train.py")
    if not os.path.isfile(script):
        return "python -m pyimagesearch.commands.train"
    if os.path.abspath(os.getcwd()) == REPO:
        return ORIGINAL_COMMAND
    return f"python {shlex.quote(script)}"


def train_line(run, folder, train_args="", tensorboard=None, command=ORIGINAL_COMMAND):
    """The train.py line of the original script (its two spaces before --model kept);
    ``tensorboard``: a folder under which each run logs to ``{tensorboard}/{run}``;
    ``command``: how the line starts train.py, shell words (:func:`program`)."""
    history, report = (shlex.quote(p) for p in outputs(run, folder))
    dataset, model, optimizer = (shlex.quote(p) for p in (run.dataset, run.model, run.optimizer))
    line = (f"{command} --history {history} --report {report} "
            f"--dataset {dataset}  --model {model} --optimizer {optimizer}")
    if run.batch is not None:
        line += f" --batch-size {run.batch}"
    if run.steps is not None:
        line += f" --steps {run.steps}"
    if run.seed is not None:
        line += f" --seed {run.seed}"
    if run.setting_of is not None:
        line += f" --setting-of {shlex.quote(run.setting_of)}"
    if tensorboard:
        line += f" --tensorboard {shlex.quote(os.path.join(tensorboard, run.name))}"
    if train_args:
        line += " " + train_args
    return line


def expand_optimizers(texts, trials=None, search_seed=0, tune=False, resolve=True):
    """Optimizer specs, each list value expanded into a grid and each search space into
    ``trials`` settings (:func:`draw_trials`), every one resolved (an unknown name or
    argument raises :class:`specs.SpecError`); canonical, in order.
    ``adam(learning_rate=[1e-4, 1e-3])`` -> two specs. Returns (settings, {setting: the
    optimizer it is a trial of}): the settings of a search, and with ``tune`` those of a
    [list] grid, are one optimizer's tuning family; every other spec is a rival of its own.
    Two specs of one configuration (``adam`` and ``adam(learning_rate=0.001)``) are
    refused: they would be one run twice, or two rivals that are the same. ``resolve``
    False: the specs are a user's program's (their names and values are handed to it, not
    resolved by Keras)."""
    out, family, configurations = [], {}, {}
    for text in texts:
        spec = specs.parse(text)
        if spec.space() and spec.has_grid():
            raise specs.SpecError(f"{text!r}: give [lists] (a grid) or search spaces "
                                  "(--trials), not both in one spec")
        if spec.space():
            if not trials:
                raise specs.SpecError(f"{text!r}: {spec.space()[0][1]!r} is a search space: give "
                                      "--trials T, the settings to draw for every optimizer")
            settings = draw_trials(spec, trials, search_seed, text, resolve)
        elif trials:
            raise specs.SpecError(
                f"--trials {trials}: {text!r} has no search space, so it would get 1 setting "
                f"where the others get {trials}: give it one, e.g. "
                f"{spec.name}(learning_rate=loguniform(1e-4, 1e-2))")
        else:
            settings = [registry.resolve_optimizer(s.text()).text if resolve else s.text()
                        for s in spec.grid()]
        for setting in settings:
            if resolve:
                choice = registry.resolve_optimizer(setting, check=False)
                name = choice.spec.name
                same = [s for s, c in configurations.items() if c[0] == name]
                key = choice.configuration(signature=bool(same))
                for other in same:  # the same name twice: compare everything, defaults included
                    configurations[other] = registry.resolve_optimizer(other, check=False) \
                        .configuration(signature=True)
            else:  # a program's: its own name and arguments, as written
                parsed = specs.parse(setting)
                name = parsed.name
                key = (name, tuple(sorted((k, repr(v)) for k, v in parsed.arguments)))
            twin = next((s for s, c in configurations.items() if c == key), None)
            if twin is not None:
                raise specs.SpecError(
                    f"{twin!r} and {setting!r} are the same configuration"
                    + (f" (from {text!r})" if text != setting else "")
                    + ": give each optimizer once")
            configurations[setting] = key
            out.append(setting)
            if spec.space() or (tune and spec.has_grid()):
                family[setting] = name
    return out, family


def draw_trials(spec, trials, search_seed=0, text=None, resolve=True):
    """``trials`` distinct settings of ``spec``'s search space at the points of a Latin
    hypercube (scipy.stats.qmc.LatinHypercube, scrambled) seeded by ``search_seed``: in
    every searched dimension, exactly one trial falls in each T-th of its range (of its
    log range for loguniform), whatever T, and the same command draws the same trials.
    Points whose rounded values repeat an earlier trial are passed over (a small
    ``choice`` space has fewer settings than trials: refused)."""
    from scipy.stats import qmc
    text = text or spec.text()
    space = spec.space()
    # the ends of every range first, so a bound the optimizer refuses is named as such
    continuous = [d for _, d in space if d.kind != "choice"]
    if continuous and resolve:
        for end in (0.0, 1.0):
            try:
                registry.resolve_optimizer(spec.at([end] * len(space)).text())
            except specs.SpecError as e:
                raise specs.SpecError(f"{text!r}: the search space reaches values the "
                                      f"optimizer refuses: {e}") from None
    distinct = 1
    for _, d in space:
        distinct *= len(d.values) if d.kind == "choice" else trials
    if distinct < trials:
        raise specs.SpecError(f"{text!r}: its search space has {distinct} settings, fewer than "
                              f"--trials {trials}: use a [list] grid")
    sequence = qmc.LatinHypercube(len(space), scramble=True, rng=search_seed)
    out = []
    for _ in range(100):  # blocks of points until enough distinct settings
        for point in sequence.random(trials):
            setting = spec.at(point).text()
            setting = registry.resolve_optimizer(setting).text if resolve else setting
            if setting not in out:
                out.append(setting)
            if len(out) == trials:
                return out
    raise specs.SpecError(f"{text!r}: could not draw {trials} distinct settings")


def from_record(record):
    """The Run a history's record describes (batch: the batching of an iteration budget;
    a language model's name with its shape)."""
    batch = record.get("batch_size") if record.get("steps") else None
    return Run(record["dataset"], registry.shaped_model(record["model"], record),
               record["optimizer"], record.get("seed"),
               None if batch is None else str(batch), setting_of=record.get("setting_of"))


def _alternatives(names):
    return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))


_NAME = re.compile(r"^(?P<model>{})_(?P<optimizer>{})_(?P<dataset>{})"
                   r"(?:_b(?P<batch>full|\d+))?(?:_s(?P<seed>\d+))?$".format(
    _alternatives(registry.MODELS), _alternatives(registry.OPTIMIZERS),
    _alternatives(registry.DATASETS)))


def parse_name(name):
    """The Run a file stem names, or None when it is not a run of this registry."""
    match = _NAME.match(name)
    if not match:
        return None
    seed = match["seed"]
    return Run(match["dataset"], match["model"], match["optimizer"],
               None if seed is None else int(seed), match["batch"])
