"""The grid of runs: what each run is called and the train.py line that makes it.

combinations.py writes these lines; plot.py finds the outputs by the same names.
"""
import os
import re
import shlex
from dataclasses import dataclass
from typing import Optional

from . import registry


@dataclass(frozen=True, order=True)
class Run:
    dataset: str
    model: str
    optimizer: str
    seed: Optional[int] = None

    @property
    def name(self):
        """The original's ``{model}_{opt}_{dataset}``, plus ``_s{seed}`` when seeded."""
        base = f"{self.model}_{self.optimizer}_{self.dataset}"
        return base if self.seed is None else f"{base}_s{self.seed}"


def runs(datasets, models, optimizers, seeds=None):
    """The original loop order: dataset > model > optimizer (> seed)."""
    return [Run(d, m, o, s) for d in datasets for m in models for o in optimizers
            for s in (seeds or [None])]


def outputs(run, folder):
    """(history, report) paths of ``run`` in ``folder``."""
    base = os.path.join(folder, run.name) if folder else run.name
    return base + ".pickle", base + ".txt"


def train_line(run, folder, train_args=""):
    """The train.py line of the original script (its two spaces before --model kept)."""
    history, report = (shlex.quote(p) for p in outputs(run, folder))
    line = (f"python train.py --history {history} --report {report} "
            f"--dataset {run.dataset}  --model {run.model} --optimizer {run.optimizer}")
    if run.seed is not None:
        line += f" --seed {run.seed}"
    if train_args:
        line += " " + train_args
    return line


def _alternatives(names):
    return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))


_NAME = re.compile(r"^(?P<model>{})_(?P<optimizer>{})_(?P<dataset>{})(?:_s(?P<seed>\d+))?$".format(
    _alternatives(registry.MODELS), _alternatives(registry.OPTIMIZERS),
    _alternatives(registry.DATASETS)))


def parse_name(name):
    """The Run a file stem names, or None when it is not a run of this registry."""
    match = _NAME.match(name)
    if not match:
        return None
    seed = match["seed"]
    return Run(match["dataset"], match["model"], match["optimizer"],
               None if seed is None else int(seed))
