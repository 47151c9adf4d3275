"""combinations.py: the original script line for line, and the flags that change the grid."""
import os

import pytest

import combinations
from tests.conftest import train_lines


def original_script():
    """SPEC's script, written out independently of the code under test."""
    lines = ["#!/bin/sh", ""]
    for dataset in ["mnist", "fashion_mnist", "cifar10", "cifar100"]:
        for model in ["resnet", "googlenet", "minivggnet"]:
            for opt in ["adam", "radam"]:
                lines.append(
                    f"python train.py --history output/{model}_{opt}_{dataset}.pickle "
                    f"--report output/{model}_{opt}_{dataset}.txt --dataset {dataset}  "
                    f"--model {model} --optimizer {opt}")
    return "\n".join(lines) + "\n"


def test_default_script_is_the_original(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert combinations.main(["--output", "output", "--script", "experiments.sh"]) == 0
    text = (tmp_path / "experiments.sh").read_text()
    assert text == original_script()
    assert len(text.splitlines()) == 26  # shebang, blank, 24 runs
    assert os.access(tmp_path / "experiments.sh", os.X_OK)
    assert (tmp_path / "output").is_dir()


def test_committed_experiments_sh_is_the_original():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "experiments.sh")) as f:
        assert f.read() == original_script()


def test_short_flags(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert combinations.main(["-o", "output", "-s", "run.sh"]) == 0
    assert (tmp_path / "run.sh").read_text() == original_script()


def test_narrowed_grid_with_train_args(tmp_path):
    script = tmp_path / "demo.sh"
    assert combinations.main(["-o", "out", "-s", str(script), "--datasets", "digits",
                              "--models", "minivggnet,resnet", "--optimizers", "radam",
                              "--train-args", "--epochs 3 --train-limit 500"]) == 0
    lines = train_lines(script.read_text())
    assert lines == [
        "python train.py --history out/minivggnet_radam_digits.pickle --report "
        "out/minivggnet_radam_digits.txt --dataset digits  --model minivggnet --optimizer radam "
        "--epochs 3 --train-limit 500",
        "python train.py --history out/resnet_radam_digits.pickle --report "
        "out/resnet_radam_digits.txt --dataset digits  --model resnet --optimizer radam "
        "--epochs 3 --train-limit 500"]


@pytest.mark.parametrize("flag,value,named", [("--datasets", "mnist,svhn", "svhn"),
                                              ("--models", "resnet,lenet,vit", "lenet"),
                                              ("--optimizers", "adam,adamx", "adamx")])
def test_unknown_names_are_named(tmp_path, capsys, flag, value, named):
    with pytest.raises(SystemExit) as exit_:
        combinations.main(["-o", "o", "-s", str(tmp_path / "x.sh"), flag, value])
    assert exit_.value.code == 2
    assert named in capsys.readouterr().err
    assert not (tmp_path / "x.sh").exists()
