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
    return {f for f in os.listdir(folder) if f.endswith((".pickle", ".txt", ".log"))}


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
    line = script.read_text().splitlines()[2]
    assert line.endswith(">> out/minivggnet_adam_digits.log 2>&1")


def test_parallel_script_with_gpus(tmp_path):
    script = tmp_path / "p.sh"
    combinations.main(["-o", "out", "-s", str(script), "--launcher", "parallel",
                       "--gpus", "2,3", *GRID])
    text = script.read_text()
    assert "parallel --jobs 2 --joblog out/parallel.joblog --resume-failed" in text
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
    assert "  1) python train.py --history out/minivggnet_radam_digits.pickle" in text


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
    from pyimagesearch import grid, launchers
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
