"""The grid on many GPUs or a cluster: scripts for GNU parallel and Slurm, run by the real engines."""
import os
import shutil
import subprocess

import pytest

import combinations
from tests import slurm_cluster
from tests.conftest import ROOT

TINY = "--epochs 1 --batch-size 32 --train-limit 64 --test-limit 32 --seed 0"
GRID = ["--datasets", "digits", "--models", "minivggnet", "--train-args", TINY]
NAMES = {"minivggnet_adam_digits", "minivggnet_radam_digits"}


def outputs(folder):
    """The runs' files (the launchers' journal, progress.log, aside)."""
    return {f for f in os.listdir(folder) if f.endswith((".pickle", ".txt", ".log"))
            and f != "progress.log"}


def logs(folder):
    """Every log's last lines: what a failing assertion shows of why the runs failed."""
    return "\n".join(f"--- {f}\n" + "".join(open(os.path.join(folder, f)).readlines()[-5:])
                     for f in sorted(os.listdir(folder)) if f.endswith((".log", ".out")))


def expected_outputs():
    return {n + ext for n in NAMES for ext in (".pickle", ".txt", ".log")}


def test_default_launcher_is_the_original_script(tmp_path):
    a, b = tmp_path / "a.sh", tmp_path / "b.sh"
    combinations.main(["-o", "output", "-s", str(a)])
    combinations.main(["-o", "output", "-s", str(b), "--launcher", "sh"])
    assert a.read_text() == b.read_text()
    assert ">>" not in a.read_text()


def test_sh_logs(tmp_path):
    script = tmp_path / "s.sh"
    combinations.main(["-o", "out", "-s", str(script), "--logs", *GRID])
    lines = script.read_text().splitlines()
    first = next(line for line in lines if line.startswith("python -m pyimagesearch.launch.progress 1 "))
    assert first.startswith("python -m pyimagesearch.launch.progress 1 2 out/minivggnet_adam_digits.log "
                            "'python train.py --history out/minivggnet_adam_digits.pickle")
    assert lines[-2:] == ["python -m pyimagesearch.launch.progress tally 2 out", "exit $failed"]


def test_a_grid_without_logs_reports_and_fails_loudly_from_any_folder(tmp_path):
    """Any grid but the original 24 lines: progress, the tally and a non-zero exit when a
    run failed, without --logs too (the runs' output shows on the terminal), and the same
    from another working directory; skips are decided before Keras is imported."""
    import time
    out, script = tmp_path / "out", tmp_path / "g.sh"
    tiny = TINY.replace("--seed 0", "")
    # the first run's model cannot be built; the second trains
    assert combinations.main(["-o", str(out), "-s", str(script), "--datasets", "digits",
                              "--models", "tests.custom_parts:fails_to_build,tests.custom_parts:dense",
                              "--optimizers", "adam", "--seeds", "0", "--train-args", tiny]) == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run(["sh", str(script)], cwd=elsewhere, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("[1/2] tests.custom_parts.fails_to_build_adam_digits_s0: FAILED") for line in lines)
    assert any(line.startswith("[2/2] tests.custom_parts.dense_adam_digits_s0: test accuracy") for line in lines)
    assert "[INFO] training" in result.stdout  # the run's own output, on the terminal
    assert lines[-1].startswith("2 runs: 1 finished, 1 failed, 0 skipped")
    assert "No module named" not in result.stdout + result.stderr
    start = time.time()
    again = subprocess.run(["sh", str(script)], cwd=elsewhere, capture_output=True, text=True,
                           timeout=600)
    assert "[2/2] tests.custom_parts.dense_adam_digits_s0: skipped, already finished" in again.stdout
    assert time.time() - start < 30  # two runs' starts at most, no training (a timing-free bound)


def test_sh_logs_reports_progress_failures_and_exits_non_zero(tmp_path):
    """A grid run with --logs: one line per run, the tally, and a failure that is not
    silent (the rerun asks for another epoch count than the finished runs had)."""
    out, script = tmp_path / "out", tmp_path / "s.sh"
    combinations.main(["-o", str(out), "-s", str(script), "--logs", *GRID])
    first = subprocess.run([str(script)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr + logs(out)
    lines = first.stdout.splitlines()
    assert lines[0].startswith("[1/2] minivggnet_adam_digits: test accuracy 0.")
    assert lines[1].startswith("[2/2] minivggnet_radam_digits: test accuracy 0.")
    assert lines[-1] == "2 runs: 2 finished, 0 failed, 0 skipped"
    os.remove(out / "minivggnet_radam_digits.pickle")  # lost: trained again on the rerun
    again = tmp_path / "again.sh"
    combinations.main(["-o", str(out), "-s", str(again), "--logs", "--datasets", "digits",
                       "--models", "minivggnet", "--train-args", TINY.replace("--epochs 1", "--epochs 2")])
    second = subprocess.run([str(again)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert second.returncode == 1
    lines = second.stdout.splitlines()
    assert lines[0].startswith("[1/2] minivggnet_adam_digits: FAILED (exit 2): train.py: error: ")
    assert "epochs: 1 there, 2 here" in lines[0] and "--force" in lines[0]
    assert lines[1].startswith("[2/2] minivggnet_radam_digits: test accuracy")
    assert lines[-1] == "2 runs: 1 finished, 1 failed, 0 skipped (failed: minivggnet_adam_digits)"
    third = subprocess.run([str(script)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert third.stdout.splitlines()[0] == "[1/2] minivggnet_adam_digits: skipped, already finished"


def test_parallel_script_with_gpus(tmp_path):
    script = tmp_path / "p.sh"
    combinations.main(["-o", "out", "-s", str(script), "--launcher", "parallel",
                       "--gpus", "2,3", *GRID])
    text = script.read_text()
    assert "parallel --jobs 2 --joblog out/parallel.joblog --resume-failed" in text
    assert text.endswith("RUNS\nstatus=$?\npython -m pyimagesearch.launch.progress tally 2 out\nexit $status\n")
    assert "CUDA_VISIBLE_DEVICES=$(echo 2,3 | cut -d, -f{%})" in text
    assert text.count("python train.py") == 2


def test_slurm_script_options(tmp_path):
    script = tmp_path / "s.sh"
    combinations.main(["-o", "out", "-s", str(script), "--launcher", "slurm", "--gres-gpu",
                       "--partition", "gpu", "--time", "04:00:00", "--throttle", "2",
                       "--sbatch=--mem=16G", "--sbatch=--requeue", *GRID])
    text = script.read_text()
    for line in ("#SBATCH --array=0-1%2", "#SBATCH --gres=gpu:1", "#SBATCH --partition=gpu",
                 "#SBATCH --time=04:00:00", "#SBATCH --mem=16G", "#SBATCH --requeue"):
        assert line + "\n" in text
    assert "  1) python -m pyimagesearch.launch.progress 2 2 out/minivggnet_radam_digits.log " \
           "'python train.py --history out/minivggnet_radam_digits.pickle" in text


@pytest.mark.parametrize("args", [["--gpus", "0"], ["--partition", "x"],
                                  ["--launcher", "parallel", "--gpus", "0", "--jobs", "2"],
                                  ["--launcher", "parallel", "--gpus", "a"]])
def test_launcher_options_checked(tmp_path, args):
    with pytest.raises(SystemExit):
        combinations.main(["-o", "o", "-s", str(tmp_path / "x.sh"), *args])


@pytest.mark.skipif(shutil.which("parallel") is None,
                    reason="GNU parallel is not installed (apt-get install parallel; CI does)")
def test_gnu_parallel_runs_the_grid_and_a_rerun_redoes_only_failures(tmp_path):
    out = tmp_path / "out"
    script = tmp_path / "p.sh"
    combinations.main(["-o", str(out), "-s", str(script), "--launcher", "parallel",
                       "--jobs", "2", *GRID])
    result = subprocess.run([str(script)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr + logs(out)
    assert outputs(out) == expected_outputs()
    assert sorted(result.stdout.splitlines())[:2] == [
        "2 runs: 2 finished, 0 failed, 0 skipped"] + [
        line for line in result.stdout.splitlines() if line.startswith("[1/2]")]
    # a run lost (deleted) and marked failed: the rerun trains it, and only it
    os.remove(out / "minivggnet_radam_digits.pickle")
    rows = [line.split("\t") for line in (out / "parallel.joblog").read_text().splitlines()]
    exitval = rows[0].index("Exitval")
    for row in rows[1:]:
        if "radam" in row[-1]:
            row[exitval] = "1"
    (out / "parallel.joblog").write_text("\n".join("\t".join(r) for r in rows) + "\n")
    adam_log = (out / "minivggnet_adam_digits.log").read_text()
    result = subprocess.run([str(script)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr + logs(out)
    assert outputs(out) == expected_outputs()
    assert (out / "minivggnet_adam_digits.log").read_text() == adam_log  # not run again
    assert (out / "minivggnet_radam_digits.log").read_text().count("[INFO] wrote") == 2
    assert result.stdout.splitlines()[-1] == "2 runs: 1 finished, 0 failed, 1 skipped"


@pytest.mark.skipif(shutil.which("parallel") is None,
                    reason="GNU parallel is not installed (apt-get install parallel; CI does)")
def test_gnu_parallel_reports_a_failed_run_and_exits_non_zero(tmp_path):
    out, script = tmp_path / "out", tmp_path / "p.sh"
    combinations.main(["-o", str(out), "-s", str(script), "--launcher", "parallel", "--jobs", "2",
                       "--datasets", "digits", "--models",
                       "minivggnet,tests.custom_parts:fails_to_build", "--optimizers", "adam",
                       "--train-args", TINY])
    result = subprocess.run([str(script)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode != 0
    failed = [line for line in result.stdout.splitlines() if "FAILED" in line]
    assert len(failed) == 1 and "fails_to_build" in failed[0] and ".log" in failed[0]
    assert "RuntimeError: this model is broken on purpose" in failed[0]
    assert result.stdout.splitlines()[-1].startswith("2 runs: 1 finished, 1 failed, 0 skipped")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    why = slurm_cluster.unavailable()
    if why:
        pytest.skip(f"Slurm cannot be started here: {why}")
    c = slurm_cluster.Cluster(str(tmp_path_factory.mktemp("slurm")))
    c.start()
    yield c
    c.stop()


def test_slurm_array_runs_every_task(tmp_path, cluster):
    out = tmp_path / "out"
    script = tmp_path / "s.sh"
    combinations.main(["-o", str(out), "-s", str(script), "--launcher", "slurm", *GRID])
    job = cluster.sbatch(str(script), cwd=ROOT)
    cluster.wait(job)
    assert expected_outputs() <= outputs(out), logs(out)
    # resubmitted: the finished runs are skipped, not trained again
    job = cluster.sbatch(str(script), cwd=ROOT)
    cluster.wait(job)
    for name in NAMES:
        log = (out / f"{name}.log").read_text()
        assert log.count("[INFO] wrote") == 1 and "skipping" in log
    journal = (out / "progress.log").read_text()
    assert journal.count("2 runs: 2 finished, 0 failed, 0 skipped") == 1
    assert journal.count("2 runs: 0 finished, 0 failed, 2 skipped") == 1


def test_parallel_script_with_a_repeated_gpu(tmp_path):
    script = tmp_path / "p.sh"
    combinations.main(["-o", "out", "-s", str(script), "--launcher", "parallel",
                       "--gpus", "0,0,1,1", *GRID])
    text = script.read_text()
    assert "--jobs 4 " in text
    assert "TF_FORCE_GPU_ALLOW_GROWTH=true XLA_PYTHON_CLIENT_PREALLOCATE=false " \
           "CUDA_VISIBLE_DEVICES=$(echo 0,0,1,1 | cut -d, -f{%})" in text
    assert "GPUs 0 (2 at once), 1 (2 at once)" in text
    single = tmp_path / "s.sh"
    combinations.main(["-o", "out", "-s", str(single), "--launcher", "parallel", "--gpus", "0,1",
                       *GRID])
    assert "ALLOW_GROWTH" not in single.read_text()


@pytest.mark.skipif(shutil.which("parallel") is None,
                    reason="GNU parallel is not installed (apt-get install parallel; CI does)")
def test_gnu_parallel_with_a_gpu_list_gives_each_run_its_gpu_and_growth(tmp_path):
    """A real GNU parallel run of the generated script: every run sees its GPU and the
    allocate-as-needed variables (runs here print them instead of training)."""
    from pyimagesearch import grid
    from pyimagesearch.launch import launchers
    runs = [grid.Run("digits", "minivggnet", "adam", seed=s) for s in range(4)]
    show = ("python -c \"import os; print('seen', os.environ['CUDA_VISIBLE_DEVICES'], "
            "os.environ.get('TF_FORCE_GPU_ALLOW_GROWTH'), "
            "os.environ.get('XLA_PYTHON_CLIENT_PREALLOCATE'))\"")
    out = tmp_path / "out"
    text = launchers.parallel_script(runs, str(out), [show] * 4, gpus=["0", "0", "1", "1"])
    script = tmp_path / "p.sh"
    script.write_text(text)
    script.chmod(0o755)
    result = subprocess.run([str(script)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    seen = [(out / f"{r.name}.log").read_text().split() for r in runs]
    assert all(s[0] == "seen" and s[2:] == ["true", "false"] for s in seen)
    assert {s[1] for s in seen} <= {"0", "1"}


def test_decide_submits_its_rounds_to_slurm_and_is_run_again_after_them(tmp_path, cluster):
    """decide.py --launcher slurm: a round is an sbatch array; decide.py exits, and run
    again after the round it takes the next look (here the last: the cap of 4 seeds)."""
    import re
    import sys
    out, script = tmp_path / "out", tmp_path / "grid.sh"
    combinations.main(["-o", str(out), "-s", str(script), "--datasets", "digits", "--models",
                       "tests.custom_parts:dense", "--optimizers",
                       "adam(learning_rate=0.01),sgd(learning_rate=0.1)", "--seeds", "0,1,2",
                       "--logs", "--train-args",
                       "--epochs 2 --train-limit 300 --test-limit 100 --batch-size 16"])
    assert subprocess.run(["sh", str(script)], cwd=ROOT, capture_output=True).returncode == 0
    command = [sys.executable, "decide.py", "-i", str(out), "-p", str(tmp_path / "plots"),
               "--max-seeds", "4", "--launcher", "slurm"]
    first = subprocess.run(command, cwd=ROOT, env=cluster.env, capture_output=True, text=True,
                           timeout=300)
    assert first.returncode == 0, first.stderr[-2000:]
    job = re.search(r"Submitted batch job (\d+)", first.stdout)
    assert job and "run decide.py again" in first.stdout, first.stdout
    cluster.wait(job[1])
    assert {"tests.custom_parts.dense_adam-learning_rate=0.01_digits_s3.pickle",
            "tests.custom_parts.dense_sgd-learning_rate=0.1_digits_s3.pickle"} <= \
        set(os.listdir(out)), logs(out)
    second = subprocess.run(command, cwd=ROOT, env=cluster.env, capture_output=True, text=True,
                            timeout=300)
    assert second.returncode == 0, second.stderr[-2000:]
    assert (tmp_path / "plots" / "verdicts.csv").exists()
    assert "Submitted" not in second.stdout  # the cap reached: no further round
