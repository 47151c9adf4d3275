"""Your own training program: a command template, the wrapper, the metrics files the
field's tools write, and the verdicts, decide.py's rounds and the page on its runs."""
import csv
import json
import os
import re
import subprocess
import sys

import pytest

import combinations
import plot
from pyimagesearch.program import command
from pyimagesearch.runs import metrics, results
from tests.conftest import ROOT, run_script, train_lines

# A program the project never imports: its "optimizer" sets how good it is, per seed.
PROGRAM = r'''
import argparse, json, math, os, sys, time
ap = argparse.ArgumentParser()
ap.add_argument("--opt"); ap.add_argument("--seed", type=int); ap.add_argument("--out")
ap.add_argument("--level", type=float, default=0.8); ap.add_argument("--format", default="jsonl")
args, rest = ap.parse_known_args()
if args.opt == "crash":
    print("something broke inside the program", file=sys.stderr); sys.exit(3)
if args.opt == "slow":
    time.sleep(30)
noise = ((args.seed * 7919) % 13 - 6) / 600  # a seed effect both optimizers share
noise += ((args.seed * 31 + sum(map(ord, args.opt or ""))) % 7 - 3) / 3000  # and its own
values = [args.level * (1 - 0.5 ** k) + noise for k in range(1, 5)]
if args.opt == "diverge":
    values[-1] = float("nan")
os.makedirs(args.out, exist_ok=True)
if args.format == "jsonl":
    with open(os.path.join(args.out, "metrics.jsonl"), "w") as f:
        for k, v in enumerate(values):
            f.write(json.dumps({"step": 10 * (k + 1), "epoch": k, "val_acc": v, "loss": 1 - v}) + "\n")
elif args.format == "stdout":
    print(json.dumps({"val_acc": values[-1]}))
elif args.format == "broken":
    with open(os.path.join(args.out, "metrics.jsonl"), "w") as f:
        f.write('{"step": 1, "val_acc": 0.5}\n{"step": 2, "val_')
'''


@pytest.fixture
def program(tmp_path):
    path = tmp_path / "prog.py"
    path.write_text(PROGRAM)
    return path


def template(program, extra=""):
    return f"python {program} --opt {{optimizer}} {{args}} --seed {{seed}} --out {{run_dir}}{extra}"


def grid(tmp_path, argv):
    out, script = tmp_path / "out", tmp_path / "grid.sh"
    code = combinations.main(["-o", str(out), "-s", str(script), *argv])
    return code, out, script


def run(script, cwd=ROOT):
    return subprocess.run(["sh", str(script)], cwd=cwd, capture_output=True, text=True, timeout=600)


# ------------------------------------------------------------------ metrics files

def test_lightning_csv_with_empty_cells(tmp_path):
    (tmp_path / "lightning_logs" / "version_0").mkdir(parents=True)
    (tmp_path / "lightning_logs" / "version_0" / "metrics.csv").write_text(
        "epoch,step,train_loss,val_acc,val_loss\n0,9,2.1,,\n0,9,,0.5,1.9\n1,19,1.5,,\n1,19,,0.75,1.2\n")
    source, found = metrics.read(str(tmp_path))
    assert source.endswith("metrics.csv")
    assert found["val_acc"] == [(9.0, 0.0, 0.5), (19.0, 1.0, 0.75)]
    history = metrics.history(found, "val_acc")
    assert history["step"] == [9.0, 19.0] and history["train_loss"] == [2.1, 1.5]


def test_trainer_state_json_and_jsonl_and_stdout(tmp_path):
    (tmp_path / "hf").mkdir()
    (tmp_path / "hf" / "trainer_state.json").write_text(json.dumps({"log_history": [
        {"loss": 2.0, "epoch": 0.5, "step": 50},
        {"eval_loss": 1.5, "eval_accuracy": 0.6, "epoch": 1.0, "step": 100},
        {"eval_loss": 1.1, "eval_accuracy": 0.7, "epoch": 2.0, "step": 200}]}))
    found = metrics.read(str(tmp_path / "hf"))[1]
    assert [v for _, _, v in found["eval_accuracy"]] == [0.6, 0.7] and found["loss"][0][0] == 50
    (tmp_path / "j").mkdir()
    (tmp_path / "j" / "metrics.jsonl").write_text('{"step": 1, "acc": 0.1}\n\n{"step": 2, "acc": 0.2}\n')
    assert metrics.read(str(tmp_path / "j"))[1]["acc"][-1] == (2.0, None, 0.2)
    (tmp_path / "s").mkdir()
    assert metrics.read(str(tmp_path / "s"), "training...\n{\"acc\": 0.9}\n")[1]["acc"] == [(0, None, 0.9)]
    with pytest.raises(metrics.MetricsError, match="no metrics.jsonl, metrics.csv"):
        metrics.read(str(tmp_path / "s"), "done\n")
    (tmp_path / "j" / "metrics.jsonl").write_text('{"step": 1, "acc": 0.1}\n{"step": 2, "ac')
    with pytest.raises(metrics.MetricsError, match="line 2 is not a JSON object"):
        metrics.read(str(tmp_path / "j"))


def test_tensorboard_events_written_by_tensorboard_itself(tmp_path):
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
    for folder, offset in (("train", 0.0), ("validation", 0.1)):
        writer = EventFileWriter(str(tmp_path / folder))
        for step in (1, 2, 3):
            summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(
                tag="acc", simple_value=0.2 * step + offset)])
            writer.add_event(event_pb2.Event(step=step, wall_time=1.0, summary=summary))
        writer.close()
    found = metrics.read(str(tmp_path))[1]
    assert sorted(found) == ["train/acc", "validation/acc"]
    assert [round(v, 6) for _, _, v in found["validation/acc"]] == [0.3, 0.5, 0.7]


# ------------------------------------------------------------------ bad input, before any run

@pytest.mark.parametrize("tmpl, optimizers, message", [
    ("python {prog} --opt {optimizer} --lr {lr} --seed {seed} --out {run_dir}", "a(x=1),b(x=2)",
     "{lr} is not defined"),
    ("python {prog} --opt {optimizer} --x {x} --seed {seed} --out {run_dir}", "a(x=1),b(y=2)",
     "'b(y=2)' has no argument 'x'"),
    ("python {prog} --opt {optimizer} --out {run_dir}", "a,b", "no {seed}"),
    ("python {prog} --opt {optimizer} --seed {seed}", "a,b", "no {run_dir}"),
    ("no_such_program_here --seed {seed} --out {run_dir}", "a,b", "not found"),
    ("python missing.py --seed {seed} --out {run_dir}", "a,b", "missing.py: no such file"),
    ("python {prog} --x={args} --seed {seed} --out {run_dir}", "a,b", "stands alone"),
    ("python {prog} --x {optimizer.__class__} --seed {seed} --out {run_dir}", "a,b",
     "is not a placeholder"),
    ("python {prog} --seed {seed} --out {run_dir} --p {problem}", "a,b", "needs --problems"),
])
def test_a_bad_template_is_one_line_before_anything(tmp_path, program, capsys, tmpl, optimizers, message):
    with pytest.raises(SystemExit) as exit_:
        grid(tmp_path, ["--command", tmpl.replace("{prog}", str(program)), "--metric", "val_acc",
                        "--optimizers", optimizers])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "grid.sh").exists() and not (tmp_path / "out").exists()


def test_the_settings_are_handed_to_the_program_not_resolved_by_keras(tmp_path, program):
    code, out, script = grid(tmp_path, [
        "--command", template(program), "--metric", "val_acc", "--seeds", "0,1",
        "--optimizers", "muonish(learning_rate=3e-4, weight_decay=0.1),adamw(learning_rate=[1e-3,3e-4])"])
    assert code == 0
    lines = train_lines(script.read_text())
    assert len(lines) == 6 and all("pyimagesearch.program.wrap" in line for line in lines)
    expanded = command.expand(template(program), "muonish(learning_rate=0.0003, weight_decay=0.1)",
                              1, "out/r")
    assert expanded[2:] == [str(tmp_path / "prog.py"), "--opt", "muonish", "--learning_rate",
                            "0.0003", "--weight_decay", "0.1", "--seed", "1", "--out", "out/r"][1:]
    with pytest.raises(SystemExit):  # the same setting twice: refused
        grid(tmp_path, ["--command", template(program), "--metric", "m", "--optimizers", "a(x=1),a( x=1 )"])


# ------------------------------------------------------------------ the grid, the verdicts

def test_a_program_grid_its_failures_and_its_verdicts(tmp_path, program):
    """Real runs of a program the project never imports: the verdicts read its metric; a
    crash, a timeout, a metric it did not write, a damaged file and a NaN are failed (or
    diverged) runs while the others go on, and the tally counts them."""
    code, out, script = grid(tmp_path, [
        "--command", template(program), "--metric", "val_acc", "--seeds", "0,1,2",
        "--optimizers", "good(level=0.9),bad(level=0.8),twin(level=0.9),crash,slow,diverge",
        "--timeout", "5"])
    assert code == 0
    result = run(script, cwd=tmp_path)  # from another folder, too
    assert result.returncode == 1
    lines = [line for line in result.stdout.splitlines()  # the progress lines and the tally
             if re.match(r"^\[\d+/18\] |^18 runs: ", line)]
    assert any("good-level=0.9_run_s0: val_acc 0.8" in line for line in lines)
    crash = next(line for line in lines if "crash_run_s0" in line)
    assert "FAILED (exit 3)" in crash and "something broke inside the program" in crash
    assert "timed out after 5 s" in next(line for line in lines if "slow_run_s0" in line)
    assert lines[-1].startswith("18 runs: 12 finished, 6 failed, 0 skipped")
    record = results.load_history(str(out / "prog_good-level=0.9_run_s0.pickle"))["run"]
    assert record["command"][-4:] == ["--seed", "0", "--out", str(out / "prog_good-level=0.9_run_s0")]
    assert len(record["program_sha256"]) == 64 and "commit" in (record["git"] or {"commit": 1})
    plots = tmp_path / "plots"
    assert plot.main(["-i", str(out), "-p", str(plots)]) == 0
    with open(plots / "verdicts.csv") as f:
        rows = {(r["a"], r["b"]): r for r in csv.DictReader(f) if r["scope"] == "problem"}
    assert rows[("bad(level=0.8)", "good(level=0.9)")]["verdict"] == "better"
    assert rows[("good(level=0.9)", "twin(level=0.9)")]["verdict"] in ("equivalent", "undecided")
    summary = (plots / "summary.csv").read_text()
    assert "diverged" in summary  # the NaN run is a diverged run, not a failure
    runs = (plots / "runs.csv").read_text()
    assert "prog_good-level=0.9_run_s0" in runs and (plots / "report.html").exists()
    epochs = (plots / "epochs.csv").read_text()
    assert "prog_good-level=0.9_run_s0,4,val_acc," in epochs and ",step," in epochs
    again = run(script)
    assert "good-level=0.9_run_s0: skipped, already finished" in again.stdout


def test_missing_metric_damaged_file_and_stdout_json(tmp_path, program):
    for fmt, metric, expected in (("jsonl", "accuracy", "metric 'accuracy' not in"),
                                  ("broken", "val_acc", "line 2 is not a JSON object"),
                                  ("stdout", "val_acc", None)):
        folder = tmp_path / fmt
        code, out, script = grid(folder, ["--command", template(program, f" --format {fmt}"),
                                          "--metric", metric, "--seeds", "0", "--optimizers", "a,b"])
        result = run(script)
        if expected:
            assert result.returncode == 1 and expected in result.stdout, result.stdout
            if fmt == "jsonl":
                assert "(it has: epoch" not in result.stdout and "loss, val_acc" in result.stdout
        else:
            assert result.returncode == 0, result.stdout + result.stderr
            assert "val_acc 0.4" in result.stdout or "val_acc 0." in result.stdout


def test_decide_adds_seeds_by_expanding_the_recorded_template(tmp_path, program):
    code, out, script = grid(tmp_path, [
        "--command", template(program), "--metric", "val_acc", "--seeds", "0,1,2",
        "--optimizers", "a(level=0.9),b(level=0.895)", "--problems", "p1,p2",
        "--command", template(program, " --problem {problem}")])
    assert code == 0 and run(script).returncode == 0
    result = run_script("decide.py", "-i", str(out), "-p", str(tmp_path / "plots"), "--max-seeds", "5")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "round 1:" in result.stdout
    seeds = sorted(int(p.stem.rsplit("_s", 1)[1]) for p in out.glob("prog_a-level=0.9_p1_s*.pickle"))
    assert seeds[:4] == [0, 1, 2, 3]
    with open(tmp_path / "plots" / "verdicts.csv") as f:
        rows = [r for r in csv.DictReader(f) if r["scope"] == "problem"]
    assert {r["dataset"] for r in rows} == {"p1", "p2"} and all(r["model"] == "prog" for r in rows)


def test_a_tuning_grid_on_one_seed_gets_its_seeds_before_any_verdict(tmp_path, program):
    """A grid tuned on one seed cannot be tested as run: its look spends no alpha, and the
    first round brings the chosen settings to --max-seeds 3 (it used to spend all of alpha
    on the one-seed look and add nothing)."""
    code, out, script = grid(tmp_path, [
        "--command", template(program), "--metric", "val_acc", "--seeds", "0", "--tune",
        "--optimizers", "a(level=[0.9, 0.6]),b(level=[0.5, 0.8])"])
    assert code == 0 and run(script).returncode == 0
    result = run_script("decide.py", "-i", str(out), "-p", str(tmp_path / "plots"),
                        "--max-seeds", "3")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "looks at 1, 3 seeds (alpha 0.0%, 100.0%)" in result.stdout
    assert "RuntimeWarning" not in result.stderr
    for setting, seeds in (("a-level=0.9", [0, 1, 2]), ("a-level=0.6", [0]),
                           ("b-level=0.8", [0, 1, 2]), ("b-level=0.5", [0])):
        found = sorted(int(p.stem.rsplit("_s", 1)[1]) for p in out.glob(f"prog_{setting}_run_s*.pickle"))
        assert found == seeds, setting
    with open(tmp_path / "plots" / "verdicts.csv") as f:
        tuned = [r for r in csv.DictReader(f) if r["scope"] == "tuned" and r["a"] == "a"]
    assert tuned and tuned[0]["n"] == "3" and tuned[0]["verdict"] == "worse"


def test_the_grid_as_a_toml_file(tmp_path, program):
    experiment = tmp_path / "experiment.toml"
    experiment.write_text(f'''command = "{template(program)}"
metric = "val_acc"
optimizers = ["a(level=0.9)", "b(level=0.8)"]
seeds = [0, 1]
output = "{tmp_path / 'out'}"
script = "{tmp_path / 'grid.sh'}"
logs = true
''')
    assert combinations.main(["--experiment", str(experiment)]) == 0
    text = (tmp_path / "grid.sh").read_text()
    assert len(train_lines(text)) == 4 and ".log " in text
    experiment.write_text(experiment.read_text() + 'colour = "blue"\n')
    with pytest.raises(SystemExit) as exit_:
        combinations.main(["--experiment", str(experiment)])
    assert exit_.value.code == 2


# ------------------------------------------------------------------ the examples, for real

def test_the_pytorch_example_writes_lightning_csv_and_tensorboard(tmp_path):
    pytest.importorskip("torch")
    for log in ("csv", "tensorboard"):
        out = tmp_path / log
        done = subprocess.run([sys.executable, "examples/torch_loop.py", "--optimizer", "adam",
                               "--lr", "0.003", "--seed", "0", "--out", str(out), "--epochs", "3",
                               "--log", log], cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
        source, found = metrics.read(str(out))
        assert ("metrics.csv" in source) == (log == "csv")
        assert len(found["val_acc"]) == 3 and found["val_acc"][-1][2] > 0.5


def test_the_jax_example_writes_json_lines(tmp_path):
    pytest.importorskip("jax")
    pytest.importorskip("optax")
    done = subprocess.run([sys.executable, "examples/jax_loop.py", "--optimizer", "adam",
                           "--learning_rate", "0.003", "--seed", "0", "--out", str(tmp_path),
                           "--epochs", "3"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    found = metrics.read(str(tmp_path))[1]
    assert len(found["val_acc"]) == 3 and found["val_acc"][-1][2] > 0.5


def test_a_real_pytorch_program_decided_and_an_a_a_pair_never_separated(tmp_path):
    """torch.optim's Adam against plain SGD at a small rate (a real difference of many
    points) and Adam against Adam with another epsilon (a detail that cannot matter),
    through combinations.py --command, the written script and decide.py."""
    pytest.importorskip("torch")
    tmpl = ("python examples/torch_loop.py --optimizer {optimizer} {args} --seed {seed} "
            "--out {run_dir} --epochs 3")
    code, out, script = grid(tmp_path, ["--command", tmpl, "--metric", "val_acc", "--seeds", "0,1,2",
                                        "--optimizers", "adam(lr=0.003),adam(lr=0.003, eps=1e-07),"
                                        "sgd(lr=0.01)", "--logs"])
    assert code == 0 and run(script).returncode == 0
    result = run_script("decide.py", "-i", str(out), "-p", str(tmp_path / "plots"), "--max-seeds", "8")
    assert result.returncode == 0, result.stderr[-2000:]
    with open(tmp_path / "plots" / "verdicts.csv") as f:
        rows = {(r["a"], r["b"]): r for r in csv.DictReader(f) if r["scope"] == "problem"}
    assert rows[("adam(lr=0.003)", "sgd(lr=0.01)")]["verdict"] == "worse"
    assert int(rows[("adam(lr=0.003)", "sgd(lr=0.01)")]["n"]) <= 8
    assert rows[("adam(lr=0.003)", "adam(lr=0.003, eps=1e-07)")]["verdict"] in ("equivalent", "undecided")
    assert os.path.exists(tmp_path / "plots" / "report.html")
