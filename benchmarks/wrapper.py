"""What the wrapper (python -m pyimagesearch.program.wrap) costs a run of your own program: the
same small program timed as a whole process alone and through the wrapper, in turn, each
run into a fresh run folder (a finished run would be skipped).

    python benchmarks/wrapper.py [--runs 10] [--program "python examples/torch_loop.py ..."]

By default the program is a few lines of Python that writes one metrics.jsonl line, so
the difference is the wrapper's own cost (its start, the record with the program's
sha256 and the git state, the tee of the output, reading the metrics, writing the run's
files); with --program, a real one (its run folder as {run_dir}).
"""
import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = ("import json, os, sys; out = sys.argv[sys.argv.index('--out') + 1]; "
        "os.makedirs(out, exist_ok=True); "
        "open(os.path.join(out, 'metrics.jsonl'), 'w').write(json.dumps({'step': 1, 'acc': 0.9}))")


def timed(argv, env):
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE)
    if done.returncode:
        raise SystemExit(f"{shlex.join(argv)} failed: {done.stderr.decode()[-500:]}")
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--program", default=None,
                    help="a template with {run_dir} (default: a tiny Python program)")
    ap.add_argument("--metric", default="acc")
    args = ap.parse_args()
    env = dict(os.environ, PYTHONPATH=ROOT,
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    with tempfile.TemporaryDirectory() as tmp:
        if args.program is None:
            script = os.path.join(tmp, "tiny.py")
            with open(script, "w") as f:
                f.write(TINY + "\n")
            template = f"python {script} --seed {{seed}} --out {{run_dir}}"
        else:
            template = args.program
        alone, wrapped = [], []
        for i in range(args.runs + 1):  # the first pair warms the caches, not counted
            run_dir = os.path.join(tmp, f"alone{i}")
            words = [w.replace("{run_dir}", run_dir).replace("{seed}", "0")
                     for w in shlex.split(template)]
            a = timed(words, env)
            b = timed([sys.executable, "-m", "pyimagesearch.program.wrap", "--output", tmp, "--name",
                       f"wrapped{i}", "--template", template, "--optimizer", "adam",
                       "--metric", args.metric, "--seed", "0"], env)
            if i:
                alone.append(a)
                wrapped.append(b)
    diffs = [b - a for a, b in zip(alone, wrapped)]
    print(f"{args.runs} runs each, in turn; whole processes, wall seconds (median [min, max])")
    print("| program alone | through the wrapper | wrapper's cost per run |")
    print("| --- | --- | --- |")
    print(f"| {statistics.median(alone):.3f} [{min(alone):.3f}, {max(alone):.3f}] | "
          f"{statistics.median(wrapped):.3f} [{min(wrapped):.3f}, {max(wrapped):.3f}] | "
          f"{statistics.median(diffs):.3f} [{min(diffs):.3f}, {max(diffs):.3f}] |")


if __name__ == "__main__":
    main()
