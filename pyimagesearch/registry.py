"""The one registry of dataset, model and optimizer names.

train.py, combinations.py and plot.py all read their choices, defaults and the
original grid's order from here, so a new name is added once.
"""
from dataclasses import dataclass
from typing import Callable, Optional

from . import datasets

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


@dataclass(frozen=True)
class ModelSpec:
    build: Callable  # (input_shape (H, W, C), classes) -> keras.Model
    input_size: Optional[int] = 32  # images are resized to this square; None: native
    augment: bool = True  # the study's augmentation applies to this model


def _resnet(shape, classes):
    from .resnet import ResNet
    return ResNet.build(shape[1], shape[0], shape[2], classes, (9, 9, 9), (64, 64, 128, 256),
                        reg=0.0005)


def _googlenet(shape, classes):
    from .minigooglenet import MiniGoogLeNet
    return MiniGoogLeNet.build(shape[1], shape[0], shape[2], classes)


def _minivggnet(shape, classes):
    from .minivggnet import MiniVGGNet
    return MiniVGGNet.build(shape[1], shape[0], shape[2], classes)


def _mlp(name, hidden, activation):
    def build(shape, classes):
        from .mlp import MLP
        return MLP.build(shape[1], shape[0], shape[2], classes, hidden, activation, name)
    return build


MODELS = {
    "resnet": ModelSpec(_resnet),
    "googlenet": ModelSpec(_googlenet),
    "minivggnet": ModelSpec(_minivggnet),
    # study B: named by their count of Dense layers and hidden activation; fed the
    # images flattened at native size (784 for MNIST), never augmented
    "4ls": ModelSpec(_mlp("4ls", (64, 32, 16), "sigmoid"), input_size=None, augment=False),
    "3ls": ModelSpec(_mlp("3ls", (32, 16), "sigmoid"), input_size=None, augment=False),
    "2lr": ModelSpec(_mlp("2lr", (32,), "relu"), input_size=None, augment=False),
}


# The original RAdam's schedule (keras-radam arguments): warm-up over 500 steps, then a
# linear fall to 1e-5 at step 5000. With 390-468 steps per epoch that is epoch ~11-13 of
# 60, while Adam keeps 1e-3: a confound the ablation separates (adam_sched, radam_nosched).
ORIGINAL_SCHEDULE = {"total_steps": 5000, "warmup_proportion": 0.1, "min_lr": 1e-5}


@dataclass(frozen=True)
class OptimizerSpec:
    make: Callable  # (learning_rate, schedule dict) -> keras optimizer
    learning_rate: float  # the default, which train.py --learning-rate overrides
    scheduled: bool = False  # follows ORIGINAL_SCHEDULE (train.py --total-steps rescales it)
    about: str = ""

    def build(self, learning_rate=None, total_steps=None):
        schedule = dict(ORIGINAL_SCHEDULE)
        if total_steps is not None:
            schedule["total_steps"] = total_steps
        return self.make(learning_rate or self.learning_rate, schedule)


def _keras_optimizer(name, **fixed):
    def make(lr, schedule):
        import keras
        return getattr(keras.optimizers, name)(learning_rate=lr, **fixed)
    return make


def _radam(scheduled):
    def make(lr, schedule):
        from .radam import RAdam
        return RAdam(learning_rate=lr, **(schedule if scheduled else {"total_steps": 0}))
    return make


def _adam_scheduled(lr, schedule):
    import keras
    from .radam import WarmupLinearDecay
    return keras.optimizers.Adam(learning_rate=WarmupLinearDecay(lr, **schedule))


OPTIMIZERS = {
    "adam": OptimizerSpec(_keras_optimizer("Adam"), 1e-3, about="Adam, constant 1e-3"),
    "radam": OptimizerSpec(_radam(True), 1e-3, scheduled=True,
                           about="keras-radam's RAdam with the original schedule"),
    "adam_sched": OptimizerSpec(_adam_scheduled, 1e-3, scheduled=True,
                                about="Adam under the original RAdam's schedule"),
    "radam_nosched": OptimizerSpec(_radam(False), 1e-3,
                                   about="RAdam without schedule (total_steps=0), constant 1e-3"),
    "sgd": OptimizerSpec(_keras_optimizer("SGD", momentum=0.9), 0.01,
                         about="SGD, momentum 0.9"),
    "rmsprop": OptimizerSpec(_keras_optimizer("RMSprop"), 1e-3, about="RMSprop"),
    # study B: Flux's Descent, plain gradient descent at its default rate
    "descent": OptimizerSpec(_keras_optimizer("SGD"), 0.1, about="plain gradient descent"),
}

# How training batches are augmented (train.py --augment): the study's transforms as
# one batched op on the device, the original ImageDataGenerator on the CPU, or none.
AUGMENTATIONS = ("batched", "legacy", "none")

# How figures and tables name the optimizers.
DISPLAY_NAMES = {"adam": "Adam", "radam": "RAdam", "adam_sched": "Adam+schedule",
                 "radam_nosched": "RAdam-no-schedule", "sgd": "SGD", "rmsprop": "RMSprop",
                 "descent": "Descent"}


def display_name(optimizer):
    return DISPLAY_NAMES.get(optimizer, optimizer)


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


PRESETS = {
    "original": Preset(ORIGINAL_DATASETS, ORIGINAL_MODELS, ORIGINAL_OPTIMIZERS),
    # separates RAdam's rectification from its schedule (run it with --seeds)
    "ablation": Preset(ORIGINAL_DATASETS, ORIGINAL_MODELS,
                       ["adam", "radam", "adam_sched", "radam_nosched"]),
    # study B: batch, stochastic and mini-batch gradient descent, with its budgets
    "flux": Preset(["mnist"], ["4ls", "3ls", "2lr"], ["descent", "adam"],
                   [("full", 4000), ("1", 2_048_000), ("128", 2_048_000)]),
}

# train.py's defaults, the original's.
DEFAULT_DATASET, DEFAULT_MODEL, DEFAULT_OPTIMIZER = "mnist", "resnet", "adam"
DEFAULT_EPOCHS, DEFAULT_BATCH_SIZE = 60, 128
