"""Seeds, the schedule-controlled optimizer variants, and the statistics of the summary."""
import csv
import math

import keras
import pytest
from scipy import stats

import combinations
import plot
from pyimagesearch import registry
from pyimagesearch.runs import results
from tests.conftest import train_lines
from tests.synthetic import history, write_run


def rate_at(optimizer, t):
    """The learning rate of update number t (1-based)."""
    import train  # noqa: F401  (the scripts' view of the registry)
    from pyimagesearch.train.training import learning_rate_now
    optimizer.iterations.assign(t - 1)
    return learning_rate_now(optimizer)


ORIGINAL = {1: 1e-3 / 500, 250: 0.5e-3, 500: 1e-3, 2750: 1e-3 + (1e-5 - 1e-3) * 2250 / 4500,
            5000: 1e-5, 20000: 1e-5}


@pytest.mark.parametrize("name", ["radam", "adam_sched"])
@pytest.mark.parametrize("t", ORIGINAL)
def test_scheduled_variants_follow_the_original_schedule(name, t):
    opt = registry.OPTIMIZERS[name].build()
    assert rate_at(opt, t) == pytest.approx(ORIGINAL[t], rel=1e-4)


@pytest.mark.parametrize("name,rate", [("adam", 1e-3), ("radam_nosched", 1e-3), ("sgd", 0.01),
                                       ("rmsprop", 1e-3)])
@pytest.mark.parametrize("t", [1, 500, 5000, 20000])
def test_constant_variants(name, rate, t):
    assert rate_at(registry.OPTIMIZERS[name].build(), t) == pytest.approx(rate, rel=1e-6)


def test_variants_are_what_they_say():
    from pyimagesearch.train.radam import RAdam
    nosched = registry.OPTIMIZERS["radam_nosched"].build()
    assert isinstance(nosched, RAdam) and nosched.total_steps == 0
    sgd = registry.OPTIMIZERS["sgd"].build()
    assert isinstance(sgd, keras.optimizers.SGD) and sgd.momentum == 0.9
    assert isinstance(registry.OPTIMIZERS["adam_sched"].build(), keras.optimizers.Adam)


def test_learning_rate_override_and_rescaled_schedule():
    opt = registry.OPTIMIZERS["adam_sched"].build(learning_rate=2e-3, total_steps=300)
    assert rate_at(opt, 30) == pytest.approx(2e-3)  # end of the 10% warm-up
    assert rate_at(opt, 300) == pytest.approx(1e-5, rel=1e-4)
    assert rate_at(registry.OPTIMIZERS["sgd"].build(learning_rate=0.1), 7) == pytest.approx(0.1)


def test_learning_rate_is_logged_per_epoch(tmp_path):
    import train
    h = tmp_path / "h.pickle"
    assert train.main(["-i", str(h), "-r", str(tmp_path / "r.txt"), "-d", "digits", "-m", "minivggnet",
                       "-o", "adam_sched", "--total-steps", "8", "--epochs", "2", "--batch-size", "32",
                       "--train-limit", "64", "--test-limit", "32"]) == 0
    lr = results.load_history(str(h))["lr"]
    # 2 steps per epoch; after epoch 1 the next step is t=3 (decaying), after epoch 2 t=5
    expected = [1e-3 + (1e-5 - 1e-3) / 7.2 * (t - 0.8) for t in (3, 5)]
    assert lr == pytest.approx(expected, rel=1e-4)


# ------------------------------------------------------------------ seeds and presets

def test_seeds_name_files_only_when_given(tmp_path):
    script = tmp_path / "s.sh"
    combinations.main(["-o", "out", "-s", str(script), "--datasets", "mnist", "--models", "resnet",
                       "--seeds", "0,1,2"])
    lines = train_lines(script.read_text())
    assert len(lines) == 6
    assert lines[0].startswith("python train.py --history out/resnet_adam_mnist_s0.pickle "
                               "--report out/resnet_adam_mnist_s0.txt")
    assert lines[0].endswith("--optimizer adam --seed 0")
    assert "resnet_radam_mnist_s2.txt" in lines[5] and lines[5].endswith("--seed 2")
    combinations.main(["-o", "out", "-s", str(script)])
    assert "_s" not in script.read_text().replace("_sched", "")
    assert "--seed" not in script.read_text()


def test_ablation_preset(tmp_path):
    script = tmp_path / "a.sh"
    combinations.main(["-o", "out", "-s", str(script), "--preset", "ablation", "--seeds", "0,1,2"])
    lines = train_lines(script.read_text())
    assert len(lines) == 4 * 3 * 4 * 3
    optimizers = {line.split("--optimizer ")[1].split()[0] for line in lines}
    assert optimizers == {"adam", "radam", "adam_sched", "radam_nosched"}


@pytest.mark.parametrize("value", ["0,x", "-1", "1,1", ""])
def test_bad_seeds(tmp_path, value):
    with pytest.raises(SystemExit):
        combinations.main(["-o", "o", "-s", str(tmp_path / "x.sh"), "--seeds", value])


# ------------------------------------------------------------------ statistics

def test_time_to_target_on_a_synthetic_history():
    h = {"val_accuracy": [0.5, 0.7, 0.89, 0.95, 0.9], "epoch_seconds": [10.0, 11.0, 12.0, 13.0, 14.0]}
    assert results.time_to_target(h, 0.891) == (4, 46.0)
    assert results.time_to_target(h, 0.7) == (2, 21.0)
    epoch, seconds = results.time_to_target(h, 0.99)
    assert epoch is None and math.isnan(seconds)


def test_summary_with_seeds(tmp_path):
    out, plots = tmp_path / "output", tmp_path / "plots"
    out.mkdir()
    accs = {"adam": [0.80, 0.82, 0.84], "radam": [0.78, 0.81, 0.82]}
    for opt, values in accs.items():
        for seed, acc in enumerate(values):
            h = history(epochs=5)
            h["val_accuracy"] = [0.5, 0.6, 0.7, 0.8, 0.9 if opt == "adam" else 0.85]
            h["epoch_seconds"] = [2.0] * 5
            write_run(out, f"minivggnet_{opt}_digits_s{seed}", h, acc=acc)
    assert plot.main(["-i", str(out), "-p", str(plots)]) == 0
    md = (plots / "summary.md").read_text()
    p = stats.ttest_rel([78, 81, 82], [80, 82, 84]).pvalue  # 0.0377
    assert f"| digits | minivggnet | adam | radam | 3 | -1.67 | [-3.10, -0.23] | {p:.4f} | " in md
    assert "| digits | minivggnet | Adam | 3 | 0.8200 | 0.0200 |" in md
    with open(plots / "summary.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 6
    # target 0.99 * 0.9 = 0.891: adam reaches it at epoch 5 (10 s); radam never does
    adam = [r for r in rows if r["optimizer"] == "adam"][0]
    radam = [r for r in rows if r["optimizer"] == "radam"][0]
    assert adam["epochs_to_target"] == "5" and float(adam["seconds_to_target"]) == 10.0
    assert radam["epochs_to_target"] == ""
    assert (plots / "minivggnet_digits.png").exists()
