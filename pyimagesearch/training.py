"""One training run: data in, a fitted model and its history out.

The model sees pixels as stored (uint8 values 0..255); scaling to [0, 1] is the
first layer, so the data stays compact until it reaches the device.
"""
import time

import keras
import numpy as np
from keras import layers

from . import augment, datasets
from .registry import MODELS


def prepare_images(data, model_name):
    """Resize to the model's input size (the original's 28x28 -> 32x32 for MNIST)."""
    size = MODELS[model_name].input_size
    if size is None:
        return data
    return datasets.Dataset(datasets.resize(data.train_x, size), data.train_y,
                            datasets.resize(data.test_x, size), data.test_y, data.labels)


def build_model(model_name, input_shape, classes, augmentation=None):
    """The registry's network behind a Rescaling layer (and, when given, augmentation)."""
    net = MODELS[model_name].build(input_shape, classes)
    inputs = keras.Input(shape=input_shape, name="pixels")
    x = layers.Rescaling(1.0 / 255)(inputs)
    if augmentation is not None:
        x = augmentation(x)
    return keras.Model(inputs, net(x), name=net.name)


class BatchSampler(keras.utils.PyDataset):
    """Shuffled batches of whole size: ``len = n // batch_size``, the last partial dropped.

    Each epoch draws a fresh permutation; only the indexed batch is copied, never the
    whole dataset. ``transform`` (the legacy generator) may alter each batch on the CPU.
    """

    def __init__(self, x, y, batch_size, seed=None, transform=None):
        super().__init__()
        self.x, self.y, self.batch_size = x, y, batch_size
        self.transform = transform
        self.rng = np.random.default_rng(seed)
        self.order = self.rng.permutation(len(x))

    def __len__(self):
        return len(self.x) // self.batch_size

    def __getitem__(self, index):
        idx = np.sort(self.order[index * self.batch_size:(index + 1) * self.batch_size])
        x, y = self.x[idx], self.y[idx]
        if self.transform is not None:
            x = self.transform(x, self.rng)
        return x, y

    def on_epoch_end(self):
        self.order = self.rng.permutation(len(self.x))


class EpochTimer(keras.callbacks.Callback):
    """Adds wall-clock seconds per epoch to the logs (and so to the history)."""

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["epoch_seconds"] = time.perf_counter() - self._start


def fit(data, model_name, optimizer, epochs, batch_size, seed=None, augmentation="legacy",
        verbose="auto"):
    """Train on ``data`` (already prepared) and return (model, history dict of float lists)."""
    spec = MODELS[model_name]
    transform = augment.legacy_transform() if (augmentation == "legacy" and spec.augment) else None
    input_shape = data.train_x.shape[1:]
    model = build_model(model_name, input_shape, len(data.labels))
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], jit_compile=jit_compile())
    batches = BatchSampler(data.train_x, data.train_y, batch_size, seed, transform)
    if len(batches) == 0:
        raise ValueError(f"{len(data.train_x)} training images make no batch of {batch_size}")
    start = time.perf_counter()
    result = model.fit(batches, validation_data=(data.test_x, data.test_y),
                       validation_batch_size=batch_size, epochs=epochs,
                       callbacks=[EpochTimer()], verbose=verbose)
    history = {k: [float(v) for v in values] for k, values in result.history.items()}
    history["total_seconds"] = [time.perf_counter() - start]
    return model, history


def predict_labels(model, x, batch_size=128):
    return np.argmax(model.predict(x, batch_size=batch_size, verbose=0), axis=1)


def accelerator_present():
    """Whether the backend sees a GPU (or other accelerator)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf
        return bool(tf.config.list_physical_devices("GPU"))
    if backend == "torch":
        import torch
        return torch.cuda.is_available()
    if backend == "jax":
        import jax
        return jax.default_backend() != "cpu"
    return False


def jit_compile():
    """XLA on accelerators; off on CPU, where it was measured slower for these CNNs
    (ResNet, 2 cores: first epoch 86 s vs 49 s to compile, 1.3 vs 0.85 s per step)."""
    return "auto" if accelerator_present() else False


def seed_everything(seed):
    """Seed Python, NumPy and the backend; on TensorFlow also ask for deterministic ops."""
    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf
        tf.config.experimental.enable_op_determinism()
