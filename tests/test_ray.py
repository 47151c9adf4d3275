"""--launcher ray: each run a Ray task, on a local Ray the script starts; the same skip,
tally, failure and Ctrl-C semantics as the other launchers. A program the project never
imports stands in for training (tests.test_own_program's), so Ray, not Keras, is timed."""
import os
import signal
import subprocess
import sys
import time

import pytest

import combinations
from tests.test_own_program import PROGRAM, template

NEEDS_RAY = pytest.mark.skipif(
    not os.environ.get("CI") and __import__("importlib").util.find_spec("ray") is None,
    reason="ray is not installed (pip install '.[ray]'; CI does)")


@pytest.fixture
def program(tmp_path):
    path = tmp_path / "prog.py"
    path.write_text(PROGRAM)
    return path


def write_grid(tmp_path, program, optimizers, *extra):
    out, script = tmp_path / "out", tmp_path / "grid.sh"
    assert combinations.main(["-o", str(out), "-s", str(script), "--command", template(program),
                              "--metric", "val_acc", "--optimizers", optimizers,
                              "--seeds", "0,1", "--launcher", "ray", "--cpus-per-run", "0.5",
                              *extra]) == 0
    return out, script


def env():
    # the runs' lines say `python`: this interpreter's; a Ray of its own, not a user's
    return dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"],
                RAY_ADDRESS="", RAY_USAGE_STATS_ENABLED="0")


def test_the_ray_script_names_its_resources_and_other_launchers_refuse_its_flags(
        tmp_path, program, capsys):
    out, script = write_grid(tmp_path, program, "adam,sgd", "--gpus-per-run", "0.5",
                             "--ray-address", "auto")
    text = script.read_text()
    assert ("python -m pyimagesearch.launch.ray_tasks --address auto --gpus-per-run 0.5 "
            "--cpus-per-run 0.5 <<'RUNS'") in text
    assert "TF_FORCE_GPU_ALLOW_GROWTH=true" in text  # two runs share a GPU: grow, don't grab
    assert text.count("python -m pyimagesearch.launch.progress ") == 4 + 1  # and the tally
    with pytest.raises(SystemExit) as e:
        combinations.main(["-o", str(out), "-s", str(tmp_path / "x.sh"), "--gpus-per-run", "1"])
    assert e.value.code == 2
    assert capsys.readouterr().err.strip().endswith("--gpus-per-run: for --launcher ray")


@NEEDS_RAY
def test_a_grid_on_a_local_ray_runs_fails_loudly_and_resumes(tmp_path, program):
    out, script = write_grid(tmp_path, program, "adam,crash")
    first = subprocess.run(["sh", str(script)], env=env(), capture_output=True, text=True,
                           timeout=600)
    assert first.returncode == 1, first.stdout + first.stderr[-3000:]
    lines = first.stdout.splitlines()
    assert sum(": val_acc " in line for line in lines) == 2, first.stdout
    assert sum("FAILED (exit 3)" in line for line in lines) == 2, first.stdout
    assert lines[-1].startswith("4 runs: 2 finished, 2 failed, 0 skipped"), first.stdout
    # run again: the finished runs are skipped, the failed ones tried again
    second = subprocess.run(["sh", str(script)], env=env(), capture_output=True, text=True,
                            timeout=600)
    assert second.returncode == 1
    assert second.stdout.splitlines()[-1].startswith("4 runs: 0 finished, 2 failed, 2 skipped"), \
        second.stdout


@NEEDS_RAY
def test_ctrl_c_stops_the_ray_runs_and_they_resume(tmp_path, program):
    out, script = write_grid(tmp_path, program, "slow")
    runner = subprocess.Popen(["sh", str(script)], env=env(), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, start_new_session=True)
    deadline = time.time() + 300
    while time.time() < deadline and not any(
            name.endswith(".log") and name != "progress.log" for name in os.listdir(out)):
        time.sleep(0.5)  # both runs started (their logs opened)
    time.sleep(3)
    os.killpg(runner.pid, signal.SIGINT)
    output, _ = runner.communicate(timeout=200)
    assert runner.returncode != 0, output
    lines = output.splitlines()
    # each run stopped at its safe point and said so; the tally still came
    assert sum("INTERRUPTED by a signal" in line for line in lines) == 2, output
    assert lines[-1].startswith("2 runs: 0 finished"), output
    left = subprocess.run(["pgrep", "-f", f"{program} --opt slow"], capture_output=True, text=True)
    assert not left.stdout.strip(), f"runs still alive after Ctrl-C: {left.stdout}"
    again = subprocess.run(["sh", str(script)], env=env(), capture_output=True, text=True,
                           timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr[-3000:]
    assert again.stdout.splitlines()[-1].startswith("2 runs: 2 finished"), again.stdout


def test_without_ray_one_line_names_the_extra(monkeypatch, capsys):
    import builtins
    from pyimagesearch.launch import ray_tasks
    real = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray" or name.startswith("ray."):
            raise ImportError(name)
        return real(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_ray)
    with pytest.raises(SystemExit) as e:
        ray_tasks.start(None)
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["ray launcher: error: running the runs as Ray tasks needs the ray package: "
                   "pip install '.[ray]'"]


@NEEDS_RAY
def test_decide_runs_its_rounds_on_ray(tmp_path, program):
    from tests.conftest import run_script
    out, script = tmp_path / "out", tmp_path / "grid.sh"
    # two problems, 0.5 points apart: undecided after 3 seeds (as in test_own_program)
    assert combinations.main(["-o", str(out), "-s", str(script), "--command",
                              template(program, " --problem {problem}"), "--problems", "p1,p2",
                              "--metric", "val_acc", "--seeds", "0,1,2",
                              "--optimizers", "a(level=0.9),b(level=0.895)"]) == 0
    assert subprocess.run(["sh", str(script)], env=env(), capture_output=True).returncode == 0
    result = run_script("decide.py", "-i", str(out), "-p", str(tmp_path / "plots"),
                        "--max-seeds", "4", "--launcher", "ray", "--cpus-per-run", "0.5",
                        env={k: v for k, v in env().items() if k.startswith(("PATH", "RAY_"))})
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "ray_tasks --cpus-per-run 0.5" in (out / "decide_round1.sh").read_text()
    assert {"prog_a-level=0.9_p1_s3.pickle", "prog_b-level=0.895_p2_s3.pickle"} <= \
        set(os.listdir(out)), result.stdout
    assert (tmp_path / "plots" / "verdicts.csv").exists()
