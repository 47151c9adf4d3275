"""The verdict on any metric, in either direction: a validation loss (lower is better) in
its own units, a relative margin, the goal inferred and said, decide.json fixing them."""
import csv

import pytest

import plot
from pyimagesearch.stats import measure, simulation
from pyimagesearch.runs import rounds
from tests.conftest import run_script
from tests.synthetic import history, write_run


def loss_folder(tmp_path, losses, seeds=5):
    """adam and radam on one problem; radam's final val_loss lower by ``losses[1]``."""
    out = tmp_path / "output"
    out.mkdir()
    for opt, shift in zip(("adam", "radam"), losses):
        for s in range(seeds):
            # history(epochs=3): final val_loss = 1.2/3 + offset
            h = history(epochs=3, offset=shift + 0.001 * ((s * 7) % 5) + (0.0004 * s if opt == "radam" else 0))
            write_run(out, f"minivggnet_{opt}_digits_s{s}", h, acc=0.9)
    return out


def rows_of(path):
    with open(path) as f:
        return [r for r in csv.DictReader(f) if r["scope"] == "problem"]


def test_lower_is_better_in_its_own_units(tmp_path, capsys):
    out = loss_folder(tmp_path, (0.0, -0.05))  # radam's loss 0.05 lower: better
    assert plot.main(["-i", str(out), "-p", str(tmp_path / "p"), "--metric", "val_loss",
                      "--margin", "0.02"]) == 0
    printed = capsys.readouterr().out
    assert "lower val_loss taken as better (from its name)" in printed
    row = rows_of(tmp_path / "p" / "verdicts.csv")[0]
    assert (row["metric"], row["goal"], row["unit"]) == ("val_loss", "min", "val_loss units")
    assert row["verdict"] == "better" and float(row["b_minus_a"]) == pytest.approx(-0.0492, abs=1e-3)
    assert float(row["b_minus_a_low"]) < float(row["b_minus_a"]) < float(row["b_minus_a_high"]) < 0
    assert float(row["gain"]) == pytest.approx(0.0492, abs=1e-3)  # oriented: B better, +
    md = (tmp_path / "p" / "summary.md").read_text()
    assert "RAdam better than Adam (on val_loss, lower is better) by 0.0492 val_loss units" in md
    assert "Verdicts on val_loss, its final value, lower is better" in md
    assert "equivalent within ±0.02 val_loss units" in md
    # the same runs judged with --goal max: RAdam's lower loss is worse
    assert plot.main(["-i", str(out), "-p", str(tmp_path / "q"), "--metric", "val_loss",
                      "--margin", "0.02", "--goal", "max"]) == 0
    assert rows_of(tmp_path / "q" / "verdicts.csv")[0]["verdict"] == "worse"


def test_a_relative_margin_and_equivalence(tmp_path):
    out = loss_folder(tmp_path, (0.0, 0.0005))
    assert plot.main(["-i", str(out), "-p", str(tmp_path / "p"), "--metric", "val_loss",
                      "--margin", "5%"]) == 0
    row = rows_of(tmp_path / "p" / "verdicts.csv")[0]
    assert row["verdict"] == "equivalent"
    assert float(row["margin"]) == pytest.approx(0.05 * (0.4 + 0.002), rel=0.02)  # 5% of the pair's median
    assert "±5% of the pair's median val_loss" in (tmp_path / "p" / "summary.md").read_text()


@pytest.mark.parametrize("argv, message", [
    (["--metric", "val_loss"], "val_loss is not an accuracy, so there is no default margin"),
    (["--metric", "val_loss", "--margin", "abc"], "--margin"),
    (["--metric", "val_loss", "--margin", "-1%"], "--margin"),
])
def test_a_metric_without_a_margin_is_one_line(tmp_path, argv, message):
    out = loss_folder(tmp_path, (0.0, -0.05), seeds=3)
    for script in ("plot.py", "decide.py"):
        result = run_script(script, "-i", str(out), "-p", str(tmp_path / "p"), *argv)
        assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
        assert message in result.stderr


def test_decide_json_fixes_the_metric_goal_and_margin(tmp_path):
    out = loss_folder(tmp_path, (0.0, -0.05), seeds=3)
    from pyimagesearch.runs import results
    rows, _, _ = results.load_rows(str(out))
    rounds.start(str(out), measure.choose("val_loss", None, "0.02"), 8, [3, 5, 8], rows)
    held, design = rounds.design(str(out))
    assert (held.name, held.goal, held.margin) == ("val_loss", "min", 0.02) and design.taken() == 1
    result = run_script("plot.py", "-i", str(out), "-p", str(tmp_path / "p"))
    assert result.returncode == 0 and "val_loss" in (tmp_path / "p" / "verdicts.csv").read_text()
    result = run_script("plot.py", "-i", str(out), "-p", str(tmp_path / "p"), "--metric", "test_accuracy")
    assert result.returncode == 2 and "decide.py fixed val_loss" in result.stderr


def test_goal_inference_and_units():
    assert measure.choose("val_loss", None, "0.1").goal == "min"
    assert measure.choose("eval_perplexity", None, "1").goal == "min"
    assert measure.choose("val_acc").goal == "max" and measure.choose("val_acc").scale == 100
    assert measure.choose("bleu", None, "0.5").goal == "max"
    assert not measure.choose().goal_assumed and measure.choose("bleu", None, "1").goal_assumed


def test_lower_is_better_simulated():
    """The same error rates in either direction: no difference called better or worse in at
    most 5%, twice the margin called better (lower loss) in over 90% by 20 seeds, never the
    wrong way, and a tight no-difference equivalent."""
    null = simulation.metric_run(0.0, 0.04, "min", experiments=4000)
    assert null["better"] + null["worse"] <= 0.062, null
    gain = simulation.metric_run(0.04, 0.04, "min", experiments=3000)
    assert gain["better"] >= 0.9 and gain["worse"] == 0, gain
    loss = simulation.metric_run(-0.04, 0.04, "min", experiments=3000)
    assert loss["worse"] >= 0.9 and loss["better"] == 0, loss
    tight = simulation.metric_run(0.0, 0.01, "min", experiments=3000)
    assert tight["equivalent"] >= 0.95, tight
