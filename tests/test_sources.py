"""The runs you already have: a tracker's table (CSV, parquet, a DataFrame, wide or long)
and TensorBoard log directories, decided right without rerunning anything; the keys say
what is the optimizer, the seed and the problem; decide.py --ask writes the next round
as a table; a store is never written. Every table and event file here is written by
pandas and tensorboard themselves."""
import csv
import hashlib
import os

import numpy as np
import pytest

import decide
import plot
from pyimagesearch import api
from pyimagesearch.runs import sources

# A known truth: SGD's loss is lower than Adam's by 0.05; AdamW is Adam's A/A twin (the same
# distribution); one SGD run failed.
TRUTH = {"adam": 0.30, "sgd": 0.25, "adamw": 0.30}


def known_runs(seeds=range(6), failed=True, shift=0):
    rng = np.random.default_rng(1 + shift)
    rows = []
    for opt, base in TRUTH.items():
        lr = 0.1 if opt == "sgd" else 0.001
        for seed in seeds:
            rows.append({"run_id": f"{opt}-{seed}", "state": "finished",
                         "params.optimizer": opt, "params.lr": lr, "params.seed": seed,
                         "metrics.val_loss": base + rng.normal(0, 0.01),
                         "metrics.train_loss": 0.8 * base})
    if failed:
        rows.append({"run_id": "sgd-crash", "state": "FAILED", "params.optimizer": "sgd",
                     "params.lr": 0.1, "params.seed": 7})
    return rows


def write_table(path, rows):
    import pandas as pd
    frame = pd.DataFrame(rows)
    if str(path).endswith(".parquet"):
        frame.to_parquet(path)
    else:
        frame.to_csv(path, index=False)
    return str(path)


def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def verdicts(result):
    return {(r["a"], r["b"]): r["verdict"] for r in result.problems}


@pytest.mark.parametrize("ext", ["csv", "parquet"])
def test_a_table_is_decided_right_and_never_written(tmp_path, ext):
    if ext == "parquet":
        pytest.importorskip("pyarrow")
    path = write_table(tmp_path / f"runs.{ext}", known_runs())
    before = sha(path)
    runs = api.load_runs(path, metric="val_loss")
    assert runs.read.startswith("runs: optimizer = optimizer + lr; seed = seed; problem = none; "
                                "18 runs read, 1 left out (sgd-crash: FAILED)")
    result = api.compare(runs, metric="val_loss", margin=0.01)
    found = verdicts(result)
    assert found[("adam(lr=0.001)", "sgd(lr=0.1)")] == "better"  # B - A, lower is better
    assert found[("adam(lr=0.001)", "adamw(lr=0.001)")] not in ("better", "worse")
    assert ("sgd-crash", "FAILED: left out (not finished)") in result.left_out
    frame = runs.frame
    assert frame.loc[frame.run == "sgd-crash", "status"].item().startswith("FAILED")
    assert sha(path) == before  # read, never written


def test_plot_reads_a_table_and_says_what_it_read(tmp_path, capsys):
    path = write_table(tmp_path / "runs.csv", known_runs())
    plots = tmp_path / "plots"
    assert plot.main(["-i", path, "-p", str(plots), "--metric", "val_loss",
                      "--margin", "0.01"]) == 0
    out = capsys.readouterr().out
    assert "[INFO] read runs: optimizer = optimizer + lr" in out
    assert "SGD(lr=0.1) is better than Adam(lr=0.001)" in out
    with open(plots / "runs.csv", newline="") as f:
        assert {r["run"] for r in csv.DictReader(f)} >= {"sgd-crash", "sgd-0"}


def test_a_dataframe_through_the_api():
    import pandas as pd
    frame = pd.DataFrame(known_runs(failed=False))
    result = api.compare(api.load_runs(frame, metric="val_loss"), metric="val_loss",
                         margin=0.01)
    assert verdicts(result)[("adam(lr=0.001)", "sgd(lr=0.1)")] == "better"


def test_a_long_table_has_curves_and_a_speedup(tmp_path):
    rows = []
    for opt, rate in (("adam", 1.0), ("sgd", 2.0)):
        for seed in range(4):
            for step in range(1, 9):
                loss = 1.0 / (1 + rate * step) + 0.002 * seed
                rows.append({"run": f"{opt}{seed}", "step": step * 100, "metric": "val_loss",
                             "value": loss, "optimizer": opt, "seed": seed})
    path = write_table(tmp_path / "long.csv", rows)
    result = api.compare(api.load_runs(path, metric="val_loss"), metric="val_loss", margin=0.01)
    assert verdicts(result)[("adam", "sgd")] == "better"
    speed = result.speedups.iloc[0]
    assert speed.steps_ratio < 0.7 and speed.speedup > 1.4 and speed.verdict == "faster"


def test_keys_and_bad_input_are_one_line(tmp_path, capsys):
    rows = known_runs(failed=False)
    path = write_table(tmp_path / "runs.csv", rows)
    with pytest.raises(ValueError, match=r"--optimizer-key algo: no run has it \(keys present: "
                                         r"lr, optimizer, seed\)"):
        api.load_runs(path, keys=sources.Keys(optimizer="algo"), metric="val_loss")
    with pytest.raises(ValueError, match=r"no run logged val_los \(they logged: train_loss, val_loss\)"):
        api.load_runs(path, metric="val_los")
    twice = write_table(tmp_path / "twice.csv", rows + [dict(rows[0], run_id="adam-0-again")])
    with pytest.raises(ValueError, match="runs adam-0 and adam-0-again are both adam"):
        api.load_runs(twice, metric="val_loss")
    kept = api.load_runs(twice, keys=sources.Keys(duplicates="latest"), metric="val_loss")
    assert "adam-0-again" in set(kept.frame.run) and "adam-0" not in set(kept.frame.run)
    odd = write_table(tmp_path / "odd.csv", rows + [dict(rows[0], run_id="x", **{
        "params.seed": "three"})])
    with pytest.raises(ValueError, match="run x: seed 'three' \\(seed\\) is not an integer"):
        api.load_runs(odd, metric="val_loss")
    partial = write_table(tmp_path / "partial.csv", rows + [
        {"run_id": "quiet", "params.optimizer": "adam", "params.lr": 0.001, "params.seed": 9}])
    with pytest.raises(ValueError, match=r"absent from 1 run\(s\) \(quiet\); --leave-out-missing"):
        api.load_runs(partial, metric="val_loss")
    left = api.load_runs(partial, metric="val_loss", leave_out_missing=True)
    assert left.frame.loc[left.frame.run == "quiet", "status"].item().startswith("no val_loss")
    assert plot.main(["-i", str(tmp_path / "none.csv"), "-p", str(tmp_path / "p")]) == 2
    assert "none.csv: no such file" in capsys.readouterr().err
    assert plot.main(["-i", path, "-p", str(tmp_path / "p"), "--seed-key", "sd"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_settings_that_differ_in_any_parameter_are_never_pooled(tmp_path):
    rows = known_runs(failed=False)
    for r in rows:
        if r["params.optimizer"] == "adam" and r["params.seed"] % 2:
            r["params.batch_size"] = 64
        else:
            r["params.batch_size"] = 32
    runs = api.load_runs(write_table(tmp_path / "runs.csv", rows), metric="val_loss")
    assert "optimizer = optimizer + batch_size + lr" in runs.read
    assert {"adam(batch_size=32, lr=0.001)", "adam(batch_size=64, lr=0.001)"} <= set(
        runs.frame.optimizer)


def write_events(folder, values):
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
    writer = EventFileWriter(str(folder))
    for step, value in values:
        summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(
            tag="val_loss", simple_value=value)])
        writer.add_event(event_pb2.Event(step=step, wall_time=1.0, summary=summary))
    writer.close()


def test_a_tensorboard_log_directory(tmp_path):
    logs = tmp_path / "logs"
    for opt, base in TRUTH.items():
        for seed in range(5):
            noise = ((seed * 7919 + len(opt)) % 11 - 5) / 1000
            write_events(logs / f"optimizer={opt}_seed={seed}",
                         [(s * 10, base * (1 + 1.0 / s) + noise) for s in range(1, 6)])
    runs = api.load_runs(str(logs), metric="val_loss")
    assert runs.read.startswith("logs: optimizer = optimizer; seed = seed; problem = none; 15 runs read")
    result = api.compare(runs, metric="val_loss", margin=0.01)
    assert verdicts(result)[("adam", "sgd")] == "better"
    assert verdicts(result)[("adam", "adamw")] not in ("better", "worse")


def test_decide_asks_for_the_next_seeds_and_takes_the_look_when_they_are_there(tmp_path, capsys):
    rows = known_runs(seeds=range(3), failed=False)
    for r in rows:  # Adam and AdamW: a real but small gap, undecided at 3 seeds
        if r["params.optimizer"] == "adamw":
            r["metrics.val_loss"] -= 0.004
    path = write_table(tmp_path / "runs.csv", rows)
    before = sha(path)
    argv = ["-i", path, "--metric", "val_loss", "--margin", "0.001", "--ask"]
    assert decide.main(argv) == 0
    plots = tmp_path / "runs_plots"
    assert (plots / "decide.json").exists() and sha(path) == before
    with open(plots / "next_runs.csv", newline="") as f:
        asked = list(csv.DictReader(f))
    assert asked and {r["seed"] for r in asked} == {"3", "4", "5"}
    assert {"problem", "setting", "param:lr", "param:optimizer", "param:seed", "seed"} <= set(
        asked[0])
    assert "needs" in capsys.readouterr().out
    # the user runs them in their own system and exports the table again
    for r in asked:
        base = TRUTH[r["param:optimizer"]] - (0.004 if r["param:optimizer"] == "adamw" else 0)
        rows.append({"run_id": f"{r['param:optimizer']}-{r['seed']}", "state": "finished",
                     "params.optimizer": r["param:optimizer"], "params.lr": float(r["param:lr"]),
                     "params.seed": int(r["seed"]), "metrics.val_loss": base + 0.001 * int(r["seed"]) % 3,
                     "metrics.train_loss": 0.8 * base})
    write_table(path, rows)
    assert decide.main(argv) == 0
    assert "look 1 taken" in capsys.readouterr().out
    # without --ask, runs logged elsewhere are not run from here: one line
    with pytest.raises(SystemExit) as exit_:
        decide.main(["-i", path, "--metric", "val_loss", "--margin", "0.001"])
    assert exit_.value.code == 2


def test_decide_ask_on_a_folder_of_ours_writes_the_lines_that_run_them(tmp_path, monkeypatch):
    from tests.test_runs_mean_what_they_say import PROGRAM, make_grid
    program = tmp_path / "prog.py"
    program.write_text(PROGRAM)
    out = make_grid(tmp_path, program, "--metric", "val_loss", "--margin", "0.0001",
                    optimizers="adam(lr=0.05), adamw(lr=0.05)")
    assert decide.main(["-i", str(out), "--ask", "-p", str(tmp_path / "p")]) == 0
    with open(tmp_path / "p" / "next_runs.csv", newline="") as f:
        asked = list(csv.DictReader(f))
    assert asked and all("pyimagesearch.program.wrap" in r["command"] for r in asked)
    assert not [p for p in os.listdir(out) if p.endswith("_s3.pickle")]  # nothing was run


# ------------------------------------------------------------------ MLflow, written by mlflow

def log_to_mlflow(uri, experiment="opt", seeds=range(5)):
    mlflow = pytest.importorskip("mlflow")
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment(experiment)
    rng = np.random.default_rng(0)
    for opt, base in TRUTH.items():
        for seed in seeds:
            with mlflow.start_run(run_name=f"{opt}-{seed}"):
                mlflow.log_params({"optimizer": opt, "lr": 0.1 if opt == "sgd" else 0.001,
                                   "seed": seed})
                for step in range(1, 6):
                    mlflow.log_metric("val_loss", base * (1 + 1 / step) + rng.normal(0, 0.005),
                                      step=step * 10)
    run = mlflow.start_run(run_name="sgd-crash")
    mlflow.log_params({"optimizer": "sgd", "lr": 0.1, "seed": 9})
    mlflow.end_run(status="FAILED")
    assert run.info.run_id
    mlflow.set_tracking_uri("")  # the tests' later code logs nowhere


def decided_right(location, **options):
    runs = api.load_runs(location, metric="val_loss", **options)
    result = api.compare(runs, metric="val_loss", margin=0.01)
    found = verdicts(result)
    assert found[("adam(lr=0.001)", "sgd(lr=0.1)")] == "better"
    assert found[("adam(lr=0.001)", "adamw(lr=0.001)")] not in ("better", "worse")
    assert ("sgd-crash", "FAILED: left out (not finished)") in result.left_out
    return runs


def test_an_mlflow_sqlite_store_is_decided_right_and_never_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # mlflow's artifacts, if any, land here
    db = tmp_path / "mlflow.db"
    log_to_mlflow(f"sqlite:///{db}")
    before = sha(db)
    runs = decided_right(f"mlflow:sqlite:///{db}")
    assert runs.read.startswith("mlflow: optimizer = optimizer + lr; seed = seed; problem = none;"
                                " 15 runs read, 1 left out (sgd-crash: FAILED)")
    assert sha(db) == before
    with pytest.raises(ValueError, match="no experiment 'nope' \\(there are: Default, opt\\)"):
        api.load_runs(f"mlflow:sqlite:///{db}", keys=sources.Keys(experiment="nope"),
                      metric="val_loss")


def test_an_mlflow_store_decides_as_the_same_runs_in_a_table_do(tmp_path, monkeypatch):
    """The same runs, from the store and exported to a long table by MLflow's own client
    (mlflow.search_runs and each metric's history): the same verdicts, intervals and
    speed-ups, whichever way they come."""
    import pandas as pd
    mlflow = pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "mlflow.db"
    log_to_mlflow(f"sqlite:///{db}")
    client = MlflowClient(tracking_uri=f"sqlite:///{db}")
    mlflow.set_tracking_uri(f"sqlite:///{db}")
    found = mlflow.search_runs(experiment_names=["opt"])
    mlflow.set_tracking_uri("")
    rows = []
    for _, run in found.iterrows():
        for point in client.get_metric_history(run.run_id, "val_loss"):
            rows.append({"run": run["tags.mlflow.runName"], "status": run.status,
                         "optimizer": run["params.optimizer"], "lr": float(run["params.lr"]),
                         "seed": int(run["params.seed"]), "step": point.step,
                         "metric": "val_loss", "value": point.value})
    table = tmp_path / "exported.csv"
    pd.DataFrame(rows).to_csv(table, index=False)

    def answer(location):
        result = api.compare(api.load_runs(location, metric="val_loss"), metric="val_loss",
                             margin=0.01)
        return ([(r["a"], r["b"], r["verdict"], round(r["b_minus_a"], 12), r["n"])
                 for r in result.problems],
                [(r["a"], r["b"], r["verdict"], round(r["steps_ratio"], 12))
                 for r in result.speed_rows])
    assert answer(f"mlflow:sqlite:///{db}") == answer(str(table))


def test_an_mlflow_file_store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 warns of it, still writes it
    store = tmp_path / "mlruns"
    try:
        log_to_mlflow(f"file:{store}")
    except Exception as e:  # noqa: BLE001  (a release that no longer writes file stores)
        pytest.skip(f"this mlflow writes no file store: {e}")
    # the user's environment has no opt-out: the store is read as it is, the opt-out set
    # for the read alone
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE")
    decided_right(f"mlflow:file:{store}", keys=sources.Keys(experiment="opt"))
    assert "MLFLOW_ALLOW_FILE_STORE" not in os.environ


def test_an_mlflow_store_that_is_not_there_is_never_made(tmp_path, capsys):
    """A sqlite path that does not exist: one line, and no database created (MLflow would
    create one, a megabyte, before failing); nor the -p folder of a refusal."""
    pytest.importorskip("mlflow")
    db = tmp_path / "nowhere.db"
    plots = tmp_path / "plots"
    assert plot.main(["-i", f"mlflow:sqlite:///{db}", "-p", str(plots), "--metric",
                      "val_loss", "--margin", "0.01"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no such store" in err[0]
    assert not db.exists() and not plots.exists()


def test_a_store_written_by_another_mlflow_is_one_line_and_left_as_it_is(tmp_path, monkeypatch):
    """A store whose schema differs from the installed MLflow's, read by plot.py in a
    process of its own as a user runs it: a newer one (its alembic revision one this MLflow
    does not know, as a newer release writes it) or an older one (a revision its
    migrations know). One line naming the schema, the installed version and the remedy;
    the store byte for byte as it was (no `mlflow db upgrade`), no plots folder."""
    import sqlite3
    from tests.conftest import run_script
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "mlflow.db"
    log_to_mlflow(f"sqlite:///{db}")
    for revision, said in (("f00d0000beef", "written by a newer MLflow (schema f00d0000beef)"),
                           ("0584bdc529eb", "written by an older MLflow (schema 0584bdc529eb)")):
        with sqlite3.connect(db) as connection:  # as another release leaves it
            connection.execute(f"UPDATE alembic_version SET version_num = '{revision}'")
        before = sha(db)
        done = run_script("plot.py", "-i", f"mlflow:sqlite:///{db}", "-p",
                          str(tmp_path / "plots"), "--metric", "val_loss", "--margin", "0.01")
        err = done.stderr.strip().splitlines()
        assert done.returncode == 2 and len(err) == 1, done.stderr
        assert said in err[0] and "never migrates it" in err[0], err[0]
        assert sha(db) == before and not (tmp_path / "plots").exists()


def test_an_mlflow_tracking_server(tmp_path, monkeypatch):
    """A real `mlflow server` on 127.0.0.1, started and stopped here."""
    import socket
    import subprocess
    import sys
    import time
    import urllib.request
    monkeypatch.chdir(tmp_path)
    pytest.importorskip("mlflow")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
         "--backend-store-uri", f"sqlite:///{tmp_path / 'server.db'}",
         "--default-artifact-root", str(tmp_path / "artifacts"), "--workers", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(url + "/health", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("mlflow server did not start in 60 s")
        log_to_mlflow(url, seeds=range(4))
        decided_right(f"mlflow:{url}")
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_without_mlflow_one_line_names_the_extra(monkeypatch):
    import builtins
    real = builtins.__import__

    def no_mlflow(name, *args, **kwargs):
        if name.startswith("mlflow"):
            raise ImportError(name)
        return real(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_mlflow)
    with pytest.raises(ValueError, match=r"needs the mlflow package: pip install '\.\[trackers\]'"):
        api.load_runs("mlflow:sqlite:///nowhere.db", metric="val_loss")


# ------------------------------------------------------------------ W&B offline, written by wandb

WANDB_RUNS = r'''
import sys, numpy as np, wandb
truth = {"adam": 0.30, "sgd": 0.25, "adamw": 0.30}
rng = np.random.default_rng(0)
for opt, base in truth.items():
    for seed in range(5):
        run = wandb.init(project="opt", dir=sys.argv[1], config={
            "optimizer": opt, "lr": 0.1 if opt == "sgd" else 0.001, "seed": seed})
        for step in range(1, 6):
            run.log({"val_loss": base * (1 + 1 / step) + rng.normal(0, 0.005)}, step=step * 10)
        run.finish()
run = wandb.init(project="opt", dir=sys.argv[1], config={"optimizer": "sgd", "lr": 0.1, "seed": 9})
run.log({"val_loss": 9.0}, step=10)
run.finish(exit_code=1)
'''


def test_a_wandb_offline_folder_is_decided_right_and_never_written(tmp_path):
    import subprocess
    import sys
    pytest.importorskip("wandb")
    script = tmp_path / "log.py"
    script.write_text(WANDB_RUNS)
    env = dict(os.environ, WANDB_MODE="offline", WANDB_SILENT="true",
               WANDB_DIR=str(tmp_path), WANDB_CONFIG_DIR=str(tmp_path / "config"))
    done = subprocess.run([sys.executable, str(script), str(tmp_path)], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    folder = tmp_path / "wandb"
    files = sorted(folder.rglob("*.wandb"))
    before = [sha(p) for p in files]
    runs = api.load_runs(str(folder), metric="val_loss")
    assert runs.read.startswith("wandb: optimizer = optimizer + lr; seed = seed; problem = none; "
                                "15 runs read, 1 left out (")
    assert "exit 1" in runs.read
    result = api.compare(runs, metric="val_loss", margin=0.01)
    found = verdicts(result)
    assert found[("adam(lr=0.001)", "sgd(lr=0.1)")] == "better"
    assert found[("adam(lr=0.001)", "adamw(lr=0.001)")] not in ("better", "worse")
    assert [sha(p) for p in sorted(folder.rglob("*.wandb"))] == before


def test_the_readers_tests_do_not_skip_where_their_packages_are_installed():
    """CI installs the trackers' extra (INSTALL_TRACKERS=1): there their tests must run."""
    if os.environ.get("INSTALL_TRACKERS") != "1":
        pytest.skip("the trackers' extra is not installed here (INSTALL_TRACKERS=1 installs it)")
    import mlflow  # noqa: F401
    import pyarrow  # noqa: F401
    import wandb  # noqa: F401
