"""A program's runs mean what they say: the grid's metric is the default, a loss is never
judged as an accuracy, a program's tables are in its metrics' own terms, and a zero spread
is never certainty. One test per hole found by trying it as a new user would."""
import csv
import json
import os
import subprocess
import sys

import pytest

import combinations
import decide
import plot
from pyimagesearch.stats import analysis, simulation
from pyimagesearch.runs import results
from pyimagesearch.outputs import summary
from tests.conftest import ROOT

# A program the project never imports: SGD's loss is lower than Adam's on every seed, and
# its accuracy (on 169 examples: a discrete metric) is higher.
PROGRAM = r'''
import argparse, json, os, sys
ap = argparse.ArgumentParser()
ap.add_argument("--opt"); ap.add_argument("--lr", type=float); ap.add_argument("--seed", type=int)
ap.add_argument("--out"); ap.add_argument("--fmt", default="jsonl")
a = ap.parse_args()
if a.opt == "crash" or (a.opt == "adam" and a.seed == 9):
    print("out of memory", file=sys.stderr); sys.exit(3)
base = {"sgd": 0.082, "adam": 0.095, "adamw": 0.095, "same": 0.09, "nan": 0.09}[a.opt]
noise = ((a.seed * 7919) % 13 - 6) / 6000 + ((a.seed * 31 + len(a.opt)) % 7 - 3) / 3000
loss = [base * (1 + 2 * 0.5 ** k) + noise for k in range(1, 6)]
acc = [round((0.9 - v) * 169) / 169 for v in loss]
if a.opt == "same":
    acc = [0.8] * 5
if a.opt == "nan":
    loss[-1] = float("nan")
os.makedirs(a.out, exist_ok=True)
if a.fmt == "jsonl":
    with open(os.path.join(a.out, "metrics.jsonl"), "w") as f:
        for k, (v, c) in enumerate(zip(loss, acc)):
            f.write(json.dumps({"step": 10 * (k + 1), "val_loss": v, "val_acc": c,
                                "train_loss": 0.9 * v}) + "\n")
else:
    print(json.dumps({"val_loss": loss[-1], "val_acc": acc[-1]}))
'''


@pytest.fixture
def program(tmp_path):
    path = tmp_path / "prog.py"
    path.write_text(PROGRAM)
    return path


def make_grid(tmp_path, program, *flags, optimizers="sgd(lr=0.5), adam(lr=0.05)",
              seeds="0,1,2", fmt="jsonl", name="out"):
    out, script = tmp_path / name, tmp_path / f"{name}.sh"
    command = (f"python {program} --opt {{optimizer}} {{args}} --seed {{seed}} --out {{run_dir}}"
               f" --fmt {fmt}")
    code = combinations.main(["-o", str(out), "-s", str(script), "--seeds", seeds,
                              "--optimizers", optimizers, "--command", command, *flags])
    assert code == 0
    subprocess.run(["sh", str(script)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    return out


def verdicts_of(plots):
    with open(os.path.join(plots, "verdicts.csv"), newline="") as f:
        return [r for r in csv.DictReader(f) if r["scope"] == "problem"]


def test_val_loss_grid_is_never_judged_as_an_accuracy(tmp_path, program, capsys):
    out = make_grid(tmp_path, program, "--metric", "val_loss", "--margin", "0.005")
    for flags in ([], ["--metric", "val_loss"]):
        plots = tmp_path / f"plots{len(flags)}"
        assert plot.main(["-i", str(out), "-p", str(plots), *flags]) == 0
        (row,) = verdicts_of(plots)
        assert (row["metric"], row["goal"]) == ("val_loss", "min")
        assert row["verdict"] == "better" and row["b"] == "sgd(lr=0.5)"
    printed = capsys.readouterr().out
    assert "judging val_loss (lower is better), margin ±0.005" in printed
    assert "the metric the grid was written for" in printed
    assert "test_accuracy" not in printed


def test_decide_takes_the_grids_metric_and_fixes_it(tmp_path, program):
    out = make_grid(tmp_path, program, "--metric", "val_loss", "--margin", "0.005")
    assert decide.main(["-i", str(out), "--max-seeds", "5"]) == 0
    fixed = json.loads((out / "decide.json").read_text())
    assert (fixed["metric"], fixed["goal"], fixed["margin"]) == ("val_loss", "min", 0.005)
    # decide.py's default output lies beside its input, named after it
    (row,) = verdicts_of(str(out) + "_plots")
    assert row["verdict"] == "better" and row["metric"] == "val_loss"


def test_a_loss_without_a_margin_anywhere_is_one_line(tmp_path, program, capsys):
    out = make_grid(tmp_path, program, "--metric", "val_loss")
    capsys.readouterr()
    assert plot.main(["-i", str(out), "-p", str(tmp_path / "p")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "val_loss is not an accuracy" in err[0]
    assert not (out / "decide.json").exists()


def test_experiment_file_records_goal_and_margin(tmp_path, program):
    toml = tmp_path / "grid.toml"
    toml.write_text(f'command = "python {program} --opt {{optimizer}} {{args}} --seed {{seed}} '
                    f'--out {{run_dir}}"\nmetric = "val_loss"\ngoal = "min"\nmargin = "1%"\n'
                    f'optimizers = ["sgd(lr=0.5)", "adam(lr=0.05)"]\nseeds = [0, 1, 2]\n'
                    f'output = "{tmp_path / "out"}"\nscript = "{tmp_path / "g.sh"}"\n')
    assert combinations.main(["--experiment", str(toml)]) == 0
    text = (tmp_path / "g.sh").read_text()
    assert "--goal min" in text and "--margin 1%" in text


def test_json_last_line_grid_goes_through_plot_and_decide(tmp_path, program):
    out = make_grid(tmp_path, program, "--metric", "val_loss", "--margin", "0.005",
                    fmt="stdout")
    plots = tmp_path / "plots"
    assert plot.main(["-i", str(out), "-p", str(plots)]) == 0  # was a ZeroDivisionError
    assert verdicts_of(plots)[0]["verdict"] == "better"
    # one logged value is no curve: no speed-up, and no crash
    assert (plots / "speedups.csv").read_text().count("\n") == 1
    assert decide.main(["-i", str(out), "-p", str(tmp_path / "d"), "--max-seeds", "5"]) == 0


def test_runs_csv_holds_the_rates_given_and_no_test_accuracy(tmp_path, program):
    out = make_grid(tmp_path, program, "--metric", "val_loss", "--margin", "0.005")
    plots = tmp_path / "plots"
    assert plot.main(["-i", str(out), "-p", str(plots)]) == 0
    with open(plots / "runs.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    sgd = next(r for r in rows if r["optimizer"] == "sgd(lr=0.5)")
    assert sgd["opt_lr"] == "0.5" and not sgd.get("opt_learning_rate")  # no Keras default
    assert sgd["test_accuracy"] == "" and sgd["best_val_accuracy"] == ""
    assert sgd["target_val_accuracy"] == ""  # an accuracy target it never had
    assert float(sgd["final:val_loss"]) < 0.1 and float(sgd["final:val_acc"]) > 0.7
    assert float(sgd["final_train_loss"]) == pytest.approx(0.9 * float(sgd["final:val_loss"]))
    # the tidy epochs: the program's own series only, not the figures' names for them
    with open(plots / "epochs.csv", newline="") as f:
        metrics = {r["metric"] for r in csv.DictReader(f)}
    assert {"val_loss", "val_acc", "train_loss"} <= metrics and "val_accuracy" not in metrics


def test_summary_and_page_of_a_program_say_what_it_is(tmp_path, program):
    out = make_grid(tmp_path, program, "--metric", "val_loss", "--margin", "0.005")
    plots = tmp_path / "plots"
    assert plot.main(["-i", str(out), "-p", str(plots)]) == 0
    text = (plots / "summary.md").read_text()
    assert "macro-average *precision*" not in text  # the 2019 article's paragraph
    assert "test acc." not in text and "final val_loss" in text
    assert "## val_loss over seeds" in text
    page = (plots / "report.html").read_text()
    assert "--epochs" not in page and "--augment" not in page  # train.py's, never run
    assert "prog.py --opt sgd --lr 0.5 --seed 0" in page


def test_zero_spread_is_not_certainty(tmp_path, program):
    # every run scores exactly 0.8: a spread of zero, and no resolution seen
    out = make_grid(tmp_path, program, "--metric", "val_acc", optimizers="same, same(lr=1)")
    plots = tmp_path / "plots"
    assert plot.main(["-i", str(out), "-p", str(plots), "--fixed"]) == 0
    (row,) = verdicts_of(plots)
    assert float(row["b_minus_a"]) == 0
    assert float(row["b_minus_a_low"]) < -0.5 and float(row["b_minus_a_high"]) > 0.5  # not [-0.00, +0.00]
    assert row["verdict"] == "undecided"  # at n=3 the margin's floor cannot call it


def test_resolution_is_the_smallest_gap_seen():
    step = 100 / 169
    assert analysis.resolution([0.5, 0.5 + 1 / 169, 0.5 + 3 / 169], 100.0, 1.0) == \
        pytest.approx(step)
    assert analysis.resolution([0.8, 0.8, 0.8], 100.0, 1.0) == 1.0  # all alike: the margin
    assert analysis.resolution([0.1, float("nan")], 1.0, 0.02) == 0.02


@pytest.mark.parametrize("true_diff", [0.0, 1.5])
@pytest.mark.parametrize("sd", [0.05, 1.0])
def test_discrete_metric_error_rates(true_diff, sd):
    # accuracy on 170 examples; 4,000 experiments: 3 standard errors of 5% are 1 point
    r = simulation.discrete_run(true_diff, sd, experiments=4000)
    if true_diff == 0:
        assert r["better"] + r["worse"] <= 0.05 + 0.01
    else:
        assert r["equivalent"] + r["worse"] <= 0.05 + 0.01
        assert r["better"] >= 0.9
    if sd == 0.05:
        assert r["zero_spread_first_look"] > 0.1  # the case this guards against occurs


def test_timeout_must_be_positive(tmp_path, program, capsys):
    with pytest.raises(SystemExit) as e:
        make_grid(tmp_path, program, "--metric", "val_acc", "--timeout", "-5")
    assert e.value.code == 2
    assert "--timeout" in capsys.readouterr().err


def test_a_metric_no_run_has_lists_those_present(tmp_path, program, capsys):
    out = make_grid(tmp_path, program, "--metric", "val_acc")
    assert plot.main(["-i", str(out), "-p", str(tmp_path / "p"), "--metric", "eval_los"]) == 2
    err = capsys.readouterr().err
    assert "eval_los: no run here has it (they have: train_loss, val_acc, val_loss)" in err
    assert "step" not in err.split("they have")[1]


def test_runs_written_for_different_metrics_are_refused(tmp_path, program, capsys):
    out = make_grid(tmp_path, program, "--metric", "val_acc", optimizers="sgd(lr=0.5)")
    make_grid(tmp_path, program, "--metric", "val_loss", "--margin", "0.01",
              optimizers="adam(lr=0.05)")
    assert plot.main(["-i", str(out), "-p", str(tmp_path / "p")]) == 2
    err = capsys.readouterr().err
    assert "different metrics" in err and "val_acc" in err and "val_loss" in err


def test_failed_and_diverged_seeds_are_named(tmp_path, program):
    out = make_grid(tmp_path, program, "--metric", "val_acc", seeds="0,1,2,9",
                    optimizers="sgd(lr=0.5), adam(lr=0.05), nan")
    plots = tmp_path / "plots"
    assert plot.main(["-i", str(out), "-p", str(plots), "--metric", "val_loss",
                      "--margin", "0.005"]) == 0
    text = (plots / "summary.md").read_text()
    left = text.split("## Runs left out")[1].split("##")[0]
    assert "adam-lr=0.05_run_s9: failed (exit 3)" in left and "out of memory" in left
    assert "nan_run_s0: no finite final val_loss" in left
    assert "Runs left out" in (plots / "report.html").read_text()


def test_answer_sentence_picks_a_decided_pair_first():
    overall = [{"a": "x", "b": "y", "verdict": "equivalent"},
               {"a": "x", "b": "z", "verdict": "better"}]
    assert analysis.headline(overall)["b"] == "z"
    assert analysis.headline([{"a": "adam", "b": "radam", "verdict": "undecided"}] + overall
                             )["b"] == "radam"  # the study's own question stays first


def test_better_and_worse_give_sizes_one_way(tmp_path, program):
    out = make_grid(tmp_path, program, "--metric", "val_loss", "--margin", "0.005")
    plots = tmp_path / "plots"
    assert plot.main(["-i", str(out), "-p", str(plots)]) == 0
    (row,) = verdicts_of(plots)
    # the table: B - A in the metric's own direction; the sentence: a size and its interval
    assert float(row["b_minus_a"]) < 0 and float(row["b_minus_a_high"]) < 0
    line = next(x for x in (plots / "summary.md").read_text().splitlines()
                if x.startswith("| run | prog |"))
    size = line.split(" by ")[1]
    assert "-" not in size.split("]")[0]


def test_censored_speedup_sentence_reads():
    from pyimagesearch.stats import speed
    text = speed.speed_text({"a": "adam", "b": "sgd", "metric": "val_loss", "target": 0.0796,
                             "target_rule": "given (--target)", "steps_ratio": float("nan"),
                             "steps_ratio_low": float("nan"), "steps_ratio_high": float("nan"), "n": 3,
                             "censored": 3, "verdict": "slower", "p_adjusted": 0.01})
    assert text.startswith("SGD against Adam, steps to val_loss 0.0796")
    assert "3 of 3 seed pairs censored" in text and text.endswith("slower (p adj. 0.01)")


def test_baseline_by_name_when_one_setting_of_it_ran():
    rows = [{"optimizer": "adam(lr=0.05)"}, {"optimizer": "sgd(lr=0.5)"}]
    assert analysis.resolve_baseline(rows, "adam") == "adam(lr=0.05)"
    rows.append({"optimizer": "adam(lr=0.1)"})
    with pytest.raises(ValueError, match="2 settings of it ran"):
        analysis.resolve_baseline(rows, "adam")


def test_commands_name_themselves(tmp_path):
    done = subprocess.run([sys.executable, "-c", "import sys; sys.argv[0] = 'optimizer-grid'; "
                           "from pyimagesearch.commands import combinations; "
                           "combinations.main(['--help'])"], cwd=ROOT, capture_output=True,
                          text=True)
    assert done.stdout.startswith("usage: optimizer-grid")


def test_program_rows_are_read_in_their_own_terms(tmp_path, program):
    out = make_grid(tmp_path, program, "--metric", "val_loss", "--margin", "0.005")
    rows, _, _ = results.load_rows(str(out))
    row = rows[0]
    assert row["program"] and row["program_metric"] == "val_loss"
    assert set(row["finals"]) >= {"val_loss", "val_acc"} and "val_accuracy" not in row["finals"]
    assert summary.to_markdown(rows).count("macro") == 0


def test_progress_lines_of_a_round_show_the_decided_metric(tmp_path, program):
    from pyimagesearch.launch import progress
    command = f"python {program} --opt {{optimizer}} {{args}} --seed {{seed}} --out {{run_dir}}"
    argv = [sys.executable, "-m", "pyimagesearch.program.wrap", "--output", str(tmp_path), "--name",
            "r", "--template", command, "--optimizer", "sgd(lr=0.5)", "--metric", "val_acc",
            "--seed", "0"]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True,
                          env=dict(os.environ, OPTIMIZER_VERDICT_METRIC="val_loss"))
    status, text = progress.outcome(done.returncode, done.stdout)
    assert status == "finished" and text.startswith("val_loss 0.08")


def test_a_failed_run_leaves_why_beside_its_result(tmp_path, program):
    out = make_grid(tmp_path, program, "--metric", "val_acc", seeds="9",
                    optimizers="adam(lr=0.05)")
    failed = out / "prog_adam-lr=0.05_run_s9.failed"
    assert json.loads(failed.read_text())["status"] == "failed (exit 3)"
    assert results.left_out(str(out), []) == [
        ("prog_adam-lr=0.05_run_s9", json.loads(failed.read_text())["status"] + ": "
         + json.loads(failed.read_text())["reason"])]
    # and it has its row in the run table: what it was, its status and why, no numbers
    from pyimagesearch import load_runs
    row = load_runs(str(out)).frame.iloc[0]
    assert (row.run, row.model, row.optimizer, row.seed) == (
        "prog_adam-lr=0.05_run_s9", "prog", "adam(lr=0.05)", 9)
    assert row.status.startswith("failed (exit 3): the program exited 3") and \
        "out of memory" in row.status


def test_each_kind_of_run_has_its_reader_found_by_name(tmp_path, program):
    from pyimagesearch.runs import readers
    assert set(readers.READERS) == {"train.py", "program"}
    assert readers.of_record(None) is readers.trainpy
    assert readers.of_record({"kind": "program"}) is readers.program
    with pytest.raises(ValueError, match="kind 'mystery': no reader"):
        readers.of_record({"kind": "mystery"})
    report = "metric val_loss (final, at step 50): 0.0812\n"
    assert readers.of_report(report) is readers.program
    assert results.parse_report(report)["final"] == pytest.approx(0.0812)


def test_a_runs_size_is_in_its_row(tmp_path, program):
    """A program that logs n_params has its size in runs.csv (the axis of a trend over
    scale); train.py's records count their model's parameters."""
    from pyimagesearch.runs.readers.common import run_size
    assert run_size({"n_params": 1234}) == 1234
    assert run_size({"language_model": {"weights": 99}}) == 99
    assert run_size({}, {"n_params": 5e6}) == 5_000_000 and run_size({}, {}) is None
    assert run_size({"n_params": True}) is None and run_size({"n_params": -3}) is None


def test_a_programs_figures_draw_its_own_metric(tmp_path, program, monkeypatch):
    import matplotlib.pyplot as plt

    from pyimagesearch.outputs import figures
    drawn = {}

    def keep(fig, path):
        drawn[os.path.basename(path)] = [(ax.get_title(), ax.get_xlabel(), ax.get_ylabel())
                                         for ax in fig.axes]
        plt.close(fig)
    monkeypatch.setattr(figures, "save", keep)
    out = make_grid(tmp_path, program, "--metric", "val_loss", "--margin", "0.005")
    assert plot.main(["-i", str(out), "-p", str(tmp_path / "plots")]) == 0
    # its metric against the steps it logged, its logged loss below: no accuracy panel
    assert drawn["prog_run.png"] == [("prog on run (val_loss)", "step", "val_loss"),
                                     ("prog on run (loss)", "step", "loss")]
    assert drawn["overview.png"][0][0] == "final val_loss (lower is better) of every run"


def test_an_old_trials_folder_says_how_to_mark_its_trials(tmp_path, program, capsys):
    """A --trials grid from before runs recorded their tuning family: one line names the
    flag; with --trials-by-name the optimizers are compared each at its tuned setting."""
    import pickle
    out = make_grid(tmp_path, program, "--metric", "val_loss", "--margin", "0.005",
                    optimizers="sgd(lr=[0.1, 0.5]), adam(lr=[0.01, 0.05, 0.1])")
    for path in out.glob("*.pickle"):  # as an older wrapper wrote them: no setting_of
        history = pickle.loads(path.read_bytes())
        del history["run"]["setting_of"]
        path.write_bytes(pickle.dumps(history))
    from pyimagesearch import compare, load_runs
    capsys.readouterr()
    rivals = compare(load_runs(str(out)))
    note = capsys.readouterr().err
    assert "[NOTE]" in note and "3 settings of adam" in note and "--trials-by-name" in note
    assert rivals.tuned is None and len(rivals.problems) == 10  # every pair of 5 settings
    tuned = compare(load_runs(str(out), trials_by_name=True))
    assert "[NOTE]" not in capsys.readouterr().err
    assert {(r["a"], r["b"]) for r in tuned.tuned} in ({("sgd", "adam")}, {("adam", "sgd")})
    plots = tmp_path / "plots"
    assert plot.main(["-i", str(out), "-p", str(plots), "--trials-by-name"]) == 0
    assert "tuned" in (plots / "summary.md").read_text().lower()


@pytest.mark.skipif(__import__("tests.browser", fromlist=["missing"]).missing() and
                    not os.environ.get("REQUIRE_BROWSER"), reason="no headless browser")
def test_the_pages_curves_of_a_program_are_its_own_metric(tmp_path, program):
    """The page draws a program's runs as it logged them: its metric and its losses against
    its steps, never an accuracy panel or epochs it does not have."""
    from tests import browser
    out = make_grid(tmp_path, program, "--metric", "val_acc")
    plots = tmp_path / "plots"
    assert plot.main(["-i", str(out), "-p", str(plots)]) == 0
    with browser.open_page(str(plots / "report.html")) as page:
        p = page.page
        p.wait_for_selector("#figure-0 .main-svg")
        assert page.errors == [] and page.blocked == []
        titles = p.locator("#figure-0 .g-ytitle, #figure-0 .g-y2title").all_text_contents()
        assert titles == ["val_acc", "loss"], titles
        assert set(p.locator("#figure-0 .g-xtitle, #figure-0 .g-x2title")
                   .all_text_contents()) == {"step"}
        ticks = [t.replace(",", "") for t in p.locator("#figure-0 .xtick text").all_text_contents()]
        assert max(float(t) for t in ticks) >= 40  # the steps logged (10 ... 50), not 1 ... 5
        traces = p.locator("#figure-0 .scatterlayer .trace").count()
        assert traces == 2 * 3 * 2  # 2 settings: val_acc, train_loss, val_loss, each a band
