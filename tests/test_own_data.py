"""Your own experiment: image folders and npz files, your model, the run's record,
paired initial weights, and plot.py drawing every setting as its own series."""
import os
import pickle

import cv2
import numpy as np
import pytest

import plot
import train
from pyimagesearch.data import datasets
from pyimagesearch import registry
from pyimagesearch.runs import results, runspec
from pyimagesearch.train import training
from tests import synthetic
from tests.conftest import run_script


def write_images(folder, classes, per_class, colour=False, ext=".png", size=(10, 12), seed=0):
    rng = np.random.default_rng(seed)
    for name in classes:
        os.makedirs(folder / name, exist_ok=True)
        for i in range(per_class):
            shape = (*size, 3) if colour else size
            cv2.imwrite(str(folder / name / f"{i}{ext}"), rng.integers(0, 256, shape, dtype=np.uint8))


@pytest.mark.parametrize("ext", [".png", ".jpg"])
def test_folder_with_train_and_test(tmp_path, ext):
    write_images(tmp_path / "train", ["cat", "dog", "ant"], 4, ext=ext)
    write_images(tmp_path / "test", ["cat", "dog", "ant"], 2, ext=ext, seed=1)
    data = datasets.load_folder(str(tmp_path), 16)
    assert data.labels == ["ant", "cat", "dog"]  # sorted folder names
    assert data.train_x.shape == (12, 16, 16, 1) and data.test_x.shape == (6, 16, 16, 1)
    assert data.train_x.dtype == np.uint8 and sorted(np.bincount(data.train_y)) == [4, 4, 4]


def test_folder_colour_and_grayscale_mixed_gives_three_channels(tmp_path):
    write_images(tmp_path, ["gray"], 5)
    write_images(tmp_path, ["colour"], 5, colour=True, ext=".jpg")
    data = datasets.load_folder(str(tmp_path), 8)
    assert data.train_x.shape[1:] == (8, 8, 3)
    assert len(data.train_x) == 8 and len(data.test_x) == 2  # 80/20, stratified
    assert sorted(np.bincount(data.test_y)) == [1, 1]
    again = datasets.load_folder(str(tmp_path), 8)  # the same split every run
    np.testing.assert_array_equal(data.test_x, again.test_x)


def test_folder_colour_is_rgb(tmp_path):
    (tmp_path / "red").mkdir()
    (tmp_path / "blue").mkdir()
    bgr_red = np.zeros((4, 4, 3), np.uint8)
    bgr_red[..., 2] = 255
    for i in range(3):
        cv2.imwrite(str(tmp_path / "red" / f"{i}.png"), bgr_red)
        cv2.imwrite(str(tmp_path / "blue" / f"{i}.png"), bgr_red[..., ::-1])
    data = datasets.load_folder(str(tmp_path), 4)
    red = data.train_x[data.train_y == data.labels.index("red")]
    assert red[..., 0].min() == 255 and red[..., 2].max() == 0


@pytest.mark.parametrize("problem,culprit", [("missing", "no such folder"),
                                             ("empty", "no class folders"),
                                             ("empty_class", "'b' has no images"),
                                             ("unreadable", "bad.png")])
def test_bad_folders_get_one_line(tmp_path, problem, culprit):
    root = tmp_path / "data"
    if problem != "missing":
        root.mkdir()
    if problem in ("empty_class", "unreadable"):
        write_images(root, ["a"], 3)
        (root / "b").mkdir()
    if problem == "unreadable":
        write_images(root, ["b"], 3)
        (root / "b" / "bad.png").write_bytes(b"not a png")
    with pytest.raises(datasets.DatasetError) as error:
        datasets.load_folder(str(root))
    assert culprit in str(error.value) and "\n" not in str(error.value)


def test_train_refuses_an_unreadable_image_in_one_line(tmp_path):
    write_images(tmp_path / "d", ["a", "b"], 3)
    (tmp_path / "d" / "b" / "broken.jpg").write_bytes(b"\xff\xd8 truncated")
    result = run_script("train.py", "-i", str(tmp_path / "h"), "-r", str(tmp_path / "r"),
                        "-d", f"folder:{tmp_path / 'd'}", "-m", "minivggnet")
    assert result.returncode == 2
    assert "broken.jpg" in result.stderr.strip().splitlines()[-1]
    assert "Traceback" not in result.stderr


def test_npz_reader(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "d.npz"
    np.savez(path, x_train=rng.integers(0, 256, (20, 9, 9), dtype=np.uint8),
             y_train=np.arange(20) % 4, x_test=rng.integers(0, 256, (8, 9, 9), dtype=np.uint8),
             y_test=np.arange(8) % 4, labels=np.array(["a", "b", "c", "d"]))
    data = datasets.load_npz(str(path))
    assert data.train_x.shape == (20, 9, 9, 1) and data.labels == ["a", "b", "c", "d"]
    np.savez(path, x_train=np.zeros((4, 9, 9, 3), np.uint8), y_train=np.arange(4),
             x_test=np.zeros((2, 8, 8, 3), np.uint8), y_test=np.arange(2))
    with pytest.raises(datasets.DatasetError, match="inconsistent shapes"):
        datasets.load_npz(str(path))
    np.savez(path, x_train=np.zeros((4, 9, 9), np.float32), y_train=np.arange(4),
             x_test=np.zeros((2, 9, 9), np.uint8), y_test=np.arange(2))
    with pytest.raises(datasets.DatasetError, match="not uint8"):
        datasets.load_npz(str(path))
    np.savez(path, x_train=np.zeros((4, 9, 9), np.uint8), y_train=np.arange(3),
             x_test=np.zeros((2, 9, 9), np.uint8), y_test=np.arange(2))
    with pytest.raises(datasets.DatasetError, match="y_train"):
        datasets.load_npz(str(path))


TINY = ["--epochs", "1", "--batch-size", "8", "--seed", "0"]


def test_custom_model_and_optimizer_on_a_folder_train_and_record(tmp_path):
    write_images(tmp_path / "d", ["ant", "bee", "cat"], 10, colour=True)
    h, r = tmp_path / "h.pickle", tmp_path / "r.txt"
    assert train.main(["-i", str(h), "-r", str(r), "-d", f"folder:{tmp_path / 'd'}",
                       "-m", "tests.custom_parts:tiny_cnn", "--image-size", "16",
                       "-o", "tests.custom_parts:momentum_sgd(learning_rate=0.01)", *TINY]) == 0
    report = r.read_text()
    assert all(name in report for name in ("ant", "bee", "cat"))
    with open(h, "rb") as f:
        record = pickle.load(f)["run"]
    assert record["optimizer"] == "tests.custom_parts:momentum_sgd(learning_rate=0.01)"
    assert record["optimizer_class"] == "SGD" and record["optimizer_config"]["momentum"] == 0.9
    assert record["model"] == "tests.custom_parts:tiny_cnn" and record["image_size"] == 16
    assert record["labels"] == ["ant", "bee", "cat"] and record["batch"] == 8


def test_history_records_the_full_run_specification(tmp_path):
    h = tmp_path / "h.pickle"
    assert train.main(["-i", str(h), "-r", str(tmp_path / "r.txt"), "-d", "digits",
                       "-m", "minivggnet", "-o", "adamw(weight_decay=0.05)",
                       "--train-limit", "64", "--test-limit", "32", *TINY]) == 0
    record = runspec.from_history(results.load_history(str(h)))
    assert record["dataset"] == "digits" and record["model"] == "minivggnet"
    assert record["optimizer"] == "adamw(weight_decay=0.05)"
    assert record["optimizer_config"]["weight_decay"] == 0.05
    assert record["optimizer_config"]["learning_rate"] == pytest.approx(0.001)  # resolved default
    assert (record["batch_size"], record["epochs"], record["seed"], record["augment"]) == \
        (8, 1, 0, "batched")
    assert record["versions"]["keras"] and record["versions"]["backend"]


@pytest.mark.parametrize("model", ["minivggnet", "tests.custom_parts:tiny_cnn"])
def test_same_seed_same_initial_weights_for_every_optimizer(model):
    data = datasets.load_digits().limit(32, 16)
    data = training.prepare_images(data, registry.resolve_model(model))
    weights = {}
    for optimizer in ("adam", "lion", "radam"):
        run = runspec.RunSpec("digits", model, optimizer, seed=7)
        weights[optimizer] = training.compiled_model(data, run).get_weights()
    other_seed = training.compiled_model(data, runspec.RunSpec("digits", model, "adam", seed=8))
    for optimizer in ("lion", "radam"):
        for a, b in zip(weights["adam"], weights[optimizer]):
            np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(weights["adam"], other_seed.get_weights()))


@pytest.mark.parametrize("model,message", [("tests.custom_parts:wrong_classes", "(None, 10)"),
                                           ("tests.custom_parts:logits", "not probabilities")])
def test_a_model_without_class_probabilities_is_refused(tmp_path, capsys, model, message):
    code = train.main(["-i", str(tmp_path / "h"), "-r", str(tmp_path / "r"), "-d", "digits",
                       "-m", model, "--train-limit", "32", "--test-limit", "16", *TINY])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "[INFO] evaluating" not in err


def test_plot_draws_two_learning_rates_of_adam_as_two_series(tmp_path, monkeypatch):
    out, plots = tmp_path / "out", tmp_path / "plots"
    out.mkdir()
    for i, spec in enumerate(["adam(learning_rate=0.001)", "adam(learning_rate=0.0001)"]):
        for seed in (0, 1):
            record = runspec.RunSpec("digits", "minivggnet", spec, seed=seed).record()
            name = f"run{i}{seed}"  # any file name: the record says what the run was
            synthetic.write_run(out, name, synthetic.history(offset=0.1 * i, run=record),
                                acc=0.9 - 0.1 * i + 0.01 * seed)
    drawn = {}
    from pyimagesearch.outputs import figures
    original = figures.comparison
    monkeypatch.setattr(figures, "comparison",
                        lambda by, model, dataset, path: (drawn.update(by), original(by, model, dataset, path)))
    assert plot.main(["-i", str(out), "-p", str(plots)]) == 0
    assert sorted(drawn) == ["adam(learning_rate=0.0001)", "adam(learning_rate=0.001)"]
    assert all(len(h) == 2 for h in drawn.values())
    assert (plots / "minivggnet_digits.png").exists()
    summary = (plots / "summary.md").read_text()
    assert "Adam(learning_rate=0.0001)" in summary and "Adam(learning_rate=0.001)" in summary


def test_two_files_of_the_same_run_are_not_merged_silently(tmp_path, capsys):
    out, plots = tmp_path / "out", tmp_path / "plots"
    out.mkdir()
    record = runspec.RunSpec("digits", "minivggnet", "adam", seed=0).record()
    for name in ("a", "b"):
        synthetic.write_run(out, name, synthetic.history(run=record))
    assert plot.main(["-i", str(out), "-p", str(plots)]) == 0
    err = capsys.readouterr().err
    assert "b.pickle: the same run as" in err and "a.pickle" in err
