"""One run of a user's own training program, made a run like train.py's.

    python -m pyimagesearch.program.wrap --output out --name NAME --template TEMPLATE \
        --optimizer SPEC --metric NAME --seed S [--problem P] [--timeout SECONDS]

combinations.py --command writes one such line per run. It makes the run's own folder
(``{run_dir}``, out/NAME/), writes what the run is (the expanded command, setting, seed,
problem, the program file's sha256, the git commit of the working directory and whether
it was dirty), runs the command (split into words, no shell unless the template says
``sh -c``) with its output shown and kept in out/NAME/program.log, and, when it exits 0,
reads its metrics (:mod:`.metrics`) and writes out/NAME.pickle and out/NAME.txt, which
plot.py, decide.py, the page and the tidy tables read as they read train.py's runs. A
finished run with the same record is skipped; a different one at the same place is
refused. A program that exits non-zero or times out, a metric it did not write, or a
damaged metrics file is a failed run (exit non-zero, one line naming why); a NaN or
infinite final metric is a diverged run, as for train.py.
"""
import argparse
import hashlib
import json
import math
import os
import shlex
import subprocess
import sys
import threading
import time

from pyimagesearch.launch import progress
from pyimagesearch.program import command
from pyimagesearch.runs import metrics, safepickle, storage

PROG = "wrap.py"


def fail(message, code=2):
    print(f"{PROG}: error: {message}", file=sys.stderr, flush=True)
    return code


JUDGED = "OPTIMIZER_VERDICT_METRIC"  # set by decide.py for its rounds' progress lines
FAILED = ".failed"  # out/NAME.failed: why a run left no result (the summary names it)


def failure(path, status, message, args=None, code=2):
    """A failed run: said in one line, and its status kept beside where its result would be
    with what the run was (its row in runs.csv)."""
    run = {} if args is None else {
        "dataset": args.problem or command.DEFAULT_PROBLEM,
        "model": command.program_label(args.template), "optimizer": args.optimizer,
        "seed": args.seed, "metric": args.metric}
    storage.write_text(path, json.dumps({"status": status, "reason": message, **run}) + "\n")
    return fail(message, code)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    ap.add_argument("--output", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--template", required=True)
    ap.add_argument("--optimizer", required=True)
    ap.add_argument("--metric", required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--problem", default=None)
    ap.add_argument("--timeout", type=float, default=None)
    ap.add_argument("--setting-of", default=None)
    ap.add_argument("--goal", choices=("max", "min"), default=None)
    ap.add_argument("--margin", default=None)
    ap.add_argument("--n-params", type=int, default=None)  # the problem's size (--sizes)
    ap.add_argument("--force", action="store_true")
    return ap.parse_args(argv)


def sha256(path):
    if not path or not os.path.isfile(path):
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def git_state():
    """{commit, dirty} of the working directory's checkout, or None outside one."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=10)
        if commit.returncode:
            return None
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return {"commit": commit.stdout.strip(), "dirty": bool(status.stdout.strip())}


def finished(history_path, report_path):
    """The record of a finished run at these paths, or None (missing or damaged: run)."""
    if not (os.path.exists(history_path) and os.path.exists(report_path)):
        return None
    try:
        history = safepickle.load(history_path)
    except ValueError:
        return None
    record = history.get("run") if isinstance(history, dict) else None
    return record if isinstance(record, dict) else {}


IDENTITY = ("template", "optimizer", "metric", "seed", "problem")


def _tee(stream, sinks, keep):
    for chunk in iter(stream.readline, b""):
        for sink in sinks:
            sink.write(chunk)
            sink.flush()
        keep.append(chunk)


def run_program(argv, log_path, timeout):
    """Run ``argv`` with its output shown and appended to ``log_path``; (exit status or
    None on timeout, its standard output)."""
    out_lines, err_lines = [], []
    with open(log_path, "ab") as log:
        child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        progress.forward_stops(child)
        threads = [threading.Thread(target=_tee, args=(child.stdout, [sys.stdout.buffer, log], out_lines)),
                   threading.Thread(target=_tee, args=(child.stderr, [sys.stderr.buffer, log], err_lines))]
        for t in threads:
            t.start()
        try:
            code = child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
            code = None
        for t in threads:
            t.join()
    return code, b"".join(out_lines).decode("utf-8", "replace"), \
        b"".join(err_lines).decode("utf-8", "replace")


def main(argv=None):
    args = parse_args(argv)
    spec = command.ProgramSpec(args.template, args.optimizer, args.metric, args.seed,
                               args.problem, args.timeout, args.setting_of, args.goal,
                               args.margin, args.n_params)
    history_path = os.path.join(args.output, args.name + ".pickle")
    report_path = os.path.join(args.output, args.name + ".txt")
    run_dir = os.path.join(args.output, args.name)
    record = None if args.force else finished(history_path, report_path)
    if record is not None:
        differ = [f"{k}: {record.get(k)!r} there, {getattr(spec, k)!r} here" for k in IDENTITY
                  if record.get(k) != getattr(spec, k)]
        if differ:
            return fail(f"{history_path} holds a finished run that differs from this one in "
                        f"{'; '.join(differ)}; to replace it, add --force; to keep both, write "
                        "to another folder")
        print(f"[INFO] skipping: {history_path} and {report_path} already hold this run")
        return 0
    try:
        words = command.expand(args.template, args.optimizer, args.seed, run_dir, args.problem)
    except (command.TemplateError, ValueError) as e:
        return fail(str(e))
    os.makedirs(run_dir, exist_ok=True)
    record = {**spec.record(), "command": words,
              "program_sha256": sha256(command.script_of(args.template)), "git": git_state()}
    print(f"[INFO] running: {shlex.join(words)}", flush=True)
    start = time.time()
    try:
        code, stdout, stderr = run_program(words, os.path.join(run_dir, "program.log"),
                                           args.timeout)
    except OSError as e:
        return fail(f"{words[0]}: cannot run it ({e.strerror or e})")
    seconds = time.time() - start
    last = next((line for line in reversed((stderr + stdout).splitlines()) if line.strip()), "")
    failed = os.path.join(args.output, args.name + FAILED)
    if code is None:
        return failure(failed, "timed out", f"timed out after {args.timeout:g} s (--timeout); "
                       f"last line: {last[:200]}", args, 124)
    if code != 0:
        return failure(failed, f"failed (exit {code})", f"the program exited {code}; last "
                       f"line: {last[:200]}", args, code if 0 < code < 256 else 1)
    try:
        source, found = metrics.read(run_dir, stdout)
    except (metrics.MetricsError, OSError) as e:
        return failure(failed, "failed (metrics unreadable)", str(e), args)
    if args.metric not in found:
        return failure(failed, "failed (metric not logged)", f"metric {args.metric!r} not in "
                       f"{source} (it has: {', '.join(sorted(found))})", args)
    if os.path.exists(failed):  # an earlier try's failure: this one finished
        os.remove(failed)
    history = metrics.history(found, args.metric)
    history["total_seconds"] = [seconds]
    history["run"] = record
    values = history[args.metric]
    final = values[-1]
    lines = [f"program run: {shlex.join(words)}", f"metrics from: {source}"]
    if not all(math.isfinite(v) for v in values):
        bad = next(i for i, v in enumerate(values) if not math.isfinite(v))
        history["diverged_epoch"] = [bad + 1]
        lines.insert(0, f"DIVERGED at evaluation point {bad + 1} of {len(values)}: {args.metric} "
                        "became non-finite.")
    lines.append(f"metric {args.metric} (final, at step {history['step'][-1]:g}): {final!r}")
    storage.write_pickle(history_path, history)
    storage.write_text(report_path, "\n".join(lines) + "\n")
    print(f"[INFO] wrote {history_path} and {report_path}")
    print(f"[INFO] final {args.metric} {final:.6g}")  # the launchers' progress line reads it
    judged = os.environ.get(JUDGED)  # decide.py's rounds: the metric it decides, if another
    if judged and judged != args.metric and judged in history \
            and isinstance(history[judged], list) and history[judged]:
        print(f"[INFO] final {judged} {history[judged][-1]:.6g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
