"""Fault injection: SIGKILL a tiny training run at random moments, resume, check nothing is lost.

    python benchmarks/faults.py [--kills 20] [--epochs 12] [--seed 0]

A tiny run (digits, MiniVGGNet, 256 images, batch 32) is started with train.py,
killed with SIGKILL at a random moment, and started again with the same command,
--kills times; then it is left to finish. Meanwhile a watcher reads every
final-named output (history, report, checkpoint) as fast as it can: each file it
finds under its final name must parse whole. Checked at the end: the history has
exactly --epochs epochs in every series and the checkpoint folder is gone.
A kill "loses" epochs when the next start resumes from fewer finished epochs than
were checkpointed before the kill. Last line: one JSON object.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from pyimagesearch.train import checkpoint  # noqa: E402
from pyimagesearch.runs import results

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def checkpointed_epoch(folder):
    path = os.path.join(folder, checkpoint.STATE_FILE)
    try:
        with np.load(path) as f:
            return json.loads(f["meta"].tobytes().decode())["epoch"]
    except FileNotFoundError:
        return 0


class Watcher(threading.Thread):
    """Parses every final-named output whenever it exists; counts the ones that do not parse."""

    def __init__(self, history, report, folder):
        super().__init__(daemon=True)
        self.paths = (history, report, os.path.join(folder, checkpoint.STATE_FILE))
        self.partial, self.reads, self.running = [], 0, True

    def check(self, path):
        if path.endswith(".pickle"):
            results.load_history(path)
        elif path.endswith(".txt"):
            results.load_report(path)
        else:
            checkpointed_epoch(os.path.dirname(path))

    def run(self):
        while self.running:
            for path in self.paths:
                if not os.path.exists(path):
                    continue
                try:
                    self.check(path)
                    self.reads += 1
                except FileNotFoundError:
                    pass  # removed between exists() and open(): not partial
                except Exception as e:  # noqa: BLE001 - any failure to parse counts
                    if os.path.exists(path):
                        self.partial.append(f"{path}: {e}")
            time.sleep(0.005)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--seed", type=int, default=0, help="seeds the kill moments")
    ap.add_argument("--max-delay", type=float, default=20.0,
                    help="kill moments are uniform in [1, this] seconds after a start")
    args = ap.parse_args()
    rng = random.Random(args.seed)

    work = tempfile.mkdtemp(prefix="faults-")
    history, report = os.path.join(work, "run.pickle"), os.path.join(work, "run.txt")
    folder = checkpoint.folder_for(history)
    command = [sys.executable, "train.py", "-i", history, "-r", report, "--dataset", "digits",
               "--model", "minivggnet", "--optimizer", "radam", "--batch-size", "32",
               "--train-limit", "256", "--test-limit", "64", "--epochs", str(args.epochs),
               "--seed", "0"]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    watcher = Watcher(history, report, folder)
    watcher.start()

    kills = survived = lost_epochs = resumes = 0
    start = time.time()
    while kills < args.kills:
        before = checkpointed_epoch(folder)
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        delay = rng.uniform(1.0, args.max_delay)
        try:
            out, _ = proc.communicate(timeout=delay)
            finished_early = True
        except subprocess.TimeoutExpired:
            proc.kill()  # SIGKILL
            out, _ = proc.communicate()
            finished_early = False
        if finished_early:
            # it finished before the kill: start a fresh run so every kill hits a live one
            print(f"run finished before kill {kills + 1}; starting over with --force")
            os.remove(history)
            os.remove(report)
            continue
        kills += 1
        resumes += "resuming" in out
        after = checkpointed_epoch(folder)
        lost = max(0, before - after)
        lost_epochs += lost
        survived += lost == 0
        print(f"kill {kills:2d} at {delay:5.1f}s: checkpointed epochs {before} -> {after}"
              f"{'' if lost == 0 else f', LOST {lost}'}")

    final = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    watcher.running = False
    watcher.join()
    problems = []
    if final.returncode != 0:
        problems.append(f"final run exited {final.returncode}: {final.stdout[-500:]}")
    else:
        h = results.load_history(history)
        lengths = {k: len(v) for k, v in h.items() if k not in ("total_seconds",)}
        if set(lengths.values()) != {args.epochs}:
            problems.append(f"history not {args.epochs} epochs long: {lengths}")
            lost_epochs += args.epochs - min(lengths.values())
        if os.path.exists(folder):
            problems.append("checkpoint folder left behind")
    for p in watcher.partial + problems:
        print("PROBLEM:", p)
    print(f"{kills} kills, {resumes} resumed from a checkpoint, {watcher.reads} whole reads "
          f"of final-named files, {time.time() - start:.0f} s")
    print(json.dumps({"kills": kills, "kills_survived": survived, "lost_epochs": lost_epochs,
                      "partial_files": len(watcher.partial), "final_epochs": args.epochs,
                      "resumed_runs": resumes, "problems": len(problems)}))


if __name__ == "__main__":
    main()
