"""One object describes a run: built once from train.py's command line, passed down to
training, and written into the history (key ``run``), so that plot.py and the summary
know what a run was without reading its file name."""
import importlib
import json
import platform
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Optional, Union

import numpy

from pyimagesearch import registry
from pyimagesearch.data import datasets

RECORD_KEY = "run"  # the history's key for the record


@dataclass(frozen=True)
class RunSpec:
    dataset: str  # registry name, folder:PATH or npz:PATH
    model: str  # registry name or package.module:callable
    optimizer: str  # canonical spec: "adam", "adamw(learning_rate=0.0003)"
    epochs: int = 60
    batch_size: Union[int, str] = 128  # or "full"
    steps: Optional[int] = None  # an iteration budget instead of epochs
    seed: Optional[int] = None
    augment: str = "batched"
    learning_rate: Optional[float] = None  # train.py --learning-rate
    total_steps: Optional[int] = None  # train.py --total-steps
    train_limit: Optional[int] = None
    test_limit: Optional[int] = None
    image_size: Optional[int] = None
    mixed_precision: bool = False
    validation_split: Optional[float] = None  # a hold-out of the training set; None: test set
    precise_bn: Optional[Union[int, str]] = None  # BatchNorm statistics recomputed from N
    #                                              batches ("auto": a few thousand images)
    data_dir: Optional[str] = None
    setting_of: Optional[str] = None  # the optimizer whose tuning trial this setting is
    # the transformer's shape (--model gpt; None: pyimagesearch.train.language's defaults)
    layers: Optional[int] = None
    width: Optional[int] = None
    heads: Optional[int] = None
    context: Optional[int] = None

    @classmethod
    def from_args(cls, args):
        """From train.py's parsed arguments (whose --optimizer is already canonical)."""
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in vars(args).items() if k in names})

    # The spec texts resolved once, on first use, and handed down from here: training
    # asks the run for its optimizer, model and dataset instead of the registry again.
    @cached_property
    def optimizer_choice(self):
        """The :class:`registry.OptimizerChoice` of ``optimizer`` (checked when parsed)."""
        return registry.resolve_optimizer(self.optimizer, check=False)

    @cached_property
    def model_spec(self):
        """The :class:`registry.ModelSpec` of ``model``."""
        return registry.resolve_model(self.model)

    @cached_property
    def dataset_loader(self):
        """The loader of ``dataset``: ``(data_dir, image_size) -> Dataset``."""
        return registry.resolve_dataset(self.dataset)

    @property
    def model_name(self):
        """The model as a grid and the verdicts name it: its shape written in
        (``gpt(width=256)``), so that runs at several widths are several problems."""
        return registry.shaped_model(self.model, asdict(self))

    @property
    def language(self):
        """A language model's run: text in, next-byte loss out (pyimagesearch.train.language)."""
        return registry.is_text(self.dataset)

    def augmentation(self):
        """The augmentation this run gets: its ``augment``, or "none" for models the
        study's transforms do not apply to (the MLPs)."""
        return self.augment if self.model_spec.augment else "none"

    def load_data(self):
        """The run's data: loaded (uint8, native size), limited, the hold-out drawn.
        Raises :class:`datasets.DatasetError` with a one-line message."""
        data = self.dataset_loader(self.data_dir, self.image_size)
        if self.language:
            return data  # text.TextData, split once and for all
        if len(data.labels) < 2 or len(set(data.train_y.tolist())) < 2:
            raise datasets.DatasetError(
                f"--dataset {self.dataset}: {len(set(data.train_y.tolist()))} class in its "
                "training images: a classifier needs at least 2 (one class is 100% accurate "
                "by construction)")
        data = data.limit(self.train_limit, self.test_limit)
        if self.validation_split:
            data = datasets.validation_split(data, self.validation_split)
        return data

    def build_optimizer(self):
        return self.optimizer_choice.build(self.learning_rate, self.total_steps)

    def identity(self):
        """What makes a checkpoint this run's own (the epoch budget may grow, the data
        may move to another folder)."""
        return {k: v for k, v in sorted(asdict(self).items())
                if k not in ("epochs", "data_dir", "setting_of")}

    def to_argv(self):
        """train.py's arguments for this run (all but --history and --report), so a
        recorded run can be run again, with another seed, say (decide.py)."""
        argv = []
        for key, value in asdict(self).items():
            flag = "--" + key.replace("_", "-")
            if value is None or value is False or (key in ("epochs", "augment") and
                                                   self.language):
                continue  # defaults an image run has; train.py refuses them for a language model
            if value is True or (key == "precise_bn" and value == "auto"):
                argv.append(flag)
            else:
                argv += [flag, str(value)]
        return argv

    @classmethod
    def from_record(cls, record, **changes):
        """The run a history's record describes (fields a newer version added keep their
        defaults), with ``changes`` applied."""
        names = cls.__dataclass_fields__
        return cls(**{**{k: v for k, v in record.items() if k in names}, **changes})

    def differences(self, record):
        """What differs between this run and a finished run's ``record``, as lines
        ``field: X there, Y here``; none for a record from before records existed, or one
        that differs only in where the data was read from."""
        if not record:
            return []
        # where the data was read from, and how a summary groups the run, are not what it is
        mine = {k: v for k, v in asdict(self).items() if k not in ("data_dir", "setting_of")}
        return [f"{k}: {record.get(k)!r} there, {v!r} here" for k, v in mine.items()
                if k in record and record[k] != v and not _same_number(record[k], v)]

    def record(self, optimizer=None, batch=None, labels=None, missing_classes=None,
               batchnorm=None, n_params=None):
        """The history's record: this spec, the optimizer with all its resolved
        arguments, the batch size used, the class names, the classes a split lacks,
        the model's BatchNorm (layers, slowest momentum, precise-BN batches), its size
        in parameters (the axis of a speed-up's trend over scale), and package versions."""
        out = asdict(self)
        out.update(dataset_label=registry.label(self.dataset), model_label=registry.label(self.model_name),
                   optimizer_label=registry.label(self.optimizer), versions=versions())
        if optimizer is not None:
            out["optimizer_class"] = type(optimizer).__name__
            out["optimizer_config"] = _plain(optimizer.get_config())
        if batch is not None:
            out["batch"] = int(batch)
        if labels is not None:
            out["labels"] = [str(label) for label in labels]
        if missing_classes:
            out["missing_classes"] = {k: list(v) for k, v in missing_classes.items()}
        if batchnorm:
            out["batchnorm"] = dict(batchnorm)
        if n_params is not None:
            out["n_params"] = int(n_params)
        return out


def _same_number(a, b):
    return isinstance(a, (int, float)) and isinstance(b, (int, float)) and \
        not isinstance(a, bool) and not isinstance(b, bool) and float(a) == float(b)


def _plain(value):
    """JSON-like plain data (what the history's safe unpickler admits)."""
    return json.loads(json.dumps(value, default=lambda v: v.item() if hasattr(v, "item") else str(v)))


def versions():
    import keras
    out = {"python": platform.python_version(), "keras": keras.__version__,
           "backend": keras.backend.backend(), "numpy": numpy.__version__}
    if out["backend"] in ("tensorflow", "jax", "torch"):  # each also the backend's module name
        out[out["backend"]] = getattr(importlib.import_module(out["backend"]), "__version__", "?")
    return out


def from_history(history):
    """The record of a history, or None (the original study's histories have none)."""
    record = history.get(RECORD_KEY)
    return record if isinstance(record, dict) and "optimizer" in record else None
