"""The holes a new user found: runs told apart by every flag, the missing-runs line said
only when true, skips before Keras, a one-class folder refused before the grid."""
import os
import subprocess
import sys

import combinations
import plot
from pyimagesearch.runs import results, rounds, runspec
from tests.conftest import ROOT
from tests.synthetic import history, write_run


def test_runs_that_differ_only_in_precise_bn_are_two_optimizers(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    for k, precise in enumerate((None, "auto")):
        for seed in range(3):
            record = runspec.RunSpec("digits", "minivggnet", "adam", seed=seed,
                                     precise_bn=precise).record()
            write_run(out, f"r{k}_s{seed}", history(epochs=3, run=record), acc=0.8 + 0.02 * k)
    rows, _, _ = results.load_rows(str(out))
    assert sorted({r["optimizer"] for r in rows}) == ["adam [precise_bn=None]",
                                                      "adam [precise_bn=auto]"]
    assert "the same run as" not in capsys.readouterr().err
    assert plot.main(["-i", str(out), "-p", str(tmp_path / "plots")]) == 0
    assert "adam [precise_bn=auto]" in (tmp_path / "plots" / "verdicts.csv").read_text()


def test_the_missing_runs_line_is_said_once_and_only_when_true(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    for opt in ("adam", "radam", "sgd"):
        for seed in range(3):
            write_run(out, f"minivggnet_{opt}_digits_s{seed}", history(epochs=3),
                      acc=0.8 + seed * 0.01 + (0.05 if opt == "sgd" else 0))
    rows, _, _ = results.load_rows(str(out))
    rounds.start(str(out), 1.0, 6, [3, 4, 6], rows)
    # round 1 asked for adam and radam at seed 3 (sgd was decided); radam's never finished
    rounds.record_round(str(out), 1, ["minivggnet_adam_digits_s3", "minivggnet_radam_digits_s3"])
    write_run(out, "minivggnet_adam_digits_s3", history(epochs=3), acc=0.8)
    capsys.readouterr()
    assert plot.main(["-i", str(out), "-p", str(tmp_path / "plots")]) == 0
    captured = capsys.readouterr()
    assert "minivggnet_radam_digits_s3.pickle: missing, though decide.py's round 1 asked for it" \
        in captured.err
    assert captured.out.count("seed x optimizer combinations not run") == 1  # sgd's seed 3
    results.load(str(out))  # in a notebook: no such line
    assert "combinations not run" not in capsys.readouterr().out


def test_a_skip_is_decided_before_keras_is_imported(tmp_path):
    out = tmp_path / "out"
    argv = ["-i", str(out / "h.pickle"), "-r", str(out / "h.txt"), "-d", "digits", "-m",
            "tests.custom_parts:dense", "-o", "adam(learning_rate=0.01)", "--epochs", "1",
            "--train-limit", "64", "--test-limit", "32", "--batch-size", "32"]
    out.mkdir()
    first = subprocess.run([sys.executable, "train.py", *argv], cwd=ROOT, capture_output=True,
                           text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    probe = ("import sys, train; code = train.main(sys.argv[1:]); "
             "print('keras imported' if 'keras' in sys.modules else 'no keras'); sys.exit(code)")
    again = subprocess.run([sys.executable, "-c", probe, *argv], cwd=ROOT, capture_output=True,
                           text=True, timeout=600)
    assert again.returncode == 0 and "[INFO] skipping:" in again.stdout
    assert again.stdout.strip().endswith("no keras")
    bad = subprocess.run([sys.executable, "-c", probe, *argv, "--epochs", "0"], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    assert bad.returncode == 2 and bad.stderr.strip() == "train.py: error: argument --epochs: 0 must be at least 1"


def test_a_one_class_folder_is_refused_before_the_grid(tmp_path, capsys):
    import numpy as np
    import cv2
    folder = tmp_path / "images" / "cats"
    folder.mkdir(parents=True)
    for i in range(4):
        cv2.imwrite(str(folder / f"{i}.png"), np.zeros((8, 8), np.uint8))
    (tmp_path / "images" / "empty").mkdir()
    script = tmp_path / "g.sh"
    code = combinations.main(["-o", str(tmp_path / "out"), "-s", str(script), "--datasets",
                              f"folder:{tmp_path / 'images'}", "--models", "minivggnet"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "1 class folder with images" in err
    assert "(cats)" in err and not script.exists()
    assert not os.path.exists(tmp_path / "out")
