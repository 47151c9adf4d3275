"""One language-model run: bytes in, a fitted transformer and its history out.

The budget is ``run.steps`` updates; the model is validated at EVALUATIONS evenly spaced
points and the end, on fixed windows of the validation split, in nats per byte (Keras'
cross-entropy, natural log) and bits per byte. ``loss`` and ``accuracy`` at a point are the
means of the training batches since the previous one (a pass over 11 MB of text per point
would cost more than the training). The history's keys are those of a ``--steps`` run of
the images (``iterations``, ``val_loss``, ``epoch_seconds``...), so the summaries, verdicts
and speed-ups read it unchanged; the next-byte accuracy stands as the accuracy.

Every evaluation point is checkpointed beside the outputs, as for the images: batches are
a function of (seed, step) alone, so a resumed run sees the very batches it would have.
Schedule-Free AdamW trains at an interpolation and is evaluated at its average, as its
authors do: the weights are swapped for the evaluation and back (:func:`evaluation_point`).
"""
import contextlib
import math
import time

import keras
import numpy as np

from pyimagesearch import registry
from pyimagesearch.data import text
from pyimagesearch.models.gpt import GPT
from pyimagesearch.runs import runspec
from pyimagesearch.train import checkpoint
from pyimagesearch.train.control import Interrupted, learning_rate_now, stop_on_signals
from pyimagesearch.train.training import jit_compile

EVALUATIONS = 20  # validation points in a run, the last at its last step


def shape(run):
    """The run's (layers, width, heads, context), its flags over the defaults."""
    return tuple(getattr(run, k) or registry.GPT_SHAPE[k] for k in ("layers", "width", "heads", "context"))


def check(run, data):
    """Refusals that need the data, before anything is built: ValueError, one line (a
    width the heads do not divide is train.py's parser's, before any data is read)."""
    context = shape(run)[3]
    text.check_context(data, context)
    if int(run.batch_size) > len(data.train) - context:
        raise ValueError(f"--batch-size {run.batch_size}: the training split has only "
                         f"{len(data.train) - context:,} window starts")


def eval_points(steps):
    """EVALUATIONS points evenly spaced, the last at ``steps`` (fewer for a short run)."""
    return sorted({max(1, round(steps * (i + 1) / EVALUATIONS)) for i in range(EVALUATIONS)})


def update_rules(optimizer, variables):
    """{how: [variable paths]}: which update each trainable variable gets. Keras' Muon
    orthogonalises the update of a 2-D matrix (Newton-Schulz) and hands every other
    variable, and embeddings, to its AdamW step at ``adam_lr_ratio`` x its learning rate;
    every other optimizer updates all variables its own way."""
    name = type(optimizer).__name__
    out = {}
    for variable in variables:
        if name == "Muon":
            how = ("AdamW (Muon's fallback, learning rate x "
                   f"{optimizer.adam_lr_ratio:g})" if optimizer._should_use_adamw(variable)
                   else "Muon (orthogonalised)")
        else:
            how = name
        out.setdefault(how, []).append(variable.path)
    return out


def describe_rules(rules, variables):
    sizes = {v.path: int(np.prod(v.shape)) for v in variables}
    total = sum(sizes.values())
    return "; ".join(f"{how}: {len(paths)} variables, {sum(sizes[p] for p in paths) / total:.0%} "
                     "of the weights" for how, paths in rules.items())


@contextlib.contextmanager
def evaluation_point(model):
    """The weights a model is judged at: for Schedule-Free AdamW its average x, recovered
    from the interpolation y it trains at and its iterate z as x = (y - (1 - beta_1) z) /
    beta_1 (Keras keeps y in the variables, z as ``momentum``); the training weights are
    put back after. Other optimizers: the weights as they are."""
    optimizer = model.optimizer
    if type(optimizer).__name__ != "ScheduleFreeAdamW" or not optimizer.built:
        yield
        return
    beta_1 = float(optimizer.beta_1)
    saved = []
    for variable in model.trainable_variables:
        z = optimizer._momentums[optimizer._get_variable_index(variable)]
        y = keras.ops.convert_to_numpy(variable)
        saved.append((variable, y))
        variable.assign((y - (1 - beta_1) * keras.ops.convert_to_numpy(z)) / beta_1)
    try:
        yield
    finally:
        for variable, y in saved:
            variable.assign(y)


def compiled_model(run):
    """The run's transformer with its optimizer, seeded here so that for a given seed every
    optimizer starts from the same weights."""
    layers, width, heads, context = shape(run)
    if run.seed is not None:
        keras.utils.set_random_seed(run.seed)
    model = GPT.build(context, text.VOCABULARY, layers, width, heads)
    model.compile(optimizer=run.build_optimizer(),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"], jit_compile=jit_compile())
    model.optimizer.build(model.trainable_variables)
    return model


def evaluate(model, windows):
    """(nats per byte, next-byte accuracy) on fixed windows, at the evaluation point."""
    x, y = windows
    with evaluation_point(model):
        result = model.evaluate(x, y, batch_size=min(len(x), 64), verbose=0, return_dict=True)
    return float(result["loss"]), float(result["accuracy"])


def fit(run, data, checkpoint_dir=None, log=print):
    """Train ``run`` on ``data`` (:class:`text.TextData`); (model, history with the run's
    record). Raises :class:`Interrupted` on SIGTERM/SIGINT after checkpointing."""
    context = shape(run)[3]
    batch = int(run.batch_size)
    model = compiled_model(run)
    validation = text.evaluation_windows(data.validation, context)
    rules = update_rules(model.optimizer, model.trainable_variables)
    log(f"[INFO] {model.count_params():,} weights; {describe_rules(rules, model.trainable_variables)}")

    history, done, seconds = {}, 0, 0.0
    config = run.identity()
    state = checkpoint.resume(checkpoint_dir, config, model, log)
    if state is not None:
        history, seconds = state["meta"]["history"], state["meta"]["total_seconds"]
        done = int(history["iterations"][-1])
        log(f"[INFO] resuming from {checkpoint_dir} after step {done} of {run.steps}")

    signals = []
    with stop_on_signals(lambda signum, frame: signals.append(signum)):
        for point in eval_points(run.steps):
            if point <= done:
                continue
            losses, accuracies = [], []
            start = time.perf_counter()
            while done < point and not signals:
                x, y = text.batch(data.train, context, batch, run.seed, done)
                result = model.train_on_batch(x, y, return_dict=True)
                losses.append(float(result["loss"]))
                accuracies.append(float(result["accuracy"]))
                done += 1
                if not math.isfinite(losses[-1]):
                    break
            seconds_here = time.perf_counter() - start
            seconds += seconds_here
            if signals and done < point:
                raise Interrupted(signals[0], len(history.get("iterations", [])), checkpoint_dir)
            history.setdefault("step_loss", []).extend(losses)
            val_loss, val_accuracy = evaluate(model, validation)
            entry = {"iterations": done, "loss": float(np.mean(losses)),
                     "accuracy": float(np.mean(accuracies)), "val_loss": val_loss,
                     "val_accuracy": val_accuracy, "val_bits_per_byte": text.bits(val_loss),
                     "train_seconds": seconds, "epoch_seconds": seconds_here,
                     "lr": learning_rate_now(model.optimizer)}
            for key, value in entry.items():
                history.setdefault(key, []).append(float(value))
            log(f"[INFO] step {done:>6,}: validation loss {val_loss:.4f} nats per byte "
                f"({text.bits(val_loss):.3f} bits), {seconds:.1f} s of training")
            if not (math.isfinite(losses[-1]) and math.isfinite(val_loss)):
                history["diverged_epoch"] = [float(len(history["iterations"]))]
                break
            if checkpoint_dir and done < run.steps:
                checkpoint.save(checkpoint_dir, model, len(history["iterations"]), history,
                                None, config, seconds)
            if signals:
                raise Interrupted(signals[0], len(history["iterations"]), checkpoint_dir)
    history["step_loss_every"] = [1.0]
    history["total_seconds"] = [seconds]
    record = run.record(model.optimizer, batch, n_params=model.count_params())
    record.update(language_model=dict(zip(("layers", "width", "heads", "context"), shape(run)),
                                      weights=int(model.count_params())),
                  text=data.describe(), updates=rules,
                  byte_frequency_loss=text.byte_frequency_loss(data.train, data.validation))
    history[runspec.RECORD_KEY] = record
    return model, history


def evaluate_on_test(model, data, history):
    """Touch the test split once, after training: ``test_loss`` (nats per byte),
    ``test_bits_per_byte``, ``test_accuracy`` (next byte)."""
    windows = text.evaluation_windows(data.test, shape_of(history)[3])
    loss, accuracy = evaluate(model, windows)
    history.update(test_loss=[loss], test_bits_per_byte=[text.bits(loss)],
                   test_accuracy=[accuracy])
    return len(windows[0]) * windows[0].shape[1]


def shape_of(history):
    lm = history[runspec.RECORD_KEY]["language_model"]
    return lm["layers"], lm["width"], lm["heads"], lm["context"]


REPORT_HEADER = "language model report"


def report(history, predicted):
    """The run's report: the test split's loss in nats and bits per byte and the next-byte
    accuracy, against the byte-frequency baseline. results.parse_report reads it back."""
    record = history[runspec.RECORD_KEY]
    loss, accuracy = history["test_loss"][0], history["test_accuracy"][0]
    baseline = record["byte_frequency_loss"]
    lines = [REPORT_HEADER,
             f"text: {record['text']['source']} ({record['text']['files']} files, split "
             f"{record['text']['split']})",
             f"test bytes predicted: {predicted}",
             f"test loss (nats per byte): {loss:.4f}",
             f"test bits per byte: {text.bits(loss):.4f}",
             f"test next-byte accuracy: {accuracy:.4f}",
             f"byte-frequency baseline (nats per byte, on validation): {baseline:.4f}"]
    if "diverged_epoch" in history:
        lines.insert(1, f"DIVERGED at evaluation point {int(history['diverged_epoch'][0])}: "
                        "the loss became non-finite and training stopped there.")
    return "\n".join(lines) + "\n"
