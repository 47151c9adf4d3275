"""Scripts that run the grid's train.py lines: one after another (the original), through
GNU parallel on one machine, or as a Slurm job array on a cluster.

No scheduler of our own: the engines users already have do the scheduling, and
train.py's own behaviour (skip finished runs, resume from checkpoints, stop cleanly
on SIGTERM) makes resubmitting the same script after a failure redo only what is
unfinished, whichever engine runs it.
"""
import shlex

from . import grid

LAUNCHERS = ("sh", "parallel", "slurm")

# Two processes on one GPU must not each grab all its memory at start (TensorFlow and JAX
# both do by default); PyTorch's caching allocator already takes memory as it needs it.
SHARED_GPU_ENV = {"TF_FORCE_GPU_ALLOW_GROWTH": "true", "XLA_PYTHON_CLIENT_PREALLOCATE": "false"}


def logged(run, folder, line):
    """The line with its output appended to ``{folder}/{run}.log``, named after the run."""
    log = shlex.quote(grid.log_path(run, folder))
    return f"{line} >> {log} 2>&1"


def sh_script(runs, folder, lines, logs=False):
    """The original script: ``#!/bin/sh``, a blank line, one run per line."""
    if logs:
        lines = [logged(r, folder, l) for r, l in zip(runs, lines)]
    return "#!/bin/sh\n\n" + "\n".join(lines) + "\n"


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
    body = "\n".join(logged(r, folder, l) for r, l in zip(runs, lines))
    return (f"#!/bin/sh\n"
            f"# {len(runs)} runs through GNU parallel, {what}; each run's output goes to\n"
            f"# {folder}/{{run}}.log. Run it again after a failure: the job log\n"
            f"# ({joblog}) makes parallel retry only the runs that failed or never\n"
            f"# ran, and train.py itself skips finished runs and resumes checkpoints.\n"
            f"mkdir -p {shlex.quote(folder)}\n"
            f"exec parallel --jobs {slots} --joblog {shlex.quote(joblog)} --resume-failed "
            f"--halt never {shlex.quote(command)} <<'RUNS'\n"
            f"{body}\nRUNS\n")


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
    cases = "\n".join(f"  {i}) {logged(r, folder, l)} ;;" for i, (r, l) in enumerate(zip(runs, lines)))
    return ("\n".join(header) + "\n"
            f"# {len(runs)} runs, one array task each: sbatch this file. Resubmitting it after a\n"
            f"# failure or preemption redoes only unfinished runs: train.py skips finished ones\n"
            f"# and resumes checkpointed ones (Slurm's SIGTERM stops a run at a safe point).\n"
            f'cd "${{SLURM_SUBMIT_DIR:-.}}"\n'
            f'case "$SLURM_ARRAY_TASK_ID" in\n{cases}\n'
            f'  *) echo "no run for array task $SLURM_ARRAY_TASK_ID" >&2; exit 2 ;;\nesac\n')
