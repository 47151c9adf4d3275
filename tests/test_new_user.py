"""The holes a new user fell into: each gave a wrong or misleading result without a word."""
import os
import tomllib

import numpy as np
import pytest

import combinations
import train
from pyimagesearch.data import datasets
from pyimagesearch import registry, specs
from pyimagesearch.runs import results
from tests.conftest import ROOT, run_script
from tests.test_own_data import write_images

TINY = ["--epochs", "1", "--batch-size", "16", "--seed", "0"]


def outputs(tmp_path, name="h"):
    return ["-i", str(tmp_path / f"{name}.pickle"), "-r", str(tmp_path / f"{name}.txt")]


# ------------------------------------------------------------------ limits draw every class

def test_limits_on_class_sorted_folders_keep_every_class(tmp_path):
    write_images(tmp_path / "data", [f"c{i}" for i in range(10)], 12, size=(8, 8))
    data = datasets.load_folder(str(tmp_path / "data"), 8)
    limited = data.limit(30, 10)
    assert sorted(np.bincount(limited.train_y, minlength=10)) == [3] * 10  # was: 3 classes
    assert sorted(np.bincount(limited.test_y, minlength=10)) == [1] * 10
    again = data.limit(30, 10)  # the same images for every run
    np.testing.assert_array_equal(limited.train_x, again.train_x)
    assert limited.missing_classes() == {}


def test_stratified_subset_proportions_and_size():
    y = np.array([0] * 50 + [1] * 30 + [2] * 20)
    idx = datasets.stratified_subset(y, 10)
    assert len(idx) == 10 and list(np.bincount(y[idx])) == [5, 3, 2]
    assert list(idx) == sorted(idx)
    assert datasets.stratified_subset(y, 500) == slice(None)


def test_a_split_without_some_classes_is_warned_and_marked(tmp_path):
    write_images(tmp_path / "data", [f"c{i}" for i in range(10)], 10, size=(8, 8))
    args = [*outputs(tmp_path), "-d", f"folder:{tmp_path / 'data'}", "-m",
            "tests.custom_parts:tiny_cnn", "--image-size", "8", "--train-limit", "40",
            "--test-limit", "5", *TINY]
    result = run_script("train.py", *args)
    assert result.returncode == 0, result.stderr[-2000:]
    warning = [line for line in result.stderr.splitlines() if "[WARNING] the test set" in line]
    assert len(warning) == 1 and "no image of 5 of 10 classes" in warning[0]
    history = results.load_history(str(tmp_path / "h.pickle"))
    assert len(history["run"]["missing_classes"]["test"]) == 5
    assert history["run"]["n_params"] > 0  # its size, counted by Keras (a run's size axis)
    metrics = results.run_metrics(history, results.load_report(str(tmp_path / "h.txt")))
    assert "test set lacks 5 of 10 classes" in metrics["status"]


# ------------------------------------------------------------------ skip only the same run

def test_a_finished_run_of_another_spec_is_neither_skipped_nor_overwritten(tmp_path, capsys):
    base = [*outputs(tmp_path), "-d", "digits", "-m", "tests.custom_parts:tiny_cnn",
            "--train-limit", "64", "--test-limit", "20", *TINY]
    assert train.main(base) == 0
    before = (tmp_path / "h.pickle").read_bytes()
    capsys.readouterr()
    assert train.main(base) == 0
    assert "skipping" in capsys.readouterr().out
    assert train.main([*base, "--epochs", "2", "-o", "adamw(learning_rate=3e-4)"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "epochs: 1 there, 2 here" in err[0]
    assert "optimizer: 'adam' there, 'adamw(learning_rate=0.0003)' here" in err[0]
    assert "--force" in err[0] and "another folder" in err[0]
    assert (tmp_path / "h.pickle").read_bytes() == before
    assert train.main([*base, "--epochs", "2", "--force"]) == 0
    assert len(results.load_history(str(tmp_path / "h.pickle"))["loss"]) == 2


# ------------------------------------------------------------------ no verdict from zero spread

def test_two_identical_differences_name_no_winner(tmp_path):
    """n=2 with identical differences: no verdict (and at n=3 the spread is at least one
    test image, so the interval is never of zero width)."""
    from tests.synthetic import history, write_run
    import plot
    out = tmp_path / "o"
    out.mkdir()
    for seed, (a, b) in enumerate([(0.90, 0.82), (0.85, 0.77)]):
        write_run(out, f"minivggnet_adam_digits_s{seed}", history(epochs=2), acc=a)
        write_run(out, f"minivggnet_radam_digits_s{seed}", history(epochs=2), acc=b)
    assert plot.main(["-i", str(out), "-p", str(tmp_path / "p")]) == 0
    md = (tmp_path / "p" / "summary.md").read_text()
    assert "too few for a test (at least 3)" in md and "worse than" not in md


def test_identical_differences_get_the_test_sets_resolution_as_spread():
    from pyimagesearch.stats import verdicts
    t = verdicts.paired_tests([-8.0, -8.0, -8.0], resolution=100 / 360)
    half = t["ci_high"] - t["mean"]
    assert half == pytest.approx(4.302653 * (100 / 360) / np.sqrt(3), rel=1e-5)


# ------------------------------------------------------------------ hyperparameters that make sense

@pytest.mark.parametrize("spec,message", [
    ("adam(learning_rate=-1.0)", "learning_rate must be a positive number, not -1.0"),
    ("adam(learning_rate=-1)", "learning_rate must be a positive number, not -1"),
    ("adam(learning_rate=0)", "learning_rate must be a positive number"),
    ("adam(beta_1=1.5)", "beta_1 must be a number in [0, 1), not 1.5"),
    ("sgd(momentum=-0.1)", "momentum must be a number in [0, 1)"),
    ("adamw(weight_decay=-0.01)", "weight_decay must be a number >= 0"),
    ("adam(learning_rate=True)", "learning_rate must be a positive number")])
def test_hyperparameters_are_checked_for_sense(spec, message):
    with pytest.raises(specs.SpecError, match=message.replace("[", r"\[").replace("(", r"\(")
                       .replace(")", r"\)")):
        registry.resolve_optimizer(spec)


def test_a_whole_number_learning_rate_is_a_rate():
    assert registry.resolve_optimizer("adam(learning_rate=1)").text == "adam(learning_rate=1.0)"


def test_negative_learning_rate_is_refused_before_training(tmp_path):
    result = run_script("train.py", *outputs(tmp_path), "-d", "digits", "-o",
                        "adam(learning_rate=-1.0)")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].endswith(
        "learning_rate must be a positive number, not -1.0")


# ------------------------------------------------------------------ datasets

def test_one_class_is_refused(tmp_path):
    write_images(tmp_path / "data", ["only"], 10, size=(8, 8))
    result = run_script("train.py", *outputs(tmp_path), "-d", f"folder:{tmp_path / 'data'}", *TINY)
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert "1 class" in last and "at least 2" in last


def test_non_image_files_are_skipped_with_a_count(tmp_path, capsys):
    write_images(tmp_path, ["a", "b"], 4, size=(8, 8))
    (tmp_path / "a" / "notes.txt").write_text("where these came from")
    (tmp_path / "b" / "Thumbs.db").write_bytes(b"\0\1")
    data = datasets.load_folder(str(tmp_path), 8)
    assert len(data.train_y) + len(data.test_y) == 8
    err = capsys.readouterr().err
    assert err.count("[WARNING]") == 1 and "skipped 2 files that are not images" in err


def test_an_unreadable_image_is_still_refused_by_name(tmp_path):
    write_images(tmp_path, ["a", "b"], 4, size=(8, 8))
    (tmp_path / "a" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(datasets.DatasetError, match="broken.png"):
        datasets.load_folder(str(tmp_path), 8)


@pytest.mark.parametrize("split", ["0.97", "0.99"])
def test_a_hold_out_too_large_is_one_line(tmp_path, split):
    result = run_script("train.py", *outputs(tmp_path), "-d", "digits", "-m",
                        "tests.custom_parts:tiny_cnn", "--train-limit", "200", "--validation-split",
                        split, "--batch-size", "2", "--epochs", "1")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(f"train.py: error: --validation-split {split}")


# ------------------------------------------------------------------ the user's model

def test_a_model_callable_with_the_wrong_signature_is_one_line(tmp_path):
    result = run_script("train.py", *outputs(tmp_path), "-d", "digits", "-m",
                        "tests.custom_parts:takes_one_argument")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "cannot be called as takes_one_argument(input_shape, classes)" in result.stderr


def test_an_error_inside_the_users_model_keeps_its_traceback(tmp_path):
    result = run_script("train.py", *outputs(tmp_path), "-d", "digits", "-m",
                        "tests.custom_parts:fails_to_build", "--train-limit", "64", *TINY)
    assert result.returncode != 0
    assert "Traceback" in result.stderr and "custom_parts.py" in result.stderr
    assert "RuntimeError: this model is broken on purpose" in result.stderr


# ------------------------------------------------------------------ quiet start-up

NOISE = ("cuInit", "oneDNN", "cuda drivers", "absl::InitializeLog", "cpu_feature_guard")


def test_no_backend_start_up_lines_unless_asked(tmp_path):
    args = [*outputs(tmp_path), "-d", "digits", "-m", "tests.custom_parts:tiny_cnn", "-o",
            "adamw(learning_rate=3e-4)", "--train-limit", "64", "--test-limit", "20", *TINY]
    env = {"TF_CPP_MIN_LOG_LEVEL": "0"}  # what a user's shell has
    quiet = run_script("train.py", *args, env=env)
    assert quiet.returncode == 0, quiet.stderr[-2000:]
    assert not [line for line in quiet.stderr.splitlines() if any(n in line for n in NOISE)]
    loud = run_script("train.py", *args, "--force", "--verbose", env=env)
    assert loud.returncode == 0
    assert any("oneDNN" in line or "cuda" in line.lower() for line in loud.stderr.splitlines())


def test_combinations_prints_no_backend_start_up(tmp_path):
    result = run_script("combinations.py", "-o", str(tmp_path / "o"), "-s", str(tmp_path / "s.sh"),
                        "--optimizers", "adamw(learning_rate=3e-4),lion,radam(total_steps=100)",
                        env={"TF_CPP_MIN_LOG_LEVEL": "0"})
    assert result.returncode == 0
    assert result.stderr == ""
    assert result.stdout.strip().splitlines() == [
        f"[INFO] wrote 36 runs to {tmp_path / 's.sh'}; outputs go to {tmp_path / 'o'}/"]


# ------------------------------------------------------------------ grids

@pytest.mark.parametrize("train_args,message", [
    ("--validation-split 1.5", "--validation-split: 1.5 must be between 0 and 1"),
    ("--epochs 0", "--epochs: 0 must be at least 1"),
    ("--epochz 3", "unrecognized arguments: --epochz 3"),
    ("--seed 1", "sets --seed, which the grid sets per run")])
def test_train_args_are_checked_before_the_script_is_written(tmp_path, capsys, train_args, message):
    script = tmp_path / "s.sh"
    seeds = ["--seeds", "0,1"] if "--seed " in train_args else []
    assert combinations.main(["-o", str(tmp_path / "o"), "-s", str(script), *seeds,
                              "--train-args", train_args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("combinations.py: error: --train-args") and message in err[0]
    assert not script.exists()


def test_pyproject_installs_the_package_with_the_pinned_requirements():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        project = tomllib.load(f)
    packages = project["tool"]["setuptools"]["packages"]
    # every subpackage of the layout by concern is installed (each folder with __init__.py)
    # (nested ones too: runs/readers, runs/sources), or an installed copy misses their modules
    folders = sorted(os.path.relpath(d, ROOT).replace(os.sep, ".")
                     for d, _, files in os.walk(os.path.join(ROOT, "pyimagesearch"))
                     if "__init__.py" in files and "__pycache__" not in d)
    assert sorted(packages) == folders
    assert set(project["project"]["scripts"]) == {"optimizer-grid", "optimizer-train",
                                                  "optimizer-plot", "optimizer-decide",
                                                  "optimizer-lr-find"}
    assert project["tool"]["setuptools"]["dynamic"]["dependencies"]["file"] == ["requirements.txt"]
    assert "dependencies" in project["project"]["dynamic"]
