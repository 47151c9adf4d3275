"""One training run: data in, a fitted model and its history out.

The model sees pixels as stored (uint8 values 0..255); scaling to [0, 1] is the
first layer, so the data stays compact until it reaches the device.
"""
import contextlib
import signal
import time

import keras
import numpy as np
from keras import layers

from . import augment, checkpoint, datasets
from .registry import AUGMENTATIONS, MODELS


def prepare_images(data, model_name):
    """Resize to the model's input size (the original's 28x28 -> 32x32 for MNIST)."""
    size = MODELS[model_name].input_size
    if size is None:
        return data
    return datasets.Dataset(datasets.resize(data.train_x, size), data.train_y,
                            datasets.resize(data.test_x, size), data.test_y, data.labels)


@contextlib.contextmanager
def dtype_policy(name):
    """Layers built inside take Keras' dtype policy ``name``; the previous one is restored."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def build_model(model_name, input_shape, classes, augmentation=None, mixed_precision=False):
    """The registry's network behind a Rescaling layer (and, when given, augmentation).

    ``mixed_precision``: the network computes in bfloat16 with float32 weights (Keras'
    ``mixed_bfloat16``; the softmax stays float32). Scaling and augmentation stay float32:
    bfloat16's 8-bit mantissa would put resampling coordinates off by up to 1/8 pixel.
    bfloat16 needs no loss scaling, unlike float16."""
    with dtype_policy("mixed_bfloat16" if mixed_precision else keras.config.dtype_policy()):
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

    def restore_rng(self, state):
        """Continue a checkpointed run's random sequence, with a fresh epoch order."""
        self.rng.bit_generator.state = state
        self.order = self.rng.permutation(len(self.x))


class Interrupted(Exception):
    """Training stopped by SIGTERM or SIGINT; the last finished epoch is checkpointed."""

    def __init__(self, signum, epochs_done, checkpoint_dir):
        self.signum, self.epochs_done, self.checkpoint_dir = signum, epochs_done, checkpoint_dir
        super().__init__(f"stopped by {signal.Signals(signum).name} after {epochs_done} "
                         "finished epochs")


class RunGuard(keras.callbacks.Callback):
    """Watches every step and closes every epoch of a run.

    Per step: a non-finite loss ends the run as diverged (a result, not a crash);
    a SIGTERM/SIGINT received meanwhile stops it at the step's end (a safe point).
    Per finished epoch: timing, learning rate, the history, and a checkpoint.
    """

    def __init__(self, sampler, history, checkpoint_dir=None, config=None, seconds_before=0.0):
        super().__init__()
        self.sampler, self.history = sampler, history
        self.checkpoint_dir, self.config = checkpoint_dir, config
        self.seconds_before = seconds_before
        self.signum = None
        self.diverged_epoch = None
        self.cut_short = False  # an epoch left unfinished by a signal is not recorded

    def request_stop(self, signum, frame=None):
        self.signum = signum

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(float(loss)):
            self.diverged_epoch = len(self.history.get("loss", [])) + 1
            self.model.stop_training = True
        elif self.signum is not None:
            self.cut_short = True
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        if self.cut_short:
            return
        logs = dict(logs or {})
        logs["epoch_seconds"] = time.perf_counter() - self.start
        logs["lr"] = learning_rate_now(self.model.optimizer)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))
        self.seconds_before += logs["epoch_seconds"]
        if self.diverged_epoch is None and self.checkpoint_dir:
            checkpoint.save(self.checkpoint_dir, self.model, epoch + 1, self.history,
                            self.sampler.rng.bit_generator.state, self.config,
                            self.seconds_before)
        if self.signum is not None:  # arrived during validation: the epoch is whole and saved
            self.model.stop_training = True


def learning_rate_now(optimizer):
    """The rate the optimizer's next step will use, schedules included."""
    if hasattr(optimizer, "current_learning_rate"):
        return float(keras.ops.convert_to_numpy(optimizer.current_learning_rate()))
    return float(keras.ops.convert_to_numpy(optimizer.learning_rate))


@contextlib.contextmanager
def stop_on_signals(handler):
    """Route SIGTERM and SIGINT (a scheduler's or a preemption notice, Ctrl-C) to ``handler``."""
    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def fit(data, model_name, optimizer, epochs, batch_size, seed=None, augmentation="batched",
        verbose="auto", callbacks=(), checkpoint_dir=None, config=None, log=print, steps=None,
        mixed_precision=False):
    """Train on ``data`` (already prepared) and return (model, history dict of float lists).

    ``augmentation``: "batched" (the study's transforms as a layer on the device),
    "legacy" (the original ImageDataGenerator on the CPU) or "none". With
    ``checkpoint_dir``, every finished epoch is saved there and a run started again
    resumes after the last one; ``config`` identifies the run, so another command's
    checkpoint is never resumed. The history holds ``diverged_epoch`` when the loss
    became non-finite. Raises :class:`Interrupted` on SIGTERM/SIGINT. With ``steps``,
    the budget is that many updates instead of ``epochs`` (see :mod:`.steps`).
    ``mixed_precision``: see :func:`build_model`.
    """
    if augmentation not in AUGMENTATIONS:
        raise ValueError(f"augmentation {augmentation!r}: choose from {AUGMENTATIONS}")
    if not MODELS[model_name].augment:
        augmentation = "none"
    transform = augment.legacy_transform() if augmentation == "legacy" else None
    layer = augment.layer(seed) if augmentation == "batched" else None
    input_shape = data.train_x.shape[1:]
    model = build_model(model_name, input_shape, len(data.labels), layer, mixed_precision)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], jit_compile=jit_compile())
    model.optimizer.build(model.trainable_variables)  # its state exists before fit: restorable
    if batch_size > len(data.train_x):
        raise ValueError(f"{len(data.train_x)} training images make no batch of {batch_size}")
    if steps is not None:
        from .steps import fit_steps
        return model, fit_steps(model, data, steps, batch_size, seed, checkpoint_dir, config, log)
    batches = BatchSampler(data.train_x, data.train_y, batch_size, seed, transform)

    history, initial_epoch, seconds_before = {}, 0, 0.0
    state = checkpoint.resume(checkpoint_dir, config, model, log)
    if state is not None:
        meta = state["meta"]
        history, initial_epoch = meta["history"], meta["epoch"]
        seconds_before = meta["total_seconds"]
        batches.restore_rng(meta["rng_state"])
        log(f"[INFO] resuming from {checkpoint_dir} after epoch {initial_epoch} of {epochs}")

    guard = RunGuard(batches, history, checkpoint_dir, config, seconds_before)
    if initial_epoch < epochs:
        with stop_on_signals(guard.request_stop):
            model.fit(batches, validation_data=(data.test_x, data.test_y),
                      validation_batch_size=batch_size, epochs=epochs,
                      initial_epoch=initial_epoch, callbacks=[guard, *callbacks],
                      verbose=verbose)
    if guard.signum is not None and guard.diverged_epoch is None and \
            len(history.get("loss", [])) < epochs:
        raise Interrupted(guard.signum, len(history.get("loss", [])), checkpoint_dir)
    history["total_seconds"] = [guard.seconds_before]
    if guard.diverged_epoch is not None:
        history["diverged_epoch"] = [float(guard.diverged_epoch)]
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
