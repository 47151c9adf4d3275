"""Short runs tell the truth: BatchNorm statistics recomputed from training batches
(precise BN), and a diagnosis when a run's statistics have not settled."""
import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from pyimagesearch.train import precise_bn
from pyimagesearch import registry
from pyimagesearch.runs import results
from tests import synthetic
from tests.conftest import ROOT, run_script
from tests.test_backends import need


def test_the_statistics_are_the_exact_mean_of_the_batch_statistics():
    inputs = keras.Input((4,))
    dense = keras.layers.Dense(3)
    model = keras.Model(inputs, keras.layers.BatchNormalization(momentum=0.999)(dense(inputs)))
    x = np.random.default_rng(0).normal(5, 2, (64, 4)).astype("float32")
    assert precise_bn.recalibrate(model, x, 16, 4, seed=0) == 4
    order = np.random.default_rng(0).permutation(64)
    h = keras.ops.convert_to_numpy(dense(x))
    batches = [h[np.sort(order[i * 16:(i + 1) * 16])] for i in range(4)]
    bn = precise_bn.batchnorm_layers(model)[0]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(bn.moving_mean),
                               np.mean([b.mean(0) for b in batches], 0), rtol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(bn.moving_variance),
                               np.mean([b.var(0) for b in batches], 0), rtol=1e-4)
    assert bn.momentum == 0.999  # restored


@pytest.mark.parametrize("backend", ["tensorflow", "jax", "torch"])
def test_precise_bn_restores_the_accuracy_of_the_same_weights(backend):
    if backend != "tensorflow":
        need(backend)
    result = subprocess.run([sys.executable, "-m", "tests.bn_restore"], cwd=ROOT, text=True,
                            capture_output=True, timeout=600,
                            env=dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3"))
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["backend"] == backend and found["batches"] == 40
    assert found["before"] > 0.85 and found["broken"] < 0.3
    assert found["restored"] >= found["before"] - 0.02 and found["weights_unchanged"]


@pytest.mark.parametrize("model", ["4ls", "tests.custom_parts:tiny_cnn"])
def test_a_model_without_batchnorm_is_untouched(model):
    net = registry.resolve_model(model).build((8, 8, 1), 10)
    before = [keras.ops.convert_to_numpy(v).copy() for v in net.variables]
    x = np.random.default_rng(0).integers(0, 255, (64, 8, 8, 1)).astype("uint8")
    assert precise_bn.recalibrate(net, x, 16, 4, 0) == 0 and precise_bn.describe(net) is None
    assert all(np.array_equal(a, keras.ops.convert_to_numpy(v)) for a, v in zip(before, net.variables))


def test_default_batches_cover_a_few_thousand_images_at_most_one_pass():
    assert precise_bn.default_batches(1437, 32) == 44  # all of digits' batches
    assert precise_bn.default_batches(60000, 128) == 32  # 4,096 images
    assert precise_bn.default_batches(10, 32) == 1


SLOW_BN = ["-d", "digits", "-m", "tests.custom_parts:slow_batchnorm", "--epochs", "6",
           "--batch-size", "16", "--seed", "0", "--train-limit", "600", "--test-limit", "100",
           "-o", "adam(learning_rate=0.01)"]


def test_a_batchnorm_collapse_is_diagnosed_and_precise_bn_fixes_it(tmp_path):
    plain = run_script("train.py", "-i", str(tmp_path / "a.pickle"), "-r", str(tmp_path / "a.txt"), *SLOW_BN)
    assert plain.returncode == 0, plain.stderr[-2000:]
    warning = [line for line in plain.stderr.splitlines() if line.startswith("[WARNING] evaluation at chance")]
    assert len(warning) == 1
    assert "steps" in warning[0] and "momentum 0.9999" in warning[0] and "--precise-bn" in warning[0]
    history = results.load_history(str(tmp_path / "a.pickle"))
    metrics = results.run_metrics(history, results.load_report(str(tmp_path / "a.txt")))
    assert metrics["status"] == "evaluation at chance: BatchNorm statistics not settled"
    assert history["run"]["batchnorm"] == {"layers": 1, "momentum": 0.9999,
                                           "precise_bn_batches": 0, "steps": 222}

    fixed = run_script("train.py", "-i", str(tmp_path / "b.pickle"), "-r", str(tmp_path / "b.txt"),
                       *SLOW_BN, "--precise-bn")
    assert fixed.returncode == 0 and "[WARNING] evaluation at chance" not in fixed.stderr
    history = results.load_history(str(tmp_path / "b.pickle"))
    assert history["run"]["precise_bn"] == "auto" and history["run"]["batchnorm"]["precise_bn_batches"] == 37
    assert min(history["val_accuracy"]) > 0.3 and history["test_accuracy"][0] > 0.5


def test_a_run_that_failed_to_train_keeps_did_not_learn(tmp_path):
    args = [a if a != "adam(learning_rate=0.01)" else "adam(learning_rate=1e-07)" for a in SLOW_BN]
    result = run_script("train.py", "-i", str(tmp_path / "a.pickle"), "-r", str(tmp_path / "a.txt"), *args)
    assert result.returncode == 0 and "[WARNING] evaluation at chance" not in result.stderr
    history = results.load_history(str(tmp_path / "a.pickle"))
    status = results.run_metrics(history, results.load_report(str(tmp_path / "a.txt")))["status"]
    assert status.startswith("did not learn")


def test_the_summary_status_needs_batchnorm_and_training_far_above_chance():
    def status(train_accuracy, batchnorm):
        h = synthetic.history(epochs=3)
        h["accuracy"] = [0.5, 0.8, train_accuracy]
        h["val_accuracy"] = [0.1, 0.1, 0.1]
        h["run"] = {"optimizer": "adam", "labels": [str(i) for i in range(10)]}
        if batchnorm:
            h["run"]["batchnorm"] = batchnorm
        return results.run_metrics(h, {"accuracy": 0.1, "macro_f1": 0.02, "classes": 10})["status"]
    assert status(0.95, {"layers": 3, "momentum": 0.99, "precise_bn_batches": 0}) == \
        results.BN_NOT_SETTLED
    assert status(0.95, None).startswith("did not learn")  # no BatchNorm
    assert status(0.2, {"layers": 3, "momentum": 0.99, "precise_bn_batches": 0}).startswith("did not learn")
    assert status(0.95, {"layers": 3, "momentum": 0.99, "precise_bn_batches": 40}).startswith("did not learn")


def test_precise_bn_in_an_iteration_budget(tmp_path):
    """--steps runs recompute the statistics before every evaluation point too."""
    args = [a for a in SLOW_BN if a not in ("--epochs", "6")] + ["--steps", "200"]
    runs = {}
    for name, extra in (("off", []), ("on", ["--precise-bn"])):
        result = run_script("train.py", "-i", str(tmp_path / f"{name}.pickle"), "-r",
                            str(tmp_path / f"{name}.txt"), *args, *extra)
        assert result.returncode == 0, result.stderr[-2000:]
        runs[name] = results.load_history(str(tmp_path / f"{name}.pickle"))
    assert runs["off"]["test_accuracy"][0] < 0.15 < 0.5 < runs["on"]["test_accuracy"][0]
    assert runs["on"]["run"]["batchnorm"]["precise_bn_batches"] == 37
