"""The one registry of dataset, model and optimizer names.

train.py, combinations.py and plot.py all read their choices, defaults and the
original grid's order from here, so a new name is added once.
"""
import importlib
import inspect
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Callable, Optional

from pyimagesearch import environment, specs
from pyimagesearch.data import datasets, text as texts

# Keras (and so TensorFlow) is imported inside the builders below, not here: the
# scripts read this registry to check their arguments, and a bad argument must be
# refused in a blink, before a backend loads.

DATASETS = {
    "mnist": datasets.mnist,
    "fashion_mnist": datasets.fashion_mnist,
    "cifar10": datasets.cifar10,
    "cifar100": datasets.cifar100,
    "digits": datasets.digits,  # embedded, offline: demos and tests
}
# Text for a language model (--model gpt): the standard library's source, or text:PATH.
TEXT = "text"


def is_text(dataset):
    """Whether a dataset spec names text (a language model's data), not images."""
    return dataset == TEXT or str(dataset).startswith(TEXT + ":")


@dataclass(frozen=True)
class ModelSpec:
    build: Callable  # (input_shape (H, W, C), classes) -> keras.Model
    input_size: Optional[int] = 32  # images are resized to this square; None: native
    augment: bool = True  # the study's augmentation applies to this model
    language: bool = False  # a language model: trained on text (pyimagesearch.train.language)


def _resnet(shape, classes):
    from pyimagesearch.models.resnet import ResNet  # Keras: built here only
    return ResNet.build(shape[1], shape[0], shape[2], classes, (9, 9, 9), (64, 64, 128, 256),
                        reg=0.0005)


def _googlenet(shape, classes):
    from pyimagesearch.models.minigooglenet import MiniGoogLeNet  # Keras: built here only
    return MiniGoogLeNet.build(shape[1], shape[0], shape[2], classes)


def _minivggnet(shape, classes):
    from pyimagesearch.models.minivggnet import MiniVGGNet  # Keras: built here only
    return MiniVGGNet.build(shape[1], shape[0], shape[2], classes)


def _mlp(name, hidden, activation):
    def build(shape, classes):
        from pyimagesearch.models.mlp import MLP  # Keras: built here only
        return MLP.build(shape[1], shape[0], shape[2], classes, hidden, activation, name)
    return build


def _gpt(shape, classes):
    raise TypeError("gpt is a language model: pyimagesearch.train.language builds it from text")


MODELS = {
    "resnet": ModelSpec(_resnet),
    "googlenet": ModelSpec(_googlenet),
    "minivggnet": ModelSpec(_minivggnet),
    # study B: named by their count of Dense layers and hidden activation; fed the
    # images flattened at native size (784 for MNIST), never augmented
    "4ls": ModelSpec(_mlp("4ls", (64, 32, 16), "sigmoid"), input_size=None, augment=False),
    "3ls": ModelSpec(_mlp("3ls", (32, 16), "sigmoid"), input_size=None, augment=False),
    "2lr": ModelSpec(_mlp("2lr", (32,), "relu"), input_size=None, augment=False),
    # a decoder-only transformer in nanoGPT's shape, on --dataset text (bytes)
    "gpt": ModelSpec(_gpt, input_size=None, augment=False, language=True),
}


# The original RAdam's schedule (keras-radam arguments): warm-up over 500 steps, then a
# linear fall to 1e-5 at step 5000. With 390-468 steps per epoch that is epoch ~11-13 of
# 60, while Adam keeps 1e-3: a confound the ablation separates (adam_sched, radam_nosched).
ORIGINAL_SCHEDULE = {"total_steps": 5000, "warmup_proportion": 0.1, "min_lr": 1e-5}


def _keras_class(name):
    def factory():
        environment.load_backend()
        import keras
        return getattr(keras.optimizers, name)
    return factory


def _radam_class():
    environment.load_backend()
    from pyimagesearch.train.radam import RAdam  # Keras: built here only
    return RAdam


def _adam_scheduled():
    """Adam whose rate follows the original RAdam's schedule; the schedule's arguments
    (total_steps, warmup_proportion, min_lr) are this factory's too."""
    environment.load_backend()
    import keras
    from pyimagesearch.train.radam import WarmupLinearDecay  # Keras: built here only

    def make(learning_rate=0.001, total_steps=5000, warmup_proportion=0.1, min_lr=1e-5,
             **adam):
        return keras.optimizers.Adam(learning_rate=WarmupLinearDecay(
            learning_rate, total_steps, warmup_proportion, min_lr), **adam)
    make.extra_from = keras.optimizers.Adam  # Adam's own arguments are accepted too
    return make


@dataclass(frozen=True)
class OptimizerSpec:
    """An optimizer the registry names: a factory (a Keras optimizer class, or a
    function returning one) and the arguments this entry fixes, which a spec's own
    arguments override (``sgd(momentum=0.0)``)."""
    factory: Callable  # () -> the class or function to call (imported late)
    defaults: dict = field(default_factory=dict)
    scheduled: bool = False  # follows ORIGINAL_SCHEDULE (train.py --total-steps rescales it)
    about: str = ""

    @property
    def learning_rate(self):
        return self.defaults.get("learning_rate")

    def build(self, learning_rate=None, total_steps=None, **arguments):
        """The optimizer: the entry's defaults, then ``arguments``; ``learning_rate``
        and ``total_steps`` (train.py's flags) last, the latter for scheduled entries."""
        kwargs = {**self.defaults, **arguments}
        if learning_rate is not None:
            kwargs["learning_rate"] = learning_rate
        if self.scheduled and total_steps is not None:
            kwargs["total_steps"] = total_steps
        return self.factory()(**kwargs)


OPTIMIZERS = {
    "adam": OptimizerSpec(_keras_class("Adam"), {"learning_rate": 1e-3},
                          about="Adam, constant 1e-3"),
    "radam": OptimizerSpec(_radam_class, {"learning_rate": 1e-3, **ORIGINAL_SCHEDULE},
                           scheduled=True, about="keras-radam's RAdam with the original schedule"),
    "adam_sched": OptimizerSpec(_adam_scheduled, {"learning_rate": 1e-3, **ORIGINAL_SCHEDULE},
                                scheduled=True, about="Adam under the original RAdam's schedule"),
    "radam_nosched": OptimizerSpec(_radam_class, {"learning_rate": 1e-3, "total_steps": 0},
                                   about="RAdam without schedule (total_steps=0), constant 1e-3"),
    "sgd": OptimizerSpec(_keras_class("SGD"), {"learning_rate": 0.01, "momentum": 0.9},
                         about="SGD, momentum 0.9"),
    "rmsprop": OptimizerSpec(_keras_class("RMSprop"), {"learning_rate": 1e-3}, about="RMSprop"),
    # study B: Flux's Descent, plain gradient descent at its default rate
    "descent": OptimizerSpec(_keras_class("SGD"), {"learning_rate": 0.1},
                             about="plain gradient descent"),
}

# How training batches are augmented (train.py --augment): the study's transforms as
# one batched op on the device, the original ImageDataGenerator on the CPU, or none.
AUGMENTATIONS = ("batched", "legacy", "none")

# How figures and tables name the optimizers (Keras' own classes by their class names).
DISPLAY_NAMES = {"adam": "Adam", "radam": "RAdam", "adam_sched": "Adam+schedule",
                 "radam_nosched": "RAdam-no-schedule", "sgd": "SGD", "rmsprop": "RMSprop",
                 "descent": "Descent", "adamw": "AdamW", "lion": "Lion", "lamb": "Lamb",
                 "nadam": "Nadam", "adafactor": "Adafactor", "muon": "Muon",
                 "schedulefreeadamw": "ScheduleFreeAdamW", "adagrad": "Adagrad",
                 "adadelta": "Adadelta", "adamax": "Adamax", "ftrl": "Ftrl"}


def display_name(optimizer):
    """``adamw(weight_decay=0.05)`` -> ``AdamW(weight_decay=0.05)``; unknown text as it is."""
    try:
        spec = specs.parse(optimizer)
    except specs.SpecError:
        return optimizer
    name = DISPLAY_NAMES.get(spec.name, spec.name)
    return name + optimizer.strip()[len(spec.name):] if spec.arguments else name


# --------------------------------------------------------------------------- specs
# Everything a user names on a command line is resolved here: a registry name, one of
# Keras' optimizer classes, a file or folder of images, or the user's own callable.

_NOT_OPTIMIZERS = ("Optimizer", "LossScaleOptimizer", "MultiOptimizer")  # wrappers, bases


def keras_optimizer_classes():
    """{lower-case name: class name} of every optimizer class Keras ships."""
    environment.load_backend()
    import keras
    return {name.lower(): name for name in dir(keras.optimizers)
            if isinstance(getattr(keras.optimizers, name), type)
            and issubclass(getattr(keras.optimizers, name), keras.optimizers.Optimizer)
            and name not in _NOT_OPTIMIZERS}


def accepted_arguments(target):
    """The keyword arguments ``target`` (a class or function) takes, or None for any.

    A class's ``**kwargs`` lead to its bases' ``__init__``, whose named parameters
    count (Keras' optimizer base takes clipnorm, use_ema, ...) and which refuse the rest."""
    names = []
    chain = target.__mro__ if isinstance(target, type) else [target]
    for owner in chain:
        function = owner.__dict__.get("__init__") if isinstance(target, type) else owner
        if function is None:
            continue
        try:
            parameters = inspect.signature(function).parameters.values()
        except (TypeError, ValueError):
            return None
        names += [p.name for p in parameters if p.name != "self"
                  and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        if not any(p.kind == p.VAR_KEYWORD for p in parameters):
            return list(dict.fromkeys(names))
        if not isinstance(target, type):
            extra = getattr(target, "extra_from", None)
            return None if extra is None else list(dict.fromkeys(names + accepted_arguments(extra)))
    return list(dict.fromkeys(names))


def _import_callable(text, what):
    """``package.module:callable`` imported (from the current folder or PYTHONPATH)."""
    module_name, _, attribute = text.partition(":")
    if module_name.split(".")[0] in sys.stdlib_module_names:
        # a spec names the user's own code; os:system(command=...) is not an optimizer
        raise specs.SpecError(f"{what} {text!r}: {module_name} is Python's own library; "
                              "name a callable of your own package.module")
    if os.getcwd() not in sys.path:
        sys.path.append(os.getcwd())
    environment.load_backend()  # a model or optimizer module imports Keras: start it quietly
    try:
        module = importlib.import_module(module_name)
    except Exception as e:  # the user's module failing to import, for whatever reason
        raise specs.SpecError(f"{what} {text!r}: cannot import {module_name} "
                              f"({type(e).__name__}: {e})") from None
    target = getattr(module, attribute, None)
    if not callable(target):
        raise specs.SpecError(f"{what} {text!r}: {module_name} has no callable {attribute!r}")
    return target


# What makes sense for the arguments most optimizers share, checked before any training: a
# negative learning rate trains (away from the minimum) without a word from Keras.
_POSITIVE = ("a positive number", lambda v: 0 < v < float("inf"))
_NON_NEGATIVE = ("a number >= 0", lambda v: 0 <= v < float("inf"))
_DECAY_RATE = ("a number in [0, 1)", lambda v: 0 <= v < 1)
_FRACTION = ("a number in [0, 1]", lambda v: 0 <= v <= 1)
SANE = {"learning_rate": _POSITIVE, "epsilon": _NON_NEGATIVE, "weight_decay": _NON_NEGATIVE,
        "beta_1": _DECAY_RATE, "beta_2": _DECAY_RATE, "momentum": _DECAY_RATE, "rho": _DECAY_RATE,
        "ema_momentum": _DECAY_RATE, "clipnorm": _POSITIVE, "clipvalue": _POSITIVE,
        "global_clipnorm": _POSITIVE, "min_lr": _NON_NEGATIVE, "warmup_proportion": _FRACTION,
        "total_steps": _NON_NEGATIVE, "adam_lr_ratio": _POSITIVE}


def check_sense(spec, text):
    """The spec with whole numbers given to rate-like arguments made floats (Keras refuses
    ``learning_rate=1``); :class:`specs.SpecError` for a value out of its range."""
    arguments = []
    for key, value in spec.arguments:
        if key in SANE and value is not None and not isinstance(value, (str, tuple, list)):
            rule, valid = SANE[key]
            if isinstance(value, bool) or not valid(value):
                raise specs.SpecError(f"{text!r}: {key} must be {rule}, not {value!r}")
            if isinstance(value, int) and key != "total_steps":
                value = float(value)
        arguments.append((key, value))
    return specs.Spec(spec.name, tuple(arguments))


@dataclass(frozen=True)
class OptimizerChoice:
    """An optimizer spec resolved: the registry entry (or Keras class, or the user's
    callable) and the spec's own arguments."""
    spec: "specs.Spec"
    entry: OptimizerSpec

    def configuration(self, signature=False):
        """What the optimizer is, for telling duplicates apart: its name and every argument
        it is built with, the spec's over the entry's defaults (over, with ``signature``,
        its class's own defaults, which needs Keras): ``adam`` and
        ``adam(learning_rate=0.001)`` are one configuration."""
        arguments = {}
        factory = self.entry.factory() if signature and not self.spec.is_callable else None
        if isinstance(factory, type):
            try:
                arguments = {k: p.default for k, p in inspect.signature(factory).parameters.items()
                             if p.default is not inspect.Parameter.empty}
            except (TypeError, ValueError):
                pass
        arguments.update(self.entry.defaults)
        arguments.update(self.spec.kwargs)
        return self.spec.name, tuple(sorted((k, repr(_number(v))) for k, v in arguments.items()))

    @property
    def text(self):
        return self.spec.text()

    @property
    def label(self):
        return self.spec.label()

    @property
    def arguments(self):
        return self.spec.kwargs

    def build(self, learning_rate=None, total_steps=None):
        """The optimizer; train.py's ``--learning-rate``/``--total-steps`` override the
        spec's (train.py refuses a command line that gives both)."""
        arguments = dict(self.spec.kwargs)
        rate = arguments.pop("learning_rate", None)
        if self.entry.scheduled and "total_steps" in arguments:
            steps = arguments.pop("total_steps")
            total_steps = steps if total_steps is None else total_steps
        return self.entry.build(rate if learning_rate is None else learning_rate,
                                total_steps, **arguments)


def _number(value):
    """1 and 1.0 are one value here (a rate written either way)."""
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


def resolve_optimizer(text, check=True):
    """An optimizer spec -> :class:`OptimizerChoice`; :class:`specs.SpecError` (one line
    naming the culprit and the choices) for an unknown name, an argument the optimizer
    does not take, or a value it refuses (``check`` builds one, which is cheap: no
    variables exist before a model is attached). Registry names win over Keras' classes
    of the same name (``sgd`` is the registry's SGD with momentum 0.9)."""
    spec = specs.parse(text)
    if spec.has_grid():
        raise specs.SpecError(f"{text!r}: a [list] of values is a grid: give one value here "
                              "(combinations.py --optimizers expands lists into runs)")
    if spec.space():
        raise specs.SpecError(f"{text!r}: {spec.space()[0][1]!r} is a search space: give one "
                              "value here (combinations.py --trials T draws T settings from it)")
    spec = check_sense(spec, text)
    if spec.is_callable:
        target = _import_callable(spec.name, "--optimizer")
        entry = OptimizerSpec(lambda: target, about=f"the user's {spec.name}")
        what = spec.name
    elif spec.name.lower() in OPTIMIZERS:
        spec = specs.Spec(spec.name.lower(), spec.arguments)
        entry, what = OPTIMIZERS[spec.name], spec.name
        if not spec.arguments:
            return OptimizerChoice(spec, entry)  # known good: no backend to load
    else:
        classes = keras_optimizer_classes()
        if spec.name.lower() not in classes:
            raise specs.SpecError(
                f"unknown optimizer {spec.name!r} (choose from {', '.join(OPTIMIZERS)}; any of "
                f"Keras' {', '.join(sorted(set(classes) - set(OPTIMIZERS)))}; or "
                "package.module:callable)")
        spec = specs.Spec(spec.name.lower(), spec.arguments)
        entry = OptimizerSpec(_keras_class(classes[spec.name]), about=classes[spec.name])
        what = classes[spec.name]
    accepted = accepted_arguments(entry.factory())
    unknown = [k for k in spec.kwargs if accepted is not None and k not in accepted]
    if unknown:
        raise specs.SpecError(f"{text!r}: {what} takes no argument {unknown[0]!r} "
                              f"(its arguments: {', '.join(accepted)})")
    choice = OptimizerChoice(spec, entry)
    if check:
        environment.load_backend()
        import keras
        try:
            optimizer = choice.build()
        except Exception as e:  # whatever the optimizer's constructor refuses
            message = str(e).strip().splitlines()[0] if str(e).strip() else ""
            raise specs.SpecError(f"{text!r}: {what} refused it ({type(e).__name__}: "
                                  f"{message})") from None
        if not isinstance(optimizer, keras.optimizers.Optimizer):
            raise specs.SpecError(f"{text!r}: {what} returned a {type(optimizer).__name__}, "
                                  "not a keras.optimizers.Optimizer")
    return choice


def check_signature(target, text, arguments):
    """A model callable must take ``(input_shape, classes, **arguments)``: refused in one
    line now, not in a traceback after the data has loaded."""
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return  # a builtin or C callable: no signature to check
    try:
        signature.bind((32, 32, 3), 10, **arguments)
    except TypeError as e:
        raise specs.SpecError(f"--model {text}: {target.__name__}{signature} cannot be called as "
                              f"{target.__name__}(input_shape, classes"
                              f"{''.join(f', {k}=...' for k in arguments)}) ({e})") from None


def resolve_model(text):
    """A model spec -> :class:`ModelSpec`: a registry name, a language model with its shape
    (``gpt(width=256)``: :func:`model_shape`), or ``package.module:callable`` (called as
    ``callable(input_shape, classes, **arguments)``; images at their size)."""
    if text in MODELS:
        return MODELS[text]
    spec = specs.parse(text)
    if spec.name in MODELS:
        model_shape(text)  # a language model's shape, checked; no other model has arguments
        return MODELS[spec.name]
    if not spec.is_callable:
        raise specs.SpecError(f"unknown model {text!r} (choose from {', '.join(MODELS)}, "
                              "or package.module:callable)")
    if spec.has_grid() or spec.space():
        raise specs.SpecError(f"{text!r}: a [list] of values or a search space: give one value "
                              "(grids and searches are for optimizers)")
    target = _import_callable(spec.name, "--model")
    arguments = spec.kwargs
    check_signature(target, text, arguments)
    return ModelSpec(lambda shape, classes: target(shape, classes, **arguments),
                     input_size=None, augment=True)


def model_shape(text):
    """(the model's name, {shape field: value} its spec sets): ``gpt(width=256, layers=2)``
    -> ("gpt", {"width": 256, "layers": 2}). The shape is part of what a language model
    is, so runs at several widths are several problems (a series over sizes), not one.
    :class:`specs.SpecError` (one line) for arguments a registry model does not take."""
    if text in MODELS:  # study B's "2lr" is a name, not a spec the parser takes
        return text, {}
    spec = specs.parse(text)
    if spec.name not in MODELS or not spec.arguments:
        return spec.name, {}
    if not MODELS[spec.name].language:
        raise specs.SpecError(f"--model {text}: {spec.name} takes no arguments")
    shape = spec.kwargs
    unknown = sorted(set(shape) - set(GPT_SHAPE))
    if unknown:
        raise specs.SpecError(f"--model {text}: {spec.name} has no {unknown[0]!r} (its shape: "
                              f"{', '.join(GPT_SHAPE)})")
    bad = next((k for k, v in shape.items() if type(v) is not int or v < 1), None)
    if bad:
        raise specs.SpecError(f"--model {text}: {bad} must be a positive whole number")
    width, heads = (shape.get(k, GPT_SHAPE[k]) for k in ("width", "heads"))
    if width % heads:
        raise specs.SpecError(f"--model {text}: width {width} is not divisible by heads "
                              f"{heads}: each head takes width / heads dimensions")
    return spec.name, shape


def is_language_model(model):
    """Whether a model as a run's row names it (``gpt``, ``gpt(width=256)``) is a language
    model: its summary speaks in steps and nats per byte."""
    try:
        base = model_shape(model)[0] if isinstance(model, str) else None
    except ValueError:
        return False
    return base in MODELS and MODELS[base].language


def shaped_model(model, shape):
    """The model as a grid, a table and a verdict name it: a language model's name with its
    shape written in where it departs from the defaults (``gpt(width=256)``; ``gpt`` at the
    default shape); any other model as it is. ``shape``: a mapping holding the shape fields
    (a run record, or a RunSpec's fields)."""
    if model not in MODELS or not MODELS[model].language:
        return model
    set_ = tuple((k, shape.get(k)) for k in GPT_SHAPE
                 if shape.get(k) is not None and shape.get(k) != GPT_SHAPE[k])
    return specs.Spec(model, set_).text()


def canonical_model(text):
    """A model spec as its runs will be named: a language model's shape in the registry's
    order, defaults dropped (``gpt(heads=4, width=256)`` -> ``gpt(width=256)``); any
    other spec as given."""
    name, shape = model_shape(text)
    return shaped_model(name, shape) if shape else text


def resolve_dataset(text):
    """A dataset spec -> ``load(data_dir, image_size)``: a registry name, ``folder:PATH``
    (class folders of images) or ``npz:PATH`` (arrays). Paths are checked now, so a
    typo is refused before any work starts."""
    kind, colon, path = text.partition(":")
    if is_text(text):
        if path and not os.path.exists(path):
            raise specs.SpecError(f"--dataset {text}: {path} is no file or folder")
        return lambda data_dir, image_size: texts.load(path or None)
    if not colon:
        if text in DATASETS:
            return lambda data_dir, image_size: DATASETS[text](data_dir)
        raise specs.SpecError(f"unknown dataset {text!r} (choose from {', '.join(DATASETS)}, "
                              "folder:PATH or npz:PATH; text or text:PATH for --model gpt)")
    if kind == "folder":
        if not os.path.isdir(path):
            raise specs.SpecError(f"--dataset {text}: {path} is not a folder")
        return lambda data_dir, image_size: datasets.load_folder(path, image_size or 32)
    if kind == "npz":
        if not os.path.isfile(path):
            raise specs.SpecError(f"--dataset {text}: {path} is not a file")
        return lambda data_dir, image_size: datasets.load_npz(path)
    raise specs.SpecError(f"unknown dataset {text!r} (choose from {', '.join(DATASETS)}, "
                          "folder:PATH or npz:PATH; text or text:PATH for --model gpt)")


def order(names, value):
    """Sort key: the registry's order first (``names``), a language model's shapes by
    size within its place (``gpt(width=64)``, ``gpt``, ``gpt(width=256)``), then specs
    and others by text."""
    names = list(names)
    base, shape = value, {}
    if isinstance(value, str) and value not in names:
        try:
            base, shape = model_shape(value)
        except ValueError:  # a dataset's path, say: not a spec
            base = None
    if base in names and base in MODELS and MODELS[base].language:
        return (names.index(base), "|".join(f"{shape.get(k, v):09d}" for k, v in GPT_SHAPE.items()))
    return (names.index(value), "") if value in names else (len(names), str(value))


def label(text):
    """The file-safe label of any spec (registry names stay as they are)."""
    if text in DATASETS or text in MODELS or text in OPTIMIZERS or text == TEXT:
        return text
    kind = text.partition(":")[0]
    if kind in ("folder", "npz", TEXT):
        return specs.data_label(text)
    if re.fullmatch(r"[A-Za-z0-9_.-]+", text):  # a plain word or number (a problem: 16384)
        return text
    return specs.parse(text).label()


# The original study's grid, in its loop order (dataset > model > optimizer).
ORIGINAL_DATASETS = ["mnist", "fashion_mnist", "cifar10", "cifar100"]
ORIGINAL_MODELS = ["resnet", "googlenet", "minivggnet"]
ORIGINAL_OPTIMIZERS = ["adam", "radam"]

@dataclass(frozen=True)
class Preset:
    """A grid that combinations.py --preset writes."""
    datasets: list
    models: list
    optimizers: list
    batches: Optional[list] = None  # (batch size, iteration budget) pairs, when it varies them
    trials: Optional[int] = None  # settings drawn from each optimizer's search space
    seeds: Optional[list] = None  # the seeds it runs when --seeds is not given


def learning_rate_grid(name, default=None):
    """A spec with 3 learning rates centred on the default: x1/3, x1, x3 (3 digits)."""
    rate = default or OPTIMIZERS[name].learning_rate
    return f"{name}(learning_rate=[{rate / 3:.3g}, {rate:.3g}, {rate * 3:.3g}])"


def learning_rate_search(name, default=None):
    """A spec whose learning rate is log-uniform over two decades centred on the default."""
    rate = default or OPTIMIZERS[name].learning_rate
    return f"{name}(learning_rate=loguniform({rate / 10:.3g}, {rate * 10:.3g}))"


def learning_rate_ladder(name, centre):
    """A spec with 5 learning rates a factor of 2 apart around ``centre``: x1/4 ... x4 (3
    digits). Wen et al. (2025) ask of a fair baseline that its chosen rate lie inside the
    range searched with neighbours at most 2x away; the summary says where it does not."""
    return f"{name}(learning_rate=[{', '.join(f'{centre * 2.0 ** k:.3g}' for k in range(-2, 3))}])"


PRESETS = {
    "original": Preset(ORIGINAL_DATASETS, ORIGINAL_MODELS, ORIGINAL_OPTIMIZERS),
    # separates RAdam's rectification from its schedule (run it with --seeds)
    "ablation": Preset(ORIGINAL_DATASETS, ORIGINAL_MODELS,
                       ["adam", "radam", "adam_sched", "radam_nosched"]),
    # study B: batch, stochastic and mini-batch gradient descent, with its budgets
    "flux": Preset(["mnist"], ["4ls", "3ls", "2lr"], ["descent", "adam"],
                   [("full", 4000), ("1", 2_048_000), ("128", 2_048_000)]),
    # the optimizers people compare in 2026, at their Keras defaults
    "modern": Preset(ORIGINAL_DATASETS, ORIGINAL_MODELS,
                     ["adam", "radam", "adamw", "lion", "muon", "schedulefreeadamw"]),
    # an equal tuning budget per optimizer (run with --seeds and --train-args
    # "--validation-split 0.1"; the summary's tuned verdict selects on the hold-out)
    "tuned": Preset(ORIGINAL_DATASETS, ORIGINAL_MODELS,
                    [learning_rate_grid("adam"), learning_rate_grid("radam"),
                     learning_rate_grid("radam_nosched"),
                     learning_rate_grid("adamw", 1e-3)]),  # Keras' AdamW default
    # the field's way to tune: an equal number of quasi-random trials per optimizer (the
    # summary draws the answer as a function of that budget; run with --seeds and a hold-out)
    "search": Preset(ORIGINAL_DATASETS, ORIGINAL_MODELS,
                     [learning_rate_search("adam"), learning_rate_search("radam"),
                      learning_rate_search("radam_nosched"), learning_rate_search("adamw", 1e-3)],
                     trials=8),
    # the optimizers people compare on transformers, each tuned alike: the learning rate
    # log-uniform over two decades around Keras' own default, 8 trials each, 3 seeds,
    # validated on the text's own validation split (Muon was born in the nanoGPT speedrun)
    "lm": Preset([TEXT], ["gpt"],
                 [learning_rate_search("adamw", 1e-3), learning_rate_search("muon", 1e-3),
                  learning_rate_search("lion", 1e-3),
                  learning_rate_search("schedulefreeadamw", 2.5e-3)],
                 trials=8, seeds=[0, 1, 2]),
    # does Muon's speed-up over AdamW survive scale? The gpt at three widths (63 K, 225 K
    # and 840 K weights), each optimizer tuned alike at every width on a ladder of rates
    # 2x apart (AdamW's around Keras' default, Muon's around the rate the lm preset's
    # search found best); one seed tunes, then decide.py adds seeds to the chosen settings
    # and plot.py draws the speed-up's trend over sizes (docs/scale.md)
    "lm-scale": Preset([TEXT], ["gpt(width=32)", "gpt(width=64)", "gpt"],
                       [learning_rate_ladder("adamw", 1e-3), learning_rate_ladder("muon", 2e-2)],
                       seeds=[0]),
}

# train.py's defaults, the original's.
DEFAULT_DATASET, DEFAULT_MODEL, DEFAULT_OPTIMIZER = "mnist", "resnet", "adam"
DEFAULT_EPOCHS, DEFAULT_BATCH_SIZE = 60, 128
# --model gpt's: its shape, steps and windows per step (300 steps: ~40 s on 2 CPU cores)
GPT_SHAPE = {"layers": 4, "width": 128, "heads": 4, "context": 128}
GPT_STEPS, GPT_BATCH = 300, 32
