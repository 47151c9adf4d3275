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


MODELS = {
    "resnet": ModelSpec(_resnet),
    "googlenet": ModelSpec(_googlenet),
    "minivggnet": ModelSpec(_minivggnet),
}


def _adam(learning_rate=None):
    import keras
    return keras.optimizers.Adam(learning_rate=learning_rate or 1e-3)


def _radam(learning_rate=None):
    # keras-radam's RAdam as the study configured it: warm-up over 500 steps,
    # then a linear fall to 1e-5 at step 5000 (see SPEC: a confound).
    from .radam import RAdam
    return RAdam(learning_rate=learning_rate or 1e-3, total_steps=5000,
                 warmup_proportion=0.1, min_lr=1e-5)


OPTIMIZERS = {
    "adam": _adam,
    "radam": _radam,
}

# How training batches are augmented (train.py --augment): the study's transforms as
# one batched op on the device, the original ImageDataGenerator on the CPU, or none.
AUGMENTATIONS = ("batched", "legacy", "none")

# How figures and tables name the optimizers.
DISPLAY_NAMES = {"adam": "Adam", "radam": "RAdam"}


def display_name(optimizer):
    return DISPLAY_NAMES.get(optimizer, optimizer)


# The original study's grid, in its loop order (dataset > model > optimizer).
ORIGINAL_DATASETS = ["mnist", "fashion_mnist", "cifar10", "cifar100"]
ORIGINAL_MODELS = ["resnet", "googlenet", "minivggnet"]
ORIGINAL_OPTIMIZERS = ["adam", "radam"]

# train.py's defaults, the original's.
DEFAULT_DATASET, DEFAULT_MODEL, DEFAULT_OPTIMIZER = "mnist", "resnet", "adam"
DEFAULT_EPOCHS, DEFAULT_BATCH_SIZE = 60, 128
