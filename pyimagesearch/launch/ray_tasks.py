"""Each run of a grid a Ray task: the ray launcher's script feeds its lines here.

    python -m pyimagesearch.launch.ray_tasks [--address ADDRESS] [--gpus-per-run G] \
        [--cpus-per-run C] < lines

Each line (a progress line: ``python -m pyimagesearch.launch.progress K N LOG COMMAND``)
runs in a Ray task that holds ``G`` GPUs and ``C`` CPUs, so Ray runs as many at once as
the cluster has room for; ``ADDRESS`` is a running cluster's (``ray start --head`` prints
it; ``auto`` finds the one on this machine), else a local Ray is started here and stopped
at the end. A task runs its line where the script was started, with this environment's
interpreter and the project on the path (a cluster's nodes share that folder), so a run
skips when finished and resumes its checkpoint as under any launcher; its progress line is
printed here as it ends. Ctrl-C (or a scheduler's SIGTERM) stops every running run at a
safe point (each gets SIGTERM) and exits 130: run the script again to resume. Exits 1 when
any run failed, 2 when Ray is not installed or cannot start.
"""
import argparse
import os
import signal
import subprocess
import sys

EXTRA = "pip install '.[ray]'"
# what a run needs from the environment the script was started in; CUDA_VISIBLE_DEVICES
# is Ray's to set, from the GPUs it gives the task
PASSED = ("PATH", "PYTHONPATH", "VIRTUAL_ENV", "PROGRESS_JOB", "OPTIMIZER_VERDICT_METRIC",
          "TF_FORCE_GPU_ALLOW_GROWTH", "XLA_PYTHON_CLIENT_PREALLOCATE", "KERAS_BACKEND")
POLL_S = 1.0  # how often a running task looks at the stop flag


class StopFlag:
    """One per launch, a Ray actor: set at a Ctrl-C, read by every task (a task that has not
    started its run yet does not start it)."""

    def __init__(self):
        self.stopped = False

    def stop(self):
        self.stopped = True

    def is_set(self):
        return self.stopped


def run_line(line, cwd, env, flag):
    """One run, in a Ray worker: (exit status, what its progress line printed), or
    (None, "") when the launch was stopped before it started. When the flag is set
    mid-run, the run gets SIGTERM and stops at a safe point: its progress line says so."""
    import ray
    if ray.get(flag.is_set.remote()):
        return None, ""
    child = subprocess.Popen(["sh", "-c", line], cwd=cwd, env={**os.environ, **env},
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True)
    stopping = False
    while True:
        try:
            output, _ = child.communicate(timeout=None if stopping else POLL_S)
            return child.returncode, output.decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            stop = ray.get(flag.is_set.remote())
        except KeyboardInterrupt:  # a Ctrl-C that reached this worker too
            stop = True
        if stop and not stopping:
            os.killpg(child.pid, signal.SIGTERM)
            stopping = True


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="python -m pyimagesearch.launch.ray_tasks",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("--address", default=None,
                    help="a running Ray cluster (default: a local Ray started here)")
    ap.add_argument("--gpus-per-run", type=float, default=0.0)
    ap.add_argument("--cpus-per-run", type=float, default=1.0)
    return ap.parse_args(argv)


def start(address):
    """ray, initialised; exits 2 with one line when it is not installed or cannot start."""
    try:
        import ray
    except ImportError:
        print(f"ray launcher: error: running the runs as Ray tasks needs the ray package: "
              f"{EXTRA}", file=sys.stderr)
        sys.exit(2)
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False,
                 logging_level="ERROR", configure_logging=True)
    except Exception as e:  # noqa: BLE001  (Ray's own error, in one line)
        print(f"ray launcher: error: Ray did not start ({address or 'local'}): "
              f"{str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__}",
              file=sys.stderr)
        sys.exit(2)
    return ray


def main(argv=None):
    args = parse_args(argv)
    lines = [line for line in sys.stdin.read().splitlines() if line.strip()]
    ray = start(args.address)
    flag = ray.remote(num_cpus=0)(StopFlag).remote()
    task = ray.remote(num_gpus=args.gpus_per_run, num_cpus=args.cpus_per_run,
                      max_retries=0)(run_line)
    env = {k: os.environ[k] for k in PASSED if k in os.environ}
    pending = [task.remote(line, os.getcwd(), env, flag) for line in lines]
    # a scheduler's SIGTERM stops the runs as a Ctrl-C does
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    failed = stopped = not_started = 0
    try:
        while pending:
            try:
                done, pending = ray.wait(pending, num_returns=1)
                returncode, output = ray.get(done[0])
            except KeyboardInterrupt:
                if stopped:  # a second Ctrl-C: leave now (Ray stops the runs with itself)
                    raise
                stopped = 1
                flag.stop.remote()  # every run stops at its safe point and says so
                print("[INFO] stopping: each run stops at a safe point (Ctrl-C again to leave "
                      "now)", flush=True)
                continue
            if returncode is None:
                not_started += 1
                continue
            print(output.rstrip("\n"), flush=True)
            failed |= returncode != 0
    finally:
        ray.shutdown()
    if stopped:
        print(f"[INFO] stopped: {not_started} runs not started; run the script again to "
              f"resume", flush=True)
        return 130
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
