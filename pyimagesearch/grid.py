"""The grid of runs: what each run is called and the train.py line that makes it.

combinations.py writes these lines; plot.py finds the outputs by the same names.
"""
import os
import re
import shlex
from dataclasses import dataclass, field
from typing import Optional

from . import registry


@dataclass(frozen=True)
class Run:
    dataset: str
    model: str
    optimizer: str
    seed: Optional[int] = None
    batch: Optional[str] = None  # a batching of its own ("full", "1", "128"), else train.py's
    steps: Optional[int] = field(default=None, compare=False)  # an iteration budget

    @property
    def name(self):
        """The original's ``{model}_{opt}_{dataset}``, plus ``_b{batch}`` when the grid
        varies the batching and ``_s{seed}`` when seeded."""
        name = f"{self.model}_{self.optimizer}_{self.dataset}"
        if self.batch is not None:
            name += f"_b{self.batch}"
        if self.seed is not None:
            name += f"_s{self.seed}"
        return name


def runs(datasets, models, optimizers, seeds=None, batches=None):
    """The original loop order: dataset > model (> batching) > optimizer (> seed).

    ``batches``: (batch, steps) pairs, for grids that vary the batching (study B).
    """
    return [Run(d, m, o, s, b, n) for d in datasets for m in models
            for b, n in (batches or [(None, None)]) for o in optimizers
            for s in (seeds or [None])]


def outputs(run, folder):
    """(history, report) paths of ``run`` in ``folder``."""
    base = os.path.join(folder, run.name) if folder else run.name
    return base + ".pickle", base + ".txt"


def log_path(run, folder):
    """Where a launcher sends the run's output."""
    return (os.path.join(folder, run.name) if folder else run.name) + ".log"


def train_line(run, folder, train_args=""):
    """The train.py line of the original script (its two spaces before --model kept)."""
    history, report = (shlex.quote(p) for p in outputs(run, folder))
    line = (f"python train.py --history {history} --report {report} "
            f"--dataset {run.dataset}  --model {run.model} --optimizer {run.optimizer}")
    if run.batch is not None:
        line += f" --batch-size {run.batch}"
    if run.steps is not None:
        line += f" --steps {run.steps}"
    if run.seed is not None:
        line += f" --seed {run.seed}"
    if train_args:
        line += " " + train_args
    return line


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
