"""Scripts that run the grid's train.py lines: one after another (the original), through
GNU parallel on one machine, as a Slurm job array on a cluster, or as Ray tasks.

No scheduler of our own: the engines users already have do the scheduling, and
train.py's own behaviour (skip finished runs, resume from checkpoints, stop cleanly
on SIGTERM) makes resubmitting the same script after a failure redo only what is
unfinished, whichever engine runs it.
"""
import os
import shlex
from dataclasses import dataclass
from typing import Callable, Optional

from pyimagesearch import grid

# Two processes on one GPU must not each grab all its memory at start (TensorFlow and JAX
# both do by default); PyTorch's caching allocator already takes memory as it needs it.
SHARED_GPU_ENV = {"TF_FORCE_GPU_ALLOW_GROWTH": "true", "XLA_PYTHON_CLIENT_PREALLOCATE": "false"}


PROGRESS = "python -m pyimagesearch.launch.progress"
# one launch of the script: the id its runs share in the folder's journal (progress.log)
NEW_JOB = 'PROGRESS_JOB=$(date +%Y%m%d-%H%M%S)-$$; export PROGRESS_JOB'


def logged(run, folder, line, index, total, terminal=False):
    """The line run through :mod:`.progress`: its output appended to ``{folder}/{run}.log``
    (``terminal``: shown here instead), one progress line (test accuracy, FAILED or
    skipped) printed, its exit status kept."""
    show = "--terminal " if terminal else ""
    return (f"{PROGRESS} {show}{index} {total} {shlex.quote(grid.log_path(run, folder))} "
            f"{shlex.quote(line)}")


def _logged_lines(runs, folder, lines, terminal=False):
    return [logged(r, folder, l, i, len(runs), terminal)
            for i, (r, l) in enumerate(zip(runs, lines), 1)]


def anywhere():
    """A script's lines that make it run the same from any working directory: back to the
    folder it was written from (its relative paths mean what they meant there), with the
    project's package importable (the progress lines run it as a module)."""
    return (f"cd {shlex.quote(os.getcwd())} || exit 2\n"
            f"PYTHONPATH={shlex.quote(grid.REPO)}${{PYTHONPATH:+:$PYTHONPATH}}; export PYTHONPATH\n")


def _tally(runs, folder):
    return f"{PROGRESS} tally {len(runs)} {shlex.quote(folder)}"


def sh_script(runs, folder, lines, logs=False, original=False):
    """``original``: the original script, ``#!/bin/sh``, a blank line, one run per line.
    Any other grid: one run after another, each with a progress line, then the tally;
    the script exits non-zero when any run failed, and runs the same from any working
    directory. With ``logs``, each run's output goes to its log, else to the terminal."""
    if original:
        return "#!/bin/sh\n\n" + "\n".join(lines) + "\n"
    body = "\n".join(f"{line} || failed=1"
                     for line in _logged_lines(runs, folder, lines, terminal=not logs))
    where = (f"each run's output goes to {folder}/{{run}}.log,\n# one line per run here"
             if logs else "each run's output shows here,\n# then one line per run")
    return (f"#!/bin/sh\n"
            f"# {len(runs)} runs, one after another; {where}, and the tally at the end.\n"
            f"# Run it again after a failure: finished runs are skipped. Exits non-zero when\n"
            f"# any run failed.\n"
            f"{anywhere()}{NEW_JOB}\nfailed=0\nmkdir -p {shlex.quote(folder)}\n"
            f"{body}\n{_tally(runs, folder)}\nexit $failed\n")


def parallel_script(runs, folder, lines, jobs=None, gpus=None, joblog=None):
    """GNU parallel runs the lines, ``jobs`` at a time, or one per entry of ``gpus`` with
    CUDA_VISIBLE_DEVICES set from its slot: a GPU named twice (``0,0,1,1``) holds two runs
    at once, and then every run allocates GPU memory as it needs it (SHARED_GPU_ENV).
    Its job log makes a rerun retry only the runs that failed or never ran
    (``--resume-failed``)."""
    joblog = joblog or f"{folder}/parallel.joblog"
    if gpus:
        slots = len(gpus)
        shared = len(set(gpus)) < len(gpus)
        env = "".join(f"{k}={v} " for k, v in SHARED_GPU_ENV.items()) if shared else ""
        command = (f"{env}CUDA_VISIBLE_DEVICES=$(echo {','.join(gpus)} | cut -d, -f{{%}}) "
                   "sh -c {}")
        per_gpu = {g: gpus.count(g) for g in dict.fromkeys(gpus)}
        what = ("runs on GPUs " + ", ".join(f"{g} ({n} at once)" for g, n in per_gpu.items())
                if shared else f"one run per GPU ({', '.join(gpus)}) at a time")
    else:
        slots = jobs or 1
        command = "sh -c {}"
        what = f"{slots} runs at a time"
    return _fed_script(
        runs, folder, lines,
        f"# {len(runs)} runs through GNU parallel, {what}; each run's output goes to\n"
        f"# {folder}/{{run}}.log, one line per run here, then the tally. Run it again\n"
        f"# after a failure: the job log ({joblog}) makes parallel retry only\n"
        f"# the runs that failed or never ran, and train.py itself skips finished runs\n"
        f"# and resumes checkpoints. Exits non-zero when any run failed.\n",
        f"parallel --jobs {slots} --joblog {shlex.quote(joblog)} --resume-failed "
        f"--halt never {shlex.quote(command)}")


def _fed_script(runs, folder, lines, comment, engine, setup=""):
    """A script that feeds the runs' progress lines to one ``engine`` command on its
    standard input (GNU parallel, Ray's driver), then prints the tally and exits with the
    engine's status (non-zero when any run failed)."""
    body = "\n".join(_logged_lines(runs, folder, lines))
    return (f"#!/bin/sh\n{comment}{anywhere()}{NEW_JOB}\n{setup}mkdir -p {shlex.quote(folder)}\n"
            f"{engine} <<'RUNS'\n{body}\nRUNS\nstatus=$?\n{_tally(runs, folder)}\nexit $status\n")


def slurm_script(runs, folder, lines, gpu=False, partition=None, time=None, throttle=None,
                 extra=(), job_name="experiments"):
    """An sbatch array script: task i runs exactly line i (its output in its own log)."""
    array = f"0-{len(runs) - 1}" + (f"%{throttle}" if throttle else "")
    header = ["#!/bin/sh", f"#SBATCH --job-name={job_name}", f"#SBATCH --array={array}",
              f"#SBATCH --output={folder}/slurm-%A_%a.out"]
    if gpu:
        header.append("#SBATCH --gres=gpu:1")
    if partition:
        header.append(f"#SBATCH --partition={partition}")
    if time:
        header.append(f"#SBATCH --time={time}")
    header += [f"#SBATCH {line}" for line in extra]
    cases = "\n".join(f"  {i}) {line} ;;"
                       for i, line in enumerate(_logged_lines(runs, folder, lines)))
    return ("\n".join(header) + "\n"
            f"# {len(runs)} runs, one array task each: sbatch this file. Resubmitting it after a\n"
            f"# failure or preemption redoes only unfinished runs: train.py skips finished ones\n"
            f"# and resumes checkpointed ones (Slurm's SIGTERM stops a run at a safe point).\n"
            f"# Each task's progress line goes to {folder}/progress.log too; the task that\n"
            f"# completes the array adds the tally (N finished, k failed, j skipped) there.\n"
            f"{anywhere()}"
            f"PROGRESS_JOB=slurm-${{SLURM_ARRAY_JOB_ID:-0}} PROGRESS_TALLY_LAST=1; "
            f"export PROGRESS_JOB PROGRESS_TALLY_LAST\n"
            f'case "$SLURM_ARRAY_TASK_ID" in\n{cases}\n'
            f'  *) echo "no run for array task $SLURM_ARRAY_TASK_ID" >&2; exit 2 ;;\nesac\n')


def ray_script(runs, folder, lines, address=None, gpus_per_run=None, cpus_per_run=None):
    """Each line a Ray task (:mod:`.ray_tasks`) holding ``gpus_per_run`` GPUs and
    ``cpus_per_run`` CPUs, on the cluster at ``address`` or a local Ray started by the script."""
    flags = "".join(f" --{name} {shlex.quote(str(value))}" for name, value in (
        ("address", address), ("gpus-per-run", gpus_per_run), ("cpus-per-run", cpus_per_run))
        if value is not None)
    where = f"the Ray cluster at {address}" if address else "a local Ray started here"
    shared = ""
    if gpus_per_run is not None and 0 < gpus_per_run < 1:  # runs share a GPU
        shared = "".join(f"{k}={v}; export {k}\n" for k, v in SHARED_GPU_ENV.items())
    return _fed_script(
        runs, folder, lines,
        f"# {len(runs)} runs, each a Ray task on {where} ({gpus_per_run or 0:g} GPUs,\n"
        f"# {cpus_per_run or 1:g} CPUs each: as many at once as fit); each run's output goes to\n"
        f"# {folder}/{{run}}.log, one line per run here, then the tally. Run it again after\n"
        f"# a failure or a Ctrl-C: finished runs are skipped, checkpoints resumed. Exits\n"
        f"# non-zero when any run failed. Needs ray: pip install '.[ray]'.\n",
        f"# a Ctrl-C stops the runs (at a safe point) and then the tally still comes\n"
        f"trap : INT TERM\n"
        f"python -m pyimagesearch.launch.ray_tasks{flags}", setup=shared)


# ------------------------------------------------------------------ the launchers, by name

@dataclass(frozen=True)
class Launcher:
    """One way to run a grid's lines: ``script`` (runs, folder, lines, options) -> the
    script's text; ``submit``: the command that hands the script to a scheduler (which
    then runs it later), or None when the script is run here with sh."""
    script: Callable
    submit: Optional[tuple] = None


TABLE = {
    "sh": Launcher(lambda runs, folder, lines, o: sh_script(
        runs, folder, lines, o.get("logs", False), o.get("original", False))),
    "parallel": Launcher(lambda runs, folder, lines, o: parallel_script(
        runs, folder, lines, o.get("jobs"), o.get("gpus"), o.get("joblog"))),
    "slurm": Launcher(lambda runs, folder, lines, o: slurm_script(
        runs, folder, lines, o.get("gres_gpu", False), o.get("partition"), o.get("time"),
        o.get("throttle"), o.get("sbatch", ()), o.get("job_name", "experiments")),
        submit=("sbatch",)),
    "ray": Launcher(lambda runs, folder, lines, o: ray_script(
        runs, folder, lines, o.get("ray_address"), o.get("gpus_per_run"), o.get("cpus_per_run"))),
}
LAUNCHERS = tuple(TABLE)  # combinations.py's --launcher; decide.py calls sh "local"


def script(name, runs, folder, lines, **options):
    """The script of launcher ``name`` (a key of TABLE) for these runs and lines."""
    return TABLE[name].script(runs, folder, lines, options)
