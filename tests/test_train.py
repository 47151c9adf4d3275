"""train.py end to end on the embedded digits, and its refusals of bad input."""
import pickle

import pytest

import train
from pyimagesearch import registry
from tests.conftest import run_script

TINY = ["--dataset", "digits", "--epochs", "1", "--batch-size", "32",
        "--train-limit", "64", "--test-limit", "40"]


def check_outputs(history_path, report_path, epochs=1):
    with open(history_path, "rb") as f:
        history = pickle.load(f)
    assert isinstance(history, dict)
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert len(history[key]) == epochs and all(type(v) is float for v in history[key])
    report = open(report_path).read()
    assert "accuracy" in report and "macro avg" in report
    for label in "0123456789":
        assert f"\n           {label} " in report
    return history, report


@pytest.mark.parametrize("optimizer", registry.ORIGINAL_OPTIMIZERS)
@pytest.mark.parametrize("model", registry.ORIGINAL_MODELS)
def test_every_model_and_optimizer_trains(tmp_path, model, optimizer):
    history, report = tmp_path / "h.pickle", tmp_path / "r.txt"
    code = train.main(["-i", str(history), "-r", str(report), "-m", model, "-o", optimizer, *TINY])
    assert code == 0
    h, _ = check_outputs(history, report)
    assert len(h["epoch_seconds"]) == 1 and h["total_seconds"][0] >= h["epoch_seconds"][0]


def test_original_defaults():
    args = train.parse_args(["-i", "h", "-r", "r"])
    assert (args.dataset, args.model, args.optimizer, args.epochs, args.batch_size) == \
        ("mnist", "resnet", "adam", 60, 128)


@pytest.mark.parametrize("flag,value", [("--dataset", "svhn"), ("--model", "lenet"),
                                        ("--optimizer", "adamx")])
def test_unknown_names_are_argparse_errors(capsys, flag, value):
    with pytest.raises(SystemExit) as exit_:
        train.parse_args(["-i", "h", "-r", "r", flag, value])
    assert exit_.value.code == 2
    assert value in capsys.readouterr().err


@pytest.mark.parametrize("args,culprit", [(["--epochs", "0"], "--epochs"),
                                          (["--train-limit", "-5"], "--train-limit"),
                                          (["--test-limit", "0"], "--test-limit"),
                                          (["--batch-size", "x"], "--batch-size")])
def test_bad_numbers(capsys, args, culprit):
    with pytest.raises(SystemExit) as exit_:
        train.parse_args(["-i", "h", "-r", "r", *args])
    assert exit_.value.code == 2
    assert culprit in capsys.readouterr().err


def test_missing_data_dir_fails_fast_with_one_line(tmp_path):
    missing = tmp_path / "nowhere"
    result = run_script("train.py", "-i", str(tmp_path / "h"), "-r", str(tmp_path / "r"),
                        "-d", "fashion_mnist", "--data-dir", str(missing))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(missing) in lines[0]
    assert "[INFO] training" not in result.stdout


def test_outside_the_environment_fails_fast_naming_the_packages(tmp_path):
    # -S: this interpreter without its site-packages, like a grid script run by a
    # `python` that is not the project's environment's
    result = run_script("-S", "train.py", "-i", str(tmp_path / "h"), "-r", str(tmp_path / "r"),
                        "-d", "digits")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "keras" in lines[0] and "scikit-learn" in lines[0]
    assert "activate" in lines[0]


def test_data_dir_without_files_names_dir_and_files(tmp_path, capsys):
    code = train.main(["-i", str(tmp_path / "h"), "-r", str(tmp_path / "r"),
                       "-d", "mnist", "--data-dir", str(tmp_path)])
    err = capsys.readouterr()
    assert code == 2 and str(tmp_path) in err.err and "train-images-idx3-ubyte" in err.err
    assert "[INFO] training" not in err.out


@pytest.mark.parametrize("which", ["-i", "-r"])
def test_unwritable_output_fails_before_training(tmp_path, capsys, which):
    paths = {"-i": str(tmp_path / "h.pickle"), "-r": str(tmp_path / "r.txt")}
    paths[which] = str(tmp_path / "no_such_folder" / "out")
    code = train.main(["-i", paths["-i"], "-r", paths["-r"], *TINY])
    err = capsys.readouterr()
    assert code == 2 and "no_such_folder" in err.err and "[INFO] training" not in err.out


def test_read_only_folder_fails_before_training(tmp_path, capsys):
    import os
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as a user who can write anywhere (root): read-only has no effect")
        code = train.main(["-i", str(folder / "h"), "-r", str(tmp_path / "r"), *TINY])
        assert code == 2 and "not writable" in capsys.readouterr().err
    finally:
        folder.chmod(0o700)


def test_seeded_cpu_run_is_repeatable(tmp_path):
    histories = []
    for run in range(2):
        h = tmp_path / f"h{run}.pickle"
        assert train.main(["-i", str(h), "-r", str(tmp_path / f"r{run}.txt"), "-m", "minivggnet",
                           "--seed", "3", *TINY]) == 0
        with open(h, "rb") as f:
            histories.append(pickle.load(f))
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert histories[0][key] == histories[1][key]


def test_torch_backend_runs(tmp_path):
    try:
        import torch  # noqa: F401
    except ImportError:
        pytest.skip("PyTorch is not installed: `pip install torch==2.13.0` (CI installs it) "
                    "to check the package stays backend-agnostic")
    result = run_script("train.py", "-i", str(tmp_path / "h.pickle"), "-r", str(tmp_path / "r.txt"),
                        "-m", "minivggnet", "-o", "radam", *TINY, env={"KERAS_BACKEND": "torch"})
    assert result.returncode == 0, result.stderr[-3000:]
    check_outputs(tmp_path / "h.pickle", tmp_path / "r.txt")


def test_finished_run_is_skipped_unless_forced(tmp_path, capsys):
    from tests.synthetic import history as synthetic_history, write_run
    write_run(tmp_path, "run", synthetic_history())
    h, r = tmp_path / "run.pickle", tmp_path / "run.txt"
    before = h.read_bytes()
    assert train.main(["-i", str(h), "-r", str(r), *TINY]) == 0
    out = capsys.readouterr().out
    assert "skipping" in out and "[INFO] training" not in out
    assert h.read_bytes() == before
    assert train.main(["-i", str(h), "-r", str(r), "--force", "-m", "minivggnet", *TINY]) == 0
    assert "[INFO] training" in capsys.readouterr().out
    check_outputs(h, r)


def test_damaged_output_is_not_taken_for_finished(tmp_path, capsys):
    h, r = tmp_path / "run.pickle", tmp_path / "run.txt"
    h.write_bytes(b"\x80\x04\x95")  # a truncated pickle
    r.write_text("precision recall\n")
    assert train.main(["-i", str(h), "-r", str(r), "-m", "minivggnet", *TINY]) == 0
    assert "[INFO] training" in capsys.readouterr().out
    check_outputs(h, r)


@pytest.mark.parametrize("augment", registry.AUGMENTATIONS)
def test_each_augmentation_mode_trains(tmp_path, augment):
    h, r = tmp_path / "h.pickle", tmp_path / "r.txt"
    assert train.main(["-i", str(h), "-r", str(r), "-m", "minivggnet", "--augment", augment,
                       "--seed", "0", *TINY]) == 0
    check_outputs(h, r)


def test_mixed_precision_computes_the_network_in_bfloat16_only():
    import keras
    from pyimagesearch.data import augment
    from pyimagesearch.train import training
    model = training.build_model("minivggnet", (32, 32, 3), 10, augment.layer(0),
                                 mixed_precision=True)
    rescale, augmentation, net = model.layers[1:]
    assert rescale.compute_dtype == augmentation.compute_dtype == "float32"
    convs = [l for l in net.layers if isinstance(l, keras.layers.Conv2D)]
    assert convs and all(l.compute_dtype == "bfloat16" for l in convs)
    assert all(v.dtype == "float32" for v in net.trainable_variables)
    assert net.layers[-1].compute_dtype == "float32"  # the softmax
    assert keras.config.dtype_policy().name == "float32"  # not left behind for later models


def test_mixed_precision_run_trains(tmp_path):
    h, r = tmp_path / "h.pickle", tmp_path / "r.txt"
    assert train.main(["-i", str(h), "-r", str(r), "-m", "minivggnet", "-o", "radam",
                       "--mixed-precision", "--seed", "0", *TINY]) == 0
    history, _ = check_outputs(h, r)
    assert all(v == v for v in history["loss"])  # finite, not NaN


def test_tensorboard_writes_event_files(tmp_path):
    logs = tmp_path / "tb"
    assert train.main(["-i", str(tmp_path / "h.pickle"), "-r", str(tmp_path / "r.txt"),
                       "-m", "minivggnet", "--tensorboard", str(logs), *TINY]) == 0
    events = [p for p in logs.rglob("events.out.tfevents.*")]
    assert events and any("train" in str(p) for p in events)
    # the HParams tab's session: the run's hyperparameters, and its final metrics
    from tensorboard.backend.event_processing import event_accumulator
    from tensorboard.plugins.hparams import metadata
    accumulator = event_accumulator.EventAccumulator(str(logs))
    accumulator.Reload()
    start = metadata.parse_session_start_info_plugin_data(accumulator.PluginTagToContent(
        metadata.PLUGIN_NAME)[metadata.SESSION_START_INFO_TAG])
    assert start.hparams["optimizer"].string_value == "adam"
    assert "final/test_accuracy" in accumulator.Tags()["tensors"]
    import pickle
    record = pickle.load(open(tmp_path / "h.pickle", "rb"))["run"]
    assert record["tensorboard"] == str(logs)  # the report links the run to its log folder


def test_combinations_passes_tensorboard_per_run(tmp_path):
    import combinations
    script = tmp_path / "g.sh"
    assert combinations.main(["-o", "out", "-s", str(script), "--datasets", "digits",
                              "--models", "minivggnet", "--tensorboard", "tb"]) == 0
    from tests.conftest import train_lines
    lines = train_lines(script.read_text())
    assert lines[0].endswith("--tensorboard tb/minivggnet_adam_digits")
