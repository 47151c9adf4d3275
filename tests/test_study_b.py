"""Study B on the same machinery: MLPs, Descent, iteration budgets, full and single batches."""
import numpy as np
import pytest

import combinations
import train
from pyimagesearch.stats import analysis
from pyimagesearch import registry
from pyimagesearch.runs import results
from pyimagesearch.train import steps
from pyimagesearch.outputs import summary
from tests.conftest import train_lines
from tests.test_models import dense, trainable


@pytest.mark.parametrize("name,hidden", [("4ls", (64, 32, 16)), ("3ls", (32, 16)), ("2lr", (32,))])
def test_mlp_shapes_and_parameter_counts(name, hidden):
    model = registry.MODELS[name].build((28, 28, 1), 10)
    assert model.output_shape == (None, 10)
    widths = (784, *hidden, 10)
    assert trainable(model) == sum(dense(a, b) for a, b in zip(widths, widths[1:]))
    activation = "relu" if name == "2lr" else "sigmoid"
    dense_layers = [l for l in model.layers if l.__class__.__name__ == "Dense"]
    assert len(dense_layers) == int(name[0])
    assert all(l.activation.__name__ == activation for l in dense_layers[:-1])
    assert dense_layers[-1].activation.__name__ == "softmax"


def test_mlps_see_native_size_without_augmentation():
    for name in ("4ls", "3ls", "2lr"):
        assert registry.MODELS[name].input_size is None and not registry.MODELS[name].augment


def test_descent_is_plain_gradient_descent():
    import keras
    opt = registry.OPTIMIZERS["descent"].build()
    assert isinstance(opt, keras.optimizers.SGD) and opt.momentum == 0 and not opt.nesterov
    assert float(keras.ops.convert_to_numpy(opt.learning_rate)) == pytest.approx(0.1)


def test_evaluation_points():
    assert steps.eval_points(4000) == [500, 1000, 2000, 4000]
    assert steps.eval_points(2_048_000) == [500 * 2 ** k for k in range(13)]
    assert steps.eval_points(600) == [500, 600]
    assert steps.eval_points(300) == [300]


def test_loss_is_kept_compact():
    assert steps.loss_bucket(2_048_000) == 1024 and steps.loss_bucket(1500) == 1


def run(tmp_path, *args):
    h = tmp_path / "h.pickle"
    assert train.main(["-i", str(h), "-r", str(tmp_path / "r.txt"), "-d", "digits", *args]) == 0
    return results.load_history(str(h))


def test_single_example_steps(tmp_path):
    h = run(tmp_path, "-m", "2lr", "-o", "descent", "--batch-size", "1", "--steps", "1200",
            "--train-limit", "300", "--test-limit", "100")
    assert h["iterations"] == [500.0, 1000.0, 1200.0]
    for key in ("val_accuracy", "val_loss", "accuracy", "loss", "train_seconds", "lr"):
        assert len(h[key]) == 3
    assert h["train_seconds"] == sorted(h["train_seconds"])
    assert len(h["step_loss"]) == 1200 and h["step_loss_every"] == [1.0]
    assert h["lr"] == pytest.approx([0.1] * 3)
    assert h["val_accuracy"][-1] > 0.5  # digits, 1,200 single-example updates of 2LR


def test_full_batch_steps(tmp_path):
    h = run(tmp_path, "-m", "3ls", "-o", "adam", "--batch-size", "full", "--steps", "30",
            "--train-limit", "200", "--test-limit", "50")
    assert h["iterations"] == [30.0] and len(h["step_loss"]) == 30
    # full-batch steps are deterministic descent on one loss: it must fall
    assert h["step_loss"][-1] < h["step_loss"][0]


def test_full_batch_with_epochs(tmp_path):
    h = run(tmp_path, "-m", "2lr", "--batch-size", "full", "--epochs", "2",
            "--train-limit", "100", "--test-limit", "50")
    assert len(h["loss"]) == 2


def test_batch_larger_than_data_is_refused(tmp_path, capsys):
    code = train.main(["-i", str(tmp_path / "h"), "-r", str(tmp_path / "r"), "-d", "digits",
                       "-m", "2lr", "--batch-size", "500", "--train-limit", "100", "--steps", "5"])
    assert code == 2 and "--batch-size 500" in capsys.readouterr().err


def test_flux_preset_writes_18_runs(tmp_path):
    script = tmp_path / "flux.sh"
    assert combinations.main(["-o", "out", "-s", str(script), "--preset", "flux"]) == 0
    lines = train_lines(script.read_text())
    assert len(lines) == 18
    assert lines[0] == ("python train.py --history out/4ls_descent_mnist_bfull.pickle --report "
                        "out/4ls_descent_mnist_bfull.txt --dataset mnist  --model 4ls "
                        "--optimizer descent --batch-size full --steps 4000")
    budgets = {(l.split("--batch-size ")[1].split()[0], l.split("--steps ")[1].split()[0]) for l in lines}
    assert budgets == {("full", "4000"), ("1", "2048000"), ("128", "2048000")}
    models = [l.split("--model ")[1].split()[0] for l in lines]
    assert sorted(set(models)) == ["2lr", "3ls", "4ls"] and all(models.count(m) == 6 for m in set(models))
    combinations.main(["-o", "out", "-s", str(script), "--preset", "flux", "--budget-scale", "0.01",
                       "--train-args", "--data-dir /data"])
    first = train_lines(script.read_text())[0]
    assert first.endswith("--batch-size full --steps 40 --data-dir /data")


def test_effort_ranking_on_synthetic_histories():
    def row(model, batch, acc):
        return {"model": model, "batch": batch, "optimizer": "adam", "test_accuracy": acc}

    def hist(seconds, acc):
        return {"train_seconds": [seconds / 2, seconds], "val_accuracy": [acc / 2, acc],
                "iterations": [500.0, 1000.0]}

    step_rows = [(row("4ls", "1", 0.5), hist(100.0, 0.5)),     # effort 200
                 (row("2lr", "full", 0.9), hist(90.0, 0.9)),   # effort 100
                 (row("3ls", "128", 0.8), hist(400.0, 0.8))]   # effort 500
    ranked = analysis.effort_ranking(step_rows)
    assert [r["model"] for r, _, _ in ranked] == ["2lr", "4ls", "3ls"]
    assert [e for _, _, e in ranked] == pytest.approx([100.0, 200.0, 500.0])
    md = summary.iterations_markdown(step_rows)
    assert "| 1 | 2lr | full | Adam | 0.9000 | 90.0 | 100.0 |" in md


def test_plot_draws_study_b(tmp_path):
    import plot
    out = tmp_path / "out"
    out.mkdir()
    for opt in ("descent", "adam"):
        for batch in ("full", "1"):
            h = tmp_path / f"2lr_{opt}_digits_b{batch}"
            assert train.main(["-i", str(out / f"{h.name}.pickle"), "-r", str(out / f"{h.name}.txt"),
                               "-d", "digits", "-m", "2lr", "-o", opt, "--batch-size", batch,
                               "--steps", "600", "--train-limit", "200", "--test-limit", "50"]) == 0
    plots = tmp_path / "plots"
    assert plot.main(["-i", str(out), "-p", str(plots)]) == 0
    names = sorted(p.name for p in plots.glob("*.png"))
    assert names == ["2lr_digits_b1.png", "2lr_digits_bfull.png", "accuracy_vs_time.png",
                     "effort.png", "overview.png"]
    md = (plots / "summary.md").read_text()
    assert "### stochastic (1 example per step)" in md and "| 2lr | Descent |" in md
    assert "Effort ranking" in md


def test_each_pass_visits_every_example_once():
    rng = np.random.default_rng(0)
    for n in (1, 2, 97, 60000):
        a, c = steps.affine_permutation(rng, n)
        assert sorted((a * i + c) % n for i in range(n)) == list(range(n))
    draws = {steps.affine_permutation(rng, 60000) for _ in range(5)}
    assert len(draws) == 5  # a different order every pass
