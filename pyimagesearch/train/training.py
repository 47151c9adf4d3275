"""One training run: data in, a fitted model and its history out.

The model sees pixels as stored (uint8 values 0..255); scaling to [0, 1] is the
first layer, so the data stays compact until it reaches the device.
"""
import contextlib
import time

import keras
import numpy as np
from keras import layers

from pyimagesearch.data import augment, datasets
from pyimagesearch.train import checkpoint, precise_bn
from pyimagesearch import registry
from pyimagesearch.runs import runspec
from pyimagesearch.train.control import Interrupted, learning_rate_now, stop_on_signals
from pyimagesearch.registry import AUGMENTATIONS
from pyimagesearch.train.steps import fit_steps


def _model_spec(model):
    return registry.resolve_model(model) if isinstance(model, str) else model


def prepare_images(data, model, image_size=None):
    """Resize to ``image_size`` when given, else to the model's input size (the
    original's 28x28 -> 32x32 for MNIST; the MLPs and the user's models take images
    as they are)."""
    size = image_size or _model_spec(model).input_size
    if size is None:
        return data
    return data.map_images(lambda images: datasets.resize(images, size))


@contextlib.contextmanager
def dtype_policy(name):
    """Layers built inside take Keras' dtype policy ``name``; the previous one is restored."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


class ModelError(ValueError):
    """A model whose output is not one probability per class."""


def check_output(net, input_shape, classes, name):
    """The network must map a batch to ``(batch, classes)`` probabilities: checked on a
    forward pass of two blank images (which also works for subclassed models)."""
    try:
        sample = keras.ops.convert_to_numpy(net(np.zeros((2, *input_shape), "float32")))
    except Exception as e:  # the user's model cannot take these images at all
        raise ModelError(f"--model {name}: fails on images of shape {tuple(input_shape)} "
                         f"({type(e).__name__}: {str(e).strip().splitlines()[0]})") from None
    if sample.ndim != 2 or sample.shape[1] != classes:
        raise ModelError(f"--model {name}: its output has shape (None, "
                         f"{', '.join(map(str, sample.shape[1:]))}); expected (None, {classes}), "
                         f"one probability per class (end with Dense({classes}, "
                         "activation='softmax'))")
    sample = sample.astype("float64")
    if sample.min() < -1e-6 or not np.allclose(sample.sum(axis=1), 1.0, atol=1e-3):
        raise ModelError(f"--model {name}: its outputs are not probabilities (rows sum to "
                         f"{sample.sum(axis=1).round(3).tolist()}); end with a softmax")


def build_model(model, input_shape, classes, augmentation=None, mixed_precision=False,
                name=None):
    """The network (a registry name, a spec, or a :class:`registry.ModelSpec`) behind a
    Rescaling layer (and, when given, augmentation); its output is checked.

    ``mixed_precision``: the network computes in bfloat16 with float32 weights (Keras'
    ``mixed_bfloat16``; the softmax stays float32). Scaling and augmentation stay float32:
    bfloat16's 8-bit mantissa would put resampling coordinates off by up to 1/8 pixel.
    bfloat16 needs no loss scaling, unlike float16. ``name``: the spec as the user wrote
    it, for messages."""
    name = name or (model if isinstance(model, str) else None)
    with dtype_policy("mixed_bfloat16" if mixed_precision else keras.config.dtype_policy()):
        net = _model_spec(model).build(input_shape, classes)
    if not isinstance(net, keras.Model):
        raise ModelError(f"--model {name or model}: returned a {type(net).__name__}, "
                         "not a keras.Model")
    check_output(net, input_shape, classes, name or net.name)
    inputs = keras.Input(shape=input_shape, name="pixels")
    x = layers.Rescaling(1.0 / 255)(inputs)
    if augmentation is not None:
        x = augmentation(x)
    return keras.Model(inputs, net(x), name=net.name)


class BatchSampler(keras.utils.PyDataset):
    """Shuffled batches of whole size: ``len = n // batch_size``, the last partial dropped.

    Every batch is a pure function of (seed, epoch, index): the epoch's order is drawn
    from a generator seeded by (seed, epoch), and the legacy generator's transforms of a
    batch from one seeded by (seed, epoch, index). No state carries from one epoch to the
    next, so a run resumed after epoch k sees exactly the batches the uninterrupted run
    saw, whatever Keras prefetches or probes ahead. Only the indexed batch is copied.
    ``transform`` (the legacy generator) may alter each batch on the CPU.
    """

    def __init__(self, x, y, batch_size, seed=None, transform=None):
        super().__init__()
        self.x, self.y, self.batch_size = x, y, batch_size
        self.transform = transform
        # an unseeded run still needs one entropy for all its epochs (kept in checkpoints)
        self.entropy = int(seed) if seed is not None else \
            int(np.random.SeedSequence().entropy % 2**63)
        self.start_epoch(0)

    def start_epoch(self, epoch):
        """Serve ``epoch``'s batches (0-based): a resumed run starts at its next epoch."""
        self.epoch = epoch
        self.order = np.random.default_rng([self.entropy, epoch]).permutation(len(self.x))

    def __len__(self):
        return len(self.x) // self.batch_size

    def __getitem__(self, index):
        idx = np.sort(self.order[index * self.batch_size:(index + 1) * self.batch_size])
        x, y = self.x[idx], self.y[idx]
        if self.transform is not None:
            x = self.transform(x, np.random.default_rng([self.entropy, self.epoch, index]))
        return x, y

    def on_epoch_end(self):
        self.start_epoch(self.epoch + 1)


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
        self.sampler.start_epoch(epoch)  # by Keras' count, which a resumed fit continues
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
                            self.sampler.entropy, self.config, self.seconds_before)
        if self.signum is not None:  # arrived during validation: the epoch is whole and saved
            self.model.stop_training = True


class PreciseBN(keras.callbacks.Callback):
    """Before every validation of a fit, the model's BatchNorm statistics are recomputed
    from ``batches`` training batches (:mod:`.precise_bn`), drawn by (seed, epoch), so a
    resumed run recomputes them exactly as the uninterrupted one did."""

    def __init__(self, x, batch_size, batches, entropy):
        super().__init__()
        self.x, self.batch_size, self.batches, self.entropy = x, batch_size, batches, entropy
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_test_begin(self, logs=None):
        precise_bn.recalibrate(self.model, self.x, self.batch_size, self.batches,
                               [self.entropy, self.epoch, 1])


def precise_bn_batches(run, data, batch_size):
    """The batches a run's precise BN averages over, or 0 when it is off."""
    if run.precise_bn is None:
        return 0
    if run.precise_bn == "auto":
        return precise_bn.default_batches(len(data.train_x), batch_size)
    return min(int(run.precise_bn), max(1, len(data.train_x) // batch_size))


def compiled_model(data, run):
    """The run's model, compiled with its optimizer, before any step.

    Seeded right here, so for a given seed every optimizer starts from the same
    initial weights (what makes the comparison paired): the model is built first,
    then the optimizer, whose construction draws no random numbers anyway."""
    if run.seed is not None:
        keras.utils.set_random_seed(run.seed)
    layer = augment.layer(run.seed) if run.augmentation() == "batched" else None
    model = build_model(run.model_spec, data.train_x.shape[1:], len(data.labels), layer,
                        run.mixed_precision, name=run.model)
    model.compile(optimizer=run.build_optimizer(), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], jit_compile=jit_compile())
    model.optimizer.build(model.trainable_variables)  # its state exists before fit: restorable
    return model


def batch_sampler(run, data, batch_size):
    """The run's shuffled training batches; the original generator alters them on the
    CPU when the run's augmentation is "legacy"."""
    transform = augment.legacy_transform() if run.augmentation() == "legacy" else None
    return BatchSampler(data.train_x, data.train_y, batch_size, run.seed, transform)


def batch_for(run, data):
    """The run's batch size in images ('full': the whole training set)."""
    return len(data.train_x) if run.batch_size == "full" else int(run.batch_size)


def fit(data, run, checkpoint_dir=None, callbacks=(), log=print, verbose="auto"):
    """Train ``run`` (a :class:`runspec.RunSpec`) on ``data`` (already prepared); return
    (model, history dict of float lists, with the run's record under ``run``).

    ``run.augment``: "batched" (the study's transforms as a layer on the device),
    "legacy" (the original ImageDataGenerator on the CPU) or "none". With
    ``checkpoint_dir``, every finished epoch is saved there and a run started again
    resumes after the last one; the run's identity is saved with it, so another
    command's checkpoint is never resumed. The history holds ``diverged_epoch`` when the
    loss became non-finite. Raises :class:`Interrupted` on SIGTERM/SIGINT. With
    ``run.steps``, the budget is that many updates instead of epochs (see :mod:`.steps`).
    """
    if run.augment not in AUGMENTATIONS:
        raise ValueError(f"augmentation {run.augment!r}: choose from {AUGMENTATIONS}")
    batch_size = batch_for(run, data)
    if batch_size > len(data.train_x):
        raise ValueError(f"{len(data.train_x)} training images make no batch of {batch_size}")
    model = compiled_model(data, run)
    config = run.identity()
    bn_batches = precise_bn_batches(run, data, batch_size)
    batchnorm = precise_bn.describe(model)
    if run.steps is not None:
        def recalibrate(point):
            precise_bn.recalibrate(model, data.train_x, batch_size, bn_batches,
                                   [run.seed or 0, point, 1])
        before_eval = recalibrate if bn_batches and batchnorm else None
        history = fit_steps(model, data, run.steps, batch_size, run.seed, checkpoint_dir,
                            config, log, before_eval)
    else:
        history = _fit_epochs(model, data, run, batch_size, checkpoint_dir, config, callbacks,
                              log, verbose, bn_batches if batchnorm else 0)
    if batchnorm:
        batchnorm["precise_bn_batches"] = bn_batches
        batchnorm["steps"] = int(keras.ops.convert_to_numpy(model.optimizer.iterations))
    history[runspec.RECORD_KEY] = run.record(model.optimizer, batch_size, data.labels,
                                             data.missing_classes(), batchnorm,
                                             n_params=model.count_params())
    return model, history


def evaluate_on_test(model, data, history, batch_size=1024):
    """Touch the test set once, after training: ``test_loss`` and ``test_accuracy``."""
    loss, accuracy = model.evaluate(data.test_x, data.test_y, batch_size=batch_size, verbose=0)
    history["test_loss"], history["test_accuracy"] = [float(loss)], [float(accuracy)]
    return history


def _fit_epochs(model, data, run, batch_size, checkpoint_dir, config, callbacks, log, verbose,
                bn_batches=0):
    batches = batch_sampler(run, data, batch_size)
    epochs = run.epochs

    history, initial_epoch, seconds_before = {}, 0, 0.0
    state = checkpoint.resume(checkpoint_dir, config, model, log)
    if state is not None:
        meta = state["meta"]
        history, initial_epoch = meta["history"], meta["epoch"]
        seconds_before = meta["total_seconds"]
        batches.entropy = int(meta["rng_state"])  # the same draws an unseeded run began with
        batches.start_epoch(initial_epoch)
        log(f"[INFO] resuming from {checkpoint_dir} after epoch {initial_epoch} of {epochs}")

    guard = RunGuard(batches, history, checkpoint_dir, config, seconds_before)
    if bn_batches:
        callbacks = [PreciseBN(data.train_x, batch_size, bn_batches, batches.entropy), *callbacks]
    if initial_epoch < epochs:
        with stop_on_signals(guard.request_stop):
            # shuffle=False: the sampler's order is the only one (Keras would shuffle the
            # batches again with Python's global generator, which a resumed run cannot restore)
            model.fit(batches, validation_data=data.validation(), shuffle=False,
                      validation_batch_size=batch_size, epochs=epochs,
                      initial_epoch=initial_epoch, callbacks=[guard, *callbacks],
                      verbose=verbose)
    if guard.signum is not None and guard.diverged_epoch is None and \
            len(history.get("loss", [])) < epochs:
        raise Interrupted(guard.signum, len(history.get("loss", [])), checkpoint_dir)
    history["total_seconds"] = [guard.seconds_before]
    if guard.diverged_epoch is not None:
        history["diverged_epoch"] = [float(guard.diverged_epoch)]
    return history


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
    """XLA on accelerators, and always on JAX (whose eager mode runs op by op); off on a
    CPU under TensorFlow, where it was measured slower for these CNNs (ResNet, 2 cores:
    first epoch 86 s vs 49 s to compile, 1.3 vs 0.85 s per step). PyTorch: Keras'
    eager path (torch.compile did not speed up the study's models here)."""
    backend = keras.backend.backend()
    if backend == "jax":
        return True
    return "auto" if accelerator_present() and backend != "torch" else False


def seed_everything(seed):
    """Seed Python, NumPy and the backend; on TensorFlow also ask for deterministic ops."""
    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf
        tf.config.experimental.enable_op_determinism()
