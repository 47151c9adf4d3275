"""Optimizer specs: every form parsed, refused in one line, never evaluated; grids."""
import os

import pytest

import combinations
import train
from pyimagesearch import grid, registry, specs
from tests.conftest import run_script, train_lines


@pytest.mark.parametrize("text,name,kwargs", [
    ("adam", "adam", {}),
    ("adamw(learning_rate=3e-4, weight_decay=0.05)", "adamw",
     {"learning_rate": 3e-4, "weight_decay": 0.05}),
    ("radam(total_steps=10000)", "radam", {"total_steps": 10000}),
    ("sgd(learning_rate=0.1, momentum=0.9, nesterov=True)", "sgd",
     {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    ("mypkg.opt:make(beta=-1, name='x', flag=None, on=true)", "mypkg.opt:make",
     {"beta": -1, "name": "x", "flag": None, "on": True}),
    ("adam(learning_rate=[1e-4, 3e-4])", "adam", {"learning_rate": [1e-4, 3e-4]}),
])
def test_every_form_parses(text, name, kwargs):
    spec = specs.parse(text)
    assert spec.name == name and spec.kwargs == kwargs


@pytest.mark.parametrize("text", ["Adam", "ADAMW", "lion", "lamb", "nadam", "adafactor", "muon",
                                  "schedulefreeadamw", "sgd", "radam_nosched"])
def test_registry_names_and_keras_classes_case_insensitive(text):
    import keras
    choice = registry.resolve_optimizer(text)
    assert choice.text == text.lower()
    assert isinstance(choice.build(), keras.optimizers.Optimizer)


def test_arguments_reach_the_optimizer():
    import keras
    opt = registry.resolve_optimizer("adamw(learning_rate=3e-4, weight_decay=0.05)").build()
    assert isinstance(opt, keras.optimizers.AdamW) and opt.weight_decay == 0.05
    assert float(opt.learning_rate) == pytest.approx(3e-4)
    assert registry.resolve_optimizer("radam(total_steps=10000)").build().total_steps == 10000
    sgd = registry.resolve_optimizer("sgd(learning_rate=0.1, momentum=0.5, nesterov=True)").build()
    assert sgd.momentum == 0.5 and sgd.nesterov
    # the registry's own settings stay unless the spec overrides them
    assert registry.resolve_optimizer("radam(learning_rate=0.01)").build().total_steps == 5000


def test_a_users_optimizer_callable():
    import keras
    opt = registry.resolve_optimizer("tests.custom_parts:momentum_sgd(learning_rate=0.2)").build()
    assert isinstance(opt, keras.optimizers.SGD) and float(opt.learning_rate) == pytest.approx(0.2)


@pytest.mark.parametrize("text,culprit", [
    ("adamx", "adamx"),                                   # unknown, with the choices
    ("adam(lr=1e-3)", "'lr'"),                            # an argument it does not take
    ("lion(learning_rate=0.1, betas=1)", "'betas'"),
    ("adam(1e-3)", "keyword"),                            # positional
    ("adam(learning_rate=1e-3", "closing parenthesis"),   # malformed
    ("adam learning_rate=1", "not a name"),
    ("adam(learning_rate='fast')", "learning_rate"),      # a value the class refuses
    ("adam(learning_rate=[1e-3, 1e-4])", "grid"),          # a list: only combinations.py
    ("tests.custom_parts:nope", "nope"),
    ("no_such_pkg.mod:make", "no_such_pkg"),
    ("tests.custom_parts:not_an_optimizer", "not a keras.optimizers.Optimizer"),
    ("os:system(command='true')", "Python's own library"),
])
def test_refusals_name_the_culprit(text, culprit):
    with pytest.raises(specs.SpecError) as error:
        registry.resolve_optimizer(text)
    message = str(error.value)
    assert culprit in message and "\n" not in message


def test_unknown_name_lists_the_choices():
    with pytest.raises(specs.SpecError) as error:
        registry.resolve_optimizer("adamx")
    assert all(name in str(error.value) for name in ("radam_nosched", "adamw", "lion", "muon"))


def test_unknown_argument_lists_the_classes_arguments():
    with pytest.raises(specs.SpecError) as error:
        registry.resolve_optimizer("adamw(lr=1)")
    assert "weight_decay" in str(error.value) and "learning_rate" in str(error.value)


def test_a_spec_never_runs_code(tmp_path):
    marker = tmp_path / "X"
    text = f"adam(learning_rate=__import__('os').system('touch {marker}'))"
    with pytest.raises(specs.SpecError) as error:
        registry.resolve_optimizer(text)
    assert "not a literal" in str(error.value)
    result = run_script("train.py", "-i", str(tmp_path / "h"), "-r", str(tmp_path / "r"),
                        "-d", "digits", "--optimizer", text)
    assert result.returncode == 2 and not marker.exists()
    lines = result.stderr.strip().splitlines()
    assert "not a literal" in lines[-1] and "[INFO] loading" not in result.stdout


def test_train_refuses_a_bad_spec_before_loading_data(tmp_path):
    result = run_script("train.py", "-i", str(tmp_path / "h"), "-r", str(tmp_path / "r"),
                        "-d", "digits", "-o", "adamw(lr=3e-4)")
    assert result.returncode == 2 and "'lr'" in result.stderr.strip().splitlines()[-1]
    assert "Traceback" not in result.stderr and "[INFO] loading" not in result.stdout


def test_learning_rate_given_twice_is_refused(capsys):
    with pytest.raises(SystemExit):
        train.parse_args(["-i", "h", "-r", "r", "-o", "adam(learning_rate=0.1)",
                          "--learning-rate", "0.2"])
    assert "learning_rate" in capsys.readouterr().err


def test_split_list_keeps_commas_inside_brackets():
    text = "adam(learning_rate=[1e-4,3e-4,1e-3]), lion(learning_rate=[3e-5,1e-4]),sgd"
    assert specs.split_list(text) == ["adam(learning_rate=[1e-4,3e-4,1e-3])",
                                      "lion(learning_rate=[3e-5,1e-4])", "sgd"]


def test_grid_expands_lists():
    out, family = grid.expand_optimizers(specs.split_list(
        "adam(learning_rate=[1e-4,3e-4,1e-3]), lion(learning_rate=[3e-5,1e-4])"))
    assert out == ["adam(learning_rate=0.0001)", "adam(learning_rate=0.0003)",
                   "adam(learning_rate=0.001)", "lion(learning_rate=3e-05)",
                   "lion(learning_rate=0.0001)"]
    assert family == {}  # a user's grid: every setting a rival, unless --tune
    _, tuned = grid.expand_optimizers(["adam(learning_rate=[1e-4,1e-3])", "sgd"], tune=True)
    assert tuned == {"adam(learning_rate=0.0001)": "adam", "adam(learning_rate=0.001)": "adam"}
    two_by_two, _ = grid.expand_optimizers(["adamw(learning_rate=[1e-3, 1e-4], weight_decay=[0, 0.1])"])
    assert len(two_by_two) == 4


@pytest.mark.parametrize("texts", [["adam", "adam"], ["adam", "adam(learning_rate=0.001)"],
                                   ["adam(learning_rate=[1e-3, 0.001])"],
                                   ["adam", "Adam(beta_1=0.9)"]])
def test_duplicate_optimizers_are_refused_in_one_line(texts):
    with pytest.raises(specs.SpecError, match="the same configuration"):
        grid.expand_optimizers(texts)
    assert grid.expand_optimizers(["adam", "adam(epsilon=1e-06)"])[0] == \
        ["adam", "adam(epsilon=1e-06)"]  # rivals that differ are rivals


def test_combinations_writes_a_grid_with_seeds(tmp_path, capsys):
    script = tmp_path / "g.sh"
    assert combinations.main(["-o", str(tmp_path / "out"), "-s", str(script), "--datasets", "digits",
                              "--models", "minivggnet,tests.custom_parts:tiny_cnn", "--seeds", "0,1",
                              "--optimizers", "adam(learning_rate=[1e-4,3e-4,1e-3]), "
                                              "lion(learning_rate=[3e-5,1e-4])"]) == 0
    lines = train_lines(script.read_text())
    assert len(lines) == 2 * 5 * 2  # models x settings x seeds
    assert "wrote 20 runs" in capsys.readouterr().out
    assert any("--optimizer 'lion(learning_rate=3e-05)'" in l and
               "tiny_cnn_lion-learning_rate=3e-05_digits_s1.pickle" in l for l in lines)


def test_labels_are_safe_readable_and_distinct():
    texts = ["adam", "adam(learning_rate=0.0003)", "adam(learning_rate=0.001)",
             "adam(learning_rate=0.001, beta_1=0.8)", "adam(beta_1=0.8, learning_rate=0.001)",
             "adam(name='a-b')", "adam(name='a_b')", "adam(learning_rate=1)",
             "adam(learning_rate=1.0)", "mypkg.opt:make", "muon(exclude_layers=('dense',))"]
    labels = [specs.parse(t).label() for t in texts]
    assert labels[1] == "adam-learning_rate=0.0003"
    assert labels[3] == labels[4]  # the same spec in another order
    distinct = set(labels[:4] + labels[5:])
    assert len(distinct) == len(texts) - 1
    assert all(set(l) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._=-")
               for l in labels)


def test_run_names_keep_the_original_form_for_registry_names():
    assert grid.Run("mnist", "resnet", "adam").name == "resnet_adam_mnist"
    assert grid.Run("digits", "minivggnet", "adam(learning_rate=0.0003)", seed=2).name == \
        "minivggnet_adam-learning_rate=0.0003_digits_s2"
    a = grid.Run("folder:/data/a/pets", "minivggnet", "adam").name
    b = grid.Run("folder:/data/b/pets", "minivggnet", "adam").name
    assert a != b and "folder-pets" in a and os.sep not in a
