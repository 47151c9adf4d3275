"""Training on a budget of iterations (study B), with a compiled multi-step loop.

Study B counts updates, not epochs, and its stochastic runs take 2,048,000
single-example steps. There the per-step overhead of Keras' ``fit`` (~1,000 steps/s
here, ~7,600 with steps_per_execution and XLA) is the whole cost, so this module runs
many steps per call: the training data sits on the device, and one XLA-compiled
function (TensorFlow) loops over a chunk of steps, gathering each batch from a
permutation, computing the gradient and applying the Keras optimizer, with no Python
between steps. Between chunks, at 500 x 2^k iterations and at the end, the model is
evaluated (Keras' ``evaluate``), the run is checkpointed, and signals are honoured.
On JAX the same loop is one jitted ``fori_loop`` with Keras' stateless API; other
backends run the same schedule one ``train_on_batch`` at a time (correct, slower).
"""
import math
import time

import keras
import numpy as np

from pyimagesearch.train import checkpoint
from pyimagesearch.train.control import Interrupted, learning_rate_now, stop_on_signals

CHUNK = 8192  # steps per compiled call, at most
LOSS_POINTS = 2000  # the per-step training loss is kept as at most this many bucket means


def eval_points(steps):
    """500, 1000, 2000, ... below ``steps``, then ``steps`` itself."""
    points, k = [], 500
    while k < steps:
        points.append(k)
        k *= 2
    return points + [steps]


def loss_bucket(steps):
    """Steps per stored loss point: the means of this many consecutive steps."""
    return max(1, -(-steps // LOSS_POINTS))


def affine_permutation(rng, n):
    """A random bijection of 0..n-1 as two numbers: i -> (a * i + c) mod n, gcd(a, n) = 1.

    Why not a permutation array: inside the compiled loop, any large tensor that is not
    a compile-time constant was copied at every step (measured: 10,700 steps/s with the
    order as an argument, 79,000 without). A pass over the data still visits every
    example exactly once, in an order that changes every pass (a and c are drawn anew).
    """
    while True:
        a = int(rng.integers(1, n)) if n > 1 else 1
        if math.gcd(a, n) == 1:
            return a, int(rng.integers(0, n))


class _TensorFlowLoop:
    """``run(first, count)``: ``count`` steps from batch ``first`` of the current pass."""

    def __init__(self, model, x, y, batch_size):
        import tensorflow as tf
        self.model, self.batch_size, self.n = model, batch_size, len(x)
        self.x, self.y = tf.constant(x), tf.constant(y)  # on the device, compile-time constants
        self.a, self.c = 1, 0
        loss_fn = keras.losses.SparseCategoricalCrossentropy()
        optimizer = model.optimizer
        variables = model.trainable_variables
        full = batch_size == self.n
        n = self.n

        def step(i, first, a, c, losses):
            if full:  # the whole training set, every step: no gather
                xb, yb = self.x, self.y
            else:
                position = tf.cast((first + i) * batch_size, tf.int64) + tf.range(batch_size,
                                                                                  dtype=tf.int64)
                idx = (a * position + c) % n
                xb, yb = tf.gather(self.x, idx), tf.gather(self.y, idx)
            with tf.GradientTape() as tape:
                loss = loss_fn(yb, model(xb, training=True))
            optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
            return tf.tensor_scatter_nd_update(losses, [[i]], [loss])

        @tf.function(jit_compile=True)
        def run(first, count, a, c):
            losses = tf.zeros([CHUNK], tf.float32)
            _, losses = tf.while_loop(lambda i, l: i < count,
                                      lambda i, l: (i + 1, step(i, first, a, c, l)),
                                      (tf.constant(0), losses))
            return losses

        self._run = run

    def shuffle(self, rng):
        self.a, self.c = affine_permutation(rng, self.n)

    def run(self, first, count):
        return self._run(np.int32(first), np.int32(count), np.int64(self.a),
                         np.int64(self.c)).numpy()[:count]


class _JaxLoop:
    """The same loop on JAX, with Keras' stateless API: one jitted ``fori_loop`` over a
    chunk of steps, the model's and the optimizer's state carried through it as arrays
    and written back to the Keras variables after each chunk. The data are arguments
    (device buffers, never copied per step). The pass's order is the same affine
    bijection as on TensorFlow, expanded on the host once per pass into an index array
    (JAX copies no argument per step, and int32 arithmetic would overflow a * i)."""

    def __init__(self, model, x, y, batch_size):
        import jax
        import jax.numpy as jnp
        self.model, self.n, self.batch_size = model, len(x), batch_size
        self.x, self.y = jnp.asarray(x), jnp.asarray(y)
        self.order = jnp.arange(self.n, dtype="int32")
        optimizer = model.optimizer
        loss_object = keras.losses.SparseCategoricalCrossentropy()
        full = batch_size == self.n

        def loss_of(trainable, non_trainable, xb, yb):
            predictions, non_trainable = model.stateless_call(trainable, non_trainable, xb,
                                                              training=True)
            return loss_object(yb, predictions), non_trainable

        gradient = jax.value_and_grad(loss_of, has_aux=True)

        def run(state, x, y, order, first, count):
            def step(i, carry):
                trainable, non_trainable, optimizer_state, losses = carry
                if full:
                    xb, yb = x, y
                else:
                    start = (first + i) * batch_size
                    idx = jax.lax.dynamic_slice(order, (start,), (batch_size,))
                    xb, yb = x[idx], y[idx]
                (loss, non_trainable), grads = gradient(trainable, non_trainable, xb, yb)
                trainable, optimizer_state = optimizer.stateless_apply(optimizer_state, grads,
                                                                       trainable)
                return trainable, non_trainable, optimizer_state, losses.at[i].set(loss)
            losses = jnp.zeros([CHUNK], "float32")
            return jax.lax.fori_loop(0, count, step, (*state, losses))

        self._run = jax.jit(run)

    def shuffle(self, rng):
        import jax.numpy as jnp
        a, c = affine_permutation(rng, self.n)
        self.order = jnp.asarray(((a * np.arange(self.n, dtype=np.int64) + c) % self.n)
                                 .astype(np.int32))

    def run(self, first, count):
        model, optimizer = self.model, self.model.optimizer
        groups = (model.trainable_variables, model.non_trainable_variables, optimizer.variables)
        state = tuple([v.value for v in group] for group in groups)
        *state, losses = self._run(state, self.x, self.y, self.order, np.int32(first),
                                   np.int32(count))
        for group, values in zip(groups, state):
            for variable, value in zip(group, values):
                variable.assign(value)
        return np.asarray(losses)[:count]


class _StepByStepLoop:
    """Any backend: one train_on_batch per step."""

    def __init__(self, model, x, y, batch_size):
        self.model, self.x, self.y, self.batch_size = model, x, y, batch_size
        self.order = np.arange(len(x))

    def shuffle(self, rng):
        self.order = rng.permutation(len(self.x))

    def run(self, first, count):
        losses = np.empty(count, np.float32)
        for i in range(count):
            idx = self.order[(first + i) * self.batch_size:(first + i + 1) * self.batch_size]
            result = self.model.train_on_batch(self.x[idx], self.y[idx])
            losses[i] = result[0] if isinstance(result, (list, tuple)) else result  # [loss, acc]
        return losses


def fit_steps(model, data, steps, batch_size, seed=None, checkpoint_dir=None, config=None,
              log=print, before_eval=None):
    """Train a compiled ``model`` for ``steps`` updates; return its history.

    The history has one entry per evaluation point (500 x 2^k iterations and the end):
    ``iterations``, ``loss``/``accuracy`` on the whole training set, ``val_loss``/
    ``val_accuracy`` on the validation data (the test set without a hold-out), ``train_seconds`` (training time so far, evaluation
    excluded) and ``epoch_seconds`` (training time since the previous point); plus
    ``step_loss``, the per-step training loss as means of ``step_loss_every`` steps.
    ``before_eval(iterations)`` is called before each evaluation (precise BatchNorm).
    """
    n = len(data.train_x)
    rng = np.random.default_rng(seed)
    model.optimizer.build(model.trainable_variables)
    loop_class = {"tensorflow": _TensorFlowLoop, "jax": _JaxLoop}.get(keras.backend.backend(),
                                                                     _StepByStepLoop)
    loop = loop_class(model, data.train_x, data.train_y, batch_size)
    passes = n // batch_size  # batches per pass over the data (the last partial dropped)
    every = loss_bucket(steps)

    history, done, seconds = {}, 0, 0.0
    state = checkpoint.resume(checkpoint_dir, config, model, log)
    if state is not None:
        meta = state["meta"]
        history, seconds = meta["history"], meta["total_seconds"]
        done = int(history["iterations"][-1])
        rng.bit_generator.state = meta["rng_state"]
        log(f"[INFO] resuming from {checkpoint_dir} after iteration {done} of {steps}")

    signals = []
    pending = []  # per-step losses not yet folded into a bucket mean
    position = passes  # force a fresh permutation at the start
    with stop_on_signals(lambda signum, frame: signals.append(signum)):
        for point in eval_points(steps):
            if point <= done:
                continue
            start = time.perf_counter()
            while done < point:
                if position >= passes:
                    loop.shuffle(rng)
                    position = 0
                count = min(point - done, passes - position, CHUNK)
                losses = loop.run(position, count)
                position += count
                done += count
                pending.extend(losses.tolist())
                if not np.all(np.isfinite(losses)) or signals:
                    break
            seconds_here = time.perf_counter() - start
            seconds += seconds_here
            history.setdefault("step_loss", [])
            while len(pending) >= every:
                history["step_loss"].append(float(np.mean(pending[:every])))
                del pending[:every]
            if signals and done < point:
                raise Interrupted(signals[0], len(history.get("iterations", [])), checkpoint_dir)
            diverged = not np.all(np.isfinite(pending or history["step_loss"][-1:]))
            if before_eval is not None and not diverged:
                before_eval(done)
            train_loss, train_acc = model.evaluate(data.train_x, data.train_y, verbose=0,
                                                   batch_size=1024)
            val_x, val_y = data.validation()
            val_loss, val_acc = model.evaluate(val_x, val_y, verbose=0, batch_size=1024)
            entry = {"iterations": done, "loss": train_loss, "accuracy": train_acc,
                     "val_loss": val_loss, "val_accuracy": val_acc, "train_seconds": seconds,
                     "epoch_seconds": seconds_here, "lr": learning_rate_now(model.optimizer)}
            for key, value in entry.items():
                history.setdefault(key, []).append(float(value))
            log(f"[INFO] iteration {done:>9,}: validation accuracy {val_acc:.4f}, loss {val_loss:.4f}, "
                f"{seconds:.1f} s of training")
            if diverged or not np.isfinite(train_loss):
                history["diverged_epoch"] = [float(len(history["iterations"]))]
                break
            if checkpoint_dir and done < steps:
                checkpoint.save(checkpoint_dir, model, len(history["iterations"]), history,
                                rng.bit_generator.state, config, seconds)
            if signals:
                raise Interrupted(signals[0], len(history["iterations"]), checkpoint_dir)
    if pending:
        history["step_loss"].append(float(np.mean(pending)))
    history["step_loss_every"] = [float(every)]
    history["total_seconds"] = [seconds]
    return history
