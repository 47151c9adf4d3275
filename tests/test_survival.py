"""A long sweep survives: kills, signals, divergence, damaged and hostile files."""
import os
import pickle
import signal
import subprocess
import sys
import time

import pytest

import plot
import train
from pyimagesearch.train import checkpoint
from pyimagesearch import registry
from pyimagesearch.runs import results
from tests.conftest import ROOT
from tests.synthetic import history as synthetic_history, write_run

RUN = ["--dataset", "digits", "--model", "minivggnet", "--batch-size", "32",
       "--train-limit", "256", "--test-limit", "64", "--seed", "1"]


def start(tmp_path, epochs, *extra, name="h", env=None):
    cmd = [sys.executable, "train.py", "-i", str(tmp_path / f"{name}.pickle"),
           "-r", str(tmp_path / f"{name}.txt"), *RUN, "--epochs", str(epochs), *extra]
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", **(env or {})))


def wait_for_checkpoint(proc, folder, epoch, timeout=300):
    state = os.path.join(folder, checkpoint.STATE_FILE)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(state):
            try:
                if _epoch(state) >= epoch:
                    return
            except Exception:  # caught between writes: try again
                pass
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    raise AssertionError("no checkpoint in time")


def _epoch(path):
    import json
    import numpy as np
    with np.load(path) as f:
        return json.loads(f["meta"].tobytes().decode())["epoch"]


def test_sigkill_after_epoch_one_then_resume(tmp_path):
    folder = str(tmp_path / "h.checkpoint")
    proc = start(tmp_path, 3)
    wait_for_checkpoint(proc, folder, 1)
    proc.kill()  # SIGKILL: no chance to clean up, like a power loss
    proc.wait()
    assert not (tmp_path / "h.pickle").exists()
    again = start(tmp_path, 3)
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, err[-2000:]
    resumed = [line for line in out.splitlines() if "resuming" in line]
    assert len(resumed) == 1 and "after epoch" in resumed[0]
    with open(tmp_path / "h.pickle", "rb") as f:
        h = pickle.load(f)
    assert len(h["loss"]) == len(h["val_accuracy"]) == len(h["epoch_seconds"]) == 3
    assert not os.path.exists(folder)  # removed after success


def _backend_present(backend):
    import importlib.util
    return backend == "tensorflow" or importlib.util.find_spec(backend) is not None


@pytest.mark.parametrize("backend,augment,extra", [
    ("tensorflow", "batched", []), ("tensorflow", "legacy", []), ("jax", "batched", []),
    ("tensorflow", "batched", ["--precise-bn", "3"])])
def test_a_killed_and_resumed_run_equals_the_uninterrupted_run(tmp_path, backend, augment, extra):
    """Pairing by seed is what the verdicts rest on: the data order, the augmentation's and
    dropout's draws, the optimizer (and with --precise-bn the recomputed BatchNorm
    statistics the checkpoint holds) all continue exactly where the killed run stopped."""
    if not _backend_present(backend):
        pytest.skip(f"{backend} is not installed (CI installs it)")
    env = {"KERAS_BACKEND": backend}
    augment = [augment, *extra]
    whole = start(tmp_path, 4, "--augment", *augment, name="whole", env=env)
    out, err = whole.communicate(timeout=600)
    assert whole.returncode == 0, err[-2000:]
    proc = start(tmp_path, 4, "--augment", *augment, env=env)
    wait_for_checkpoint(proc, str(tmp_path / "h.checkpoint"), 2)
    proc.kill()
    proc.wait()
    again = start(tmp_path, 4, "--augment", *augment, env=env)
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0 and "resuming" in out, err[-2000:]
    expected, resumed = (results.load_history(str(tmp_path / f"{n}.pickle")) for n in ("whole", "h"))
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "test_accuracy"):
        assert resumed[key] == pytest.approx(expected[key], rel=1e-5, abs=1e-6), key


def test_sigterm_stops_at_a_safe_point_and_resumes(tmp_path):
    folder = str(tmp_path / "h.checkpoint")
    proc = start(tmp_path, 4)
    wait_for_checkpoint(proc, folder, 1)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 128 + signal.SIGTERM
    assert "stopped by SIGTERM" in err and "run the same command to resume" in err
    assert os.path.exists(os.path.join(folder, checkpoint.STATE_FILE))
    assert not (tmp_path / "h.pickle").exists()
    done = _epoch(os.path.join(folder, checkpoint.STATE_FILE))
    assert done >= 1
    again = start(tmp_path, 4)
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, err[-2000:]
    assert f"after epoch {done} of 4" in out
    with open(tmp_path / "h.pickle", "rb") as f:
        assert len(pickle.load(f)["loss"]) == 4


def test_damaged_checkpoint_is_reported_and_the_run_starts_over(tmp_path, capsys):
    folder = tmp_path / "h.checkpoint"
    folder.mkdir()
    (folder / checkpoint.STATE_FILE).write_bytes(b"PK\x03\x04 truncated")
    args = ["-i", str(tmp_path / "h.pickle"), "-r", str(tmp_path / "r.txt"), *RUN, "--epochs", "1"]
    assert train.main(args) == 0
    out = capsys.readouterr().out
    assert "damaged checkpoint" in out and str(folder) in out and "starting this run over" in out
    assert len(results.load_history(str(tmp_path / "h.pickle"))["loss"]) == 1


def test_divergence_is_a_result(tmp_path, monkeypatch):
    exploding = registry.OptimizerSpec(registry.OPTIMIZERS["descent"].factory, {"learning_rate": 1e12})
    monkeypatch.setitem(registry.OPTIMIZERS, "adam", exploding)
    h, r = tmp_path / "minivggnet_adam_digits.pickle", tmp_path / "minivggnet_adam_digits.txt"
    assert train.main(["-i", str(h), "-r", str(r), *RUN, "--epochs", "3"]) == 0
    history = results.load_history(str(h))
    epoch = int(history["diverged_epoch"][0])
    assert 1 <= epoch <= 3 and len(history["loss"]) == epoch
    assert r.read_text().startswith(f"DIVERGED at epoch {epoch} of 3")
    results.load_report(str(r))  # still a readable report
    assert not (tmp_path / "minivggnet_adam_digits.checkpoint").exists()
    # plot.py and the summary say so
    write_run(tmp_path, "minivggnet_radam_digits", synthetic_history())
    plots = tmp_path / "plots"
    assert plot.main(["-i", str(tmp_path), "-p", str(plots)]) == 0
    assert f"diverged at epoch {epoch}" in (plots / "summary.md").read_text()
    assert "diverged" in (plots / "summary.csv").read_text()


# ------------------------------------------------------------------ hostile files

class RunsACommand:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_plot_never_executes_a_pickle(tmp_path, capsys):
    out = tmp_path / "output"
    out.mkdir()
    marker = tmp_path / "command_ran"
    with open(out / "resnet_adam_mnist.pickle", "wb") as f:
        pickle.dump({"loss": [1.0], "payload": RunsACommand(marker)}, f)
    write_run(out, "resnet_radam_mnist", synthetic_history())
    assert plot.main(["-i", str(out), "-p", str(tmp_path / "plots")]) == 0
    err = capsys.readouterr().err
    assert "resnet_adam_mnist.pickle" in err and "posix.system" in err
    assert not marker.exists()
    # the pickle really would run it, loaded naively
    with open(out / "resnet_adam_mnist.pickle", "rb") as f:
        pickle.load(f)
    assert marker.exists()


@pytest.mark.parametrize("damage", ["truncated", "empty", "unreadable", "wrong_shape",
                                    "not_a_dict", "object_array", "text_series"])
def test_damaged_history_is_named_and_others_still_plotted(tmp_path, capsys, damage):
    import numpy as np
    out = tmp_path / "output"
    out.mkdir()
    good = pickle.dumps(synthetic_history())
    bad = out / "resnet_adam_mnist.pickle"
    if damage == "truncated":
        bad.write_bytes(good[: len(good) // 2])
    elif damage == "empty":
        bad.write_bytes(b"")
    elif damage == "unreadable":
        bad.mkdir()  # a directory where a file should be: cannot be read, even by root
    elif damage == "wrong_shape":
        h = synthetic_history()
        h["val_loss"] = h["val_loss"][:3]
        bad.write_bytes(pickle.dumps(h))
    elif damage == "not_a_dict":
        bad.write_bytes(pickle.dumps([1.0, 2.0]))
    elif damage == "object_array":
        h = synthetic_history()
        h["loss"] = np.array(["a", None], dtype=object)
        bad.write_bytes(pickle.dumps(h))
    elif damage == "text_series":
        h = synthetic_history()
        h["loss"] = ["x"] * len(h["loss"])
        bad.write_bytes(pickle.dumps(h))
    write_run(out, "resnet_radam_mnist", synthetic_history())
    write_run(out, "googlenet_adam_mnist", synthetic_history())
    write_run(out, "googlenet_radam_mnist", synthetic_history())
    plots = tmp_path / "plots"
    assert plot.main(["-i", str(out), "-p", str(plots)]) == 0
    err = capsys.readouterr().err
    assert str(bad) in err
    assert (plots / "googlenet_mnist.png").exists() and (plots / "resnet_mnist.png").exists()


def test_numpy_histories_are_admitted(tmp_path):
    import numpy as np
    path = tmp_path / "h.pickle"
    h = {k: np.array(v, dtype=np.float32) for k, v in synthetic_history().items()}
    h["epochs"] = np.int64(12)
    path.write_bytes(pickle.dumps(h))
    assert results.load_history(str(path))["loss"][0] == pytest.approx(1.0)


def test_atomic_outputs_get_ordinary_permissions(tmp_path):
    # the temporary file behind an atomic write is 0600; the result must not stay so
    from pyimagesearch.runs import storage
    previous = os.umask(0o022)
    try:
        storage.write_text(str(tmp_path / "report.txt"), "accuracy 0.9\n")
    finally:
        os.umask(previous)
    assert (tmp_path / "report.txt").stat().st_mode & 0o777 == 0o644
    assert os.listdir(tmp_path) == ["report.txt"]
