"""The package on every Keras backend: a tiny run, --steps and resume under JAX and PyTorch
(each skipped, with the reason, where its package is absent; CI installs both)."""
import importlib.util
import os
import pickle
import signal
import subprocess
import sys

import pytest

from pyimagesearch.train import checkpoint
from tests.conftest import ROOT, run_script

BACKENDS = {"jax": "jax jaxlib", "torch": "torch==2.13.0"}


def need(backend):
    module = "jax" if backend == "jax" else "torch"
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed (pip install {BACKENDS[backend]}; CI installs it)")


TINY = ["-d", "digits", "--batch-size", "32", "--train-limit", "128", "--test-limit", "40",
        "--seed", "0"]


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_tiny_run_with_radam_schedule_and_augmentation(tmp_path, backend):
    need(backend)
    h, r = tmp_path / "h.pickle", tmp_path / "r.txt"
    result = run_script("train.py", "-i", str(h), "-r", str(r), "-m", "minivggnet", "-o",
                        "radam(total_steps=6)", "--epochs", "2", "--augment", "batched", *TINY,
                        env={"KERAS_BACKEND": backend})
    assert result.returncode == 0, result.stderr[-3000:]
    with open(h, "rb") as f:
        history = pickle.load(f)
    assert history["run"]["versions"]["backend"] == backend
    assert len(history["val_accuracy"]) == 2
    # the schedule ran: down to its min_lr (1e-5) by step 6 of 8 (4 steps an epoch)
    assert history["lr"][-1] == pytest.approx(1e-5, rel=1e-3) and history["lr"][0] > 1e-4
    assert "macro avg" in r.read_text()


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_mixed_precision_run(tmp_path, backend):
    need(backend)
    result = run_script("train.py", "-i", str(tmp_path / "h.pickle"), "-r", str(tmp_path / "r.txt"),
                        "-m", "minivggnet", "--epochs", "1", "--mixed-precision", *TINY,
                        env={"KERAS_BACKEND": backend})
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_steps_train(tmp_path, backend):
    """--steps: the jitted loop under JAX, one train_on_batch per step under PyTorch."""
    need(backend)
    h = tmp_path / "h.pickle"
    result = run_script("train.py", "-i", str(h), "-r", str(tmp_path / "r.txt"), "-d", "digits",
                        "-m", "2lr", "-o", "adam", "--batch-size", "16", "--steps", "700",
                        "--seed", "0", env={"KERAS_BACKEND": backend})
    assert result.returncode == 0, result.stderr[-3000:]
    with open(h, "rb") as f:
        history = pickle.load(f)
    assert history["iterations"] == [500.0, 700.0]
    assert history["val_accuracy"][-1] > 0.8  # 2lr learns digits within 700 steps
    assert history["step_loss"][0] > history["step_loss"][-1]


def test_jax_loop_matches_step_by_step_training():
    """The jitted loop and train_on_batch, from the same weights through the same order,
    end at the same weights."""
    need("jax")
    code = """
import numpy as np, keras
from pyimagesearch.data import datasets
from pyimagesearch import registry
from pyimagesearch.train import steps, training
data = datasets.load_digits().limit(64, 8)
def fresh():
    keras.utils.set_random_seed(0)
    model = training.build_model("2lr", data.train_x.shape[1:], 10)
    model.compile(optimizer=registry.resolve_optimizer("adam").build(),
                  loss="sparse_categorical_crossentropy")
    model.optimizer.build(model.trainable_variables)
    return model
a, b = fresh(), fresh()
jl = steps._JaxLoop(a, data.train_x, data.train_y, 8)
sl = steps._StepByStepLoop(b, data.train_x, data.train_y, 8)
jl.shuffle(np.random.default_rng(1))
sl.order = np.asarray(jl.order)
la, lb = jl.run(0, 8), sl.run(0, 8)
np.testing.assert_allclose(la, lb, rtol=1e-4, atol=1e-5)
for x, y in zip(a.get_weights(), b.get_weights()):
    np.testing.assert_allclose(x, y, rtol=1e-4, atol=1e-5)
print("same")
"""
    result = run_script("-c", code, env={"KERAS_BACKEND": "jax"})
    assert result.returncode == 0 and "same" in result.stdout, result.stderr[-3000:]


def test_resume_under_jax(tmp_path):
    need("jax")
    from tests.test_survival import RUN, _epoch, wait_for_checkpoint
    env = dict(os.environ, KERAS_BACKEND="jax", TF_CPP_MIN_LOG_LEVEL="3")

    def start(epochs):
        return subprocess.Popen([sys.executable, "train.py", "-i", str(tmp_path / "h.pickle"),
                                 "-r", str(tmp_path / "r.txt"), *RUN, "--epochs", str(epochs)],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=env)
    folder = str(tmp_path / "h.checkpoint")
    proc = start(4)
    wait_for_checkpoint(proc, folder, 1)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 128 + signal.SIGTERM, err[-2000:]
    done = _epoch(os.path.join(folder, checkpoint.STATE_FILE))
    again = start(4)
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, err[-2000:]
    assert f"after epoch {done} of 4" in out
    with open(tmp_path / "h.pickle", "rb") as f:
        history = pickle.load(f)
    assert len(history["loss"]) == 4 and history["run"]["versions"]["backend"] == "jax"
