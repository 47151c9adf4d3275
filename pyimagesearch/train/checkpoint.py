"""Resumable runs: everything needed to continue, saved at every epoch end.

One ``state.npz`` per run, in a folder beside its outputs, written atomically: the
model's variables (weights, BatchNorm statistics, the random-seed states of dropout
and augmentation), the optimizer's variables (moments and the step count that
RAdam's schedule reads), the history so far, the epoch, the batch sampler's random
state, and the run's configuration, so a checkpoint of another command is not
resumed by mistake. A checkpoint that cannot be read is reported and the run starts
over: losing an epoch is better than crashing a 48-hour grid.
"""
import json
import os
import shutil
import zipfile

import numpy as np

from pyimagesearch.runs import storage

STATE_FILE = "state.npz"


def folder_for(history_path):
    """``output/resnet_adam_mnist.pickle`` -> ``output/resnet_adam_mnist.checkpoint``."""
    base, _ = os.path.splitext(history_path)
    return base + ".checkpoint"


def save(folder, model, epoch, history, rng_state, config, total_seconds):
    import keras
    os.makedirs(folder, exist_ok=True)
    arrays = {f"model_{i}": keras.ops.convert_to_numpy(v) for i, v in enumerate(model.variables)}
    arrays.update({f"optimizer_{i}": keras.ops.convert_to_numpy(v)
                   for i, v in enumerate(model.optimizer.variables)})
    meta = {"epoch": epoch, "history": history, "rng_state": rng_state, "config": config,
            "total_seconds": total_seconds, "model_count": len(model.variables),
            "optimizer_count": len(model.optimizer.variables)}
    with storage.atomic_path(os.path.join(folder, STATE_FILE)) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, meta=np.frombuffer(json.dumps(meta).encode(), np.uint8), **arrays)


def load(folder, config):
    """The saved state, or None (no checkpoint). Raises ValueError, naming the file,
    when the checkpoint is damaged or belongs to another configuration."""
    path = os.path.join(folder, STATE_FILE)
    if not os.path.exists(path):
        return None
    try:
        with np.load(path, allow_pickle=False) as f:
            meta = json.loads(f["meta"].tobytes().decode())
            state = {"meta": meta,
                     "model": [f[f"model_{i}"] for i in range(meta["model_count"])],
                     "optimizer": [f[f"optimizer_{i}"] for i in range(meta["optimizer_count"])]}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError,
            UnicodeDecodeError) as e:
        raise ValueError(f"{path}: damaged checkpoint ({type(e).__name__}: {e})") from None
    if meta.get("config") != config:
        raise ValueError(f"{path}: checkpoint of a different configuration "
                         f"({meta.get('config')}, not {config})")
    return state


def restore(model, state):
    """Put saved variables back into a built model and optimizer; ValueError on mismatch."""
    variables = list(model.variables)
    opt_variables = list(model.optimizer.variables)
    if len(variables) != len(state["model"]) or len(opt_variables) != len(state["optimizer"]):
        raise ValueError("checkpoint holds a different number of variables than the model")
    for var, value in zip(variables + opt_variables, state["model"] + state["optimizer"]):
        if tuple(var.shape) != value.shape:
            raise ValueError(f"checkpoint variable {var.path}: shape {value.shape}, "
                             f"model has {tuple(var.shape)}")
    for var, value in zip(variables + opt_variables, state["model"] + state["optimizer"]):
        var.assign(value)


def remove(folder):
    shutil.rmtree(folder, ignore_errors=True)


def resume(folder, config, model, log=print):
    """The saved state restored into ``model``, or None: no checkpoint, or a damaged or
    foreign one, which is reported, removed, and the run starts over. ``restore``
    checks every shape before it assigns anything, so a refused state leaves the
    model untouched."""
    if not folder:
        return None
    try:
        state = load(folder, config)
        if state is not None:
            restore(model, state)
        return state
    except ValueError as e:
        log(f"[WARNING] {e}; starting this run over")
        remove(folder)
        return None
