"""Progress across a grid's runs, whichever engine runs them (sh, GNU parallel, Slurm).

Every line of a launcher's script is ``python -m pyimagesearch.launch.progress K N LOG COMMAND``:
it runs one train.py line with its output appended to LOG (``--terminal``: shown instead),
prints one line,

    [3/24] minivggnet_adam_digits_s2: test accuracy 0.9833
    [4/24] minivggnet_radam_digits_s2: FAILED (exit 2): train.py: error: ...; see output/....log

records it in the grid's journal (``{folder}/progress.log``, shared by all the runs of
one launch, which ``PROGRESS_JOB`` names) and exits with the run's own status. At the end,
``python -m pyimagesearch.launch.progress tally N FOLDER`` prints ``24 runs: 20 finished, 3
failed, 1 skipped``; where no script sees the end (a Slurm array), ``PROGRESS_TALLY_LAST=1``
makes the run that completes the launch print it, however the engine ordered the runs.
Standard library only: a launcher line must not pay for a backend start.
"""
import fcntl
import os
import re
import signal
import subprocess
import sys

JOURNAL = "progress.log"
JOB_VARIABLE = "PROGRESS_JOB"  # one launch of a script: its runs share a tally
TALLY_LAST_VARIABLE = "PROGRESS_TALLY_LAST"  # =1: the run completing a launch prints the tally
_ACCURACY = re.compile(r"^\[INFO\] (test accuracy|final \S+) (\S+)$", re.M)  # train.py, wrap
_SKIPPED = re.compile(r"^\[INFO\] skipping: ", re.M)
_ERROR = re.compile(r"^(\S+\.py: error: .*|\w*Error: .*)$", re.M)


STOPS = (signal.SIGTERM, signal.SIGINT)


def outcome(returncode, output):
    """(status, text) of one run from its exit status and what it printed this time:
    status is "finished", "skipped", "interrupted" (a Ctrl-C or a scheduler's SIGTERM:
    the run resumes from its checkpoint when run again) or "failed"."""
    if returncode == 0 and _SKIPPED.search(output):
        return "skipped", "skipped, already finished"
    if returncode == 0:
        found = _ACCURACY.findall(output)
        return "finished", (f"{found[-1][0].removeprefix('final ')} {found[-1][1]}" if found
                            else "finished")
    reason = _ERROR.findall(output)
    if returncode in [128 + s for s in STOPS] + [-s for s in STOPS]:
        return "interrupted", "INTERRUPTED by a signal; run it again to resume"
    return "failed", f"FAILED (exit {returncode})" + (f": {reason[-1][:300]}" if reason else "")


def forward_stops(child):
    """Pass a scheduler's SIGTERM or a Ctrl-C on to ``child`` (train.py stops at a safe
    point; a user's program as it does) instead of dying first, so that the caller waits
    for it and the stop is reported rather than lost (pyimagesearch.program.wrap does the same)."""
    for signum in STOPS:
        signal.signal(signum, lambda s, f: child.send_signal(s))


def run(index, total, log, command, terminal=False):
    """Run ``command`` (a shell line) with its output appended to ``log`` (``terminal``:
    shown here instead, and no log written); print and record its progress line; return
    its exit status."""
    name = os.path.splitext(os.path.basename(log))[0]
    os.makedirs(os.path.dirname(os.path.abspath(log)), exist_ok=True)
    if terminal:
        child = subprocess.Popen(["sh", "-c", command], stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT)
        forward_stops(child)
        seen = []
        for chunk in iter(lambda: child.stdout.readline(), b""):  # shown as it comes
            sys.stdout.buffer.write(chunk)
            sys.stdout.flush()
            seen.append(chunk)
        returncode = child.wait()
        output = b"".join(seen).decode("utf-8", "replace")
    else:
        with open(log, "ab") as out:
            start = out.tell()
            child = subprocess.Popen(["sh", "-c", command], stdout=out, stderr=subprocess.STDOUT)
            forward_stops(child)
            returncode = child.wait()
        with open(log, "rb") as f:
            f.seek(start)
            output = f.read().decode("utf-8", "replace")
    status, text = outcome(returncode, output)
    if status in ("failed", "interrupted") and not terminal:
        text += f"; see {log}"
    line = f"[{index}/{total}] {name}: {text}"
    print(line, flush=True)
    folder = os.path.dirname(os.path.abspath(log))
    with _journal(folder) as f:
        f.write(f"{_job()}\t{index}\t{status}\t{line}\n")
        f.flush()
        if os.environ.get(TALLY_LAST_VARIABLE) == "1":
            seen = _statuses(f)
            if len(seen) == total:
                line = _tally_line(seen, total)
                print(line, flush=True)
                f.write(f"{_job()}\ttally\t-\t{line}\n")
    return returncode


def _job():
    return os.environ.get(JOB_VARIABLE, "unnamed")


class _journal:
    """The folder's journal, open and locked (runs of one launch finish at the same time)."""

    def __init__(self, folder):
        self.path = os.path.join(folder, JOURNAL)

    def __enter__(self):
        self.file = open(self.path, "a+", encoding="utf-8")
        fcntl.flock(self.file, fcntl.LOCK_EX)
        return self.file

    def __exit__(self, *exc):
        self.file.close()  # releases the lock


def _statuses(f):
    """{index: (status, line)} of this launch's runs; a run retried counts once, as last seen."""
    f.seek(0)
    job, seen = _job(), {}
    for entry in f.read().splitlines():
        parts = entry.split("\t", 3)
        if len(parts) == 4 and parts[0] == job and parts[1].isdigit():
            seen[int(parts[1])] = (parts[2], parts[3])
    return seen


def _tally_line(seen, total):
    """``N runs: a finished, b failed, c skipped``; runs this launch did not start (an engine
    that retries only what failed before) were finished earlier and count as skipped."""
    counts = {s: sum(1 for st, _ in seen.values() if st == s)
              for s in ("finished", "failed", "interrupted")}
    skipped = total - sum(counts.values())
    text = f"{total} runs: {counts['finished']} finished, {counts['failed']} failed, {skipped} skipped"
    if counts["interrupted"]:
        text += f", {counts['interrupted']} interrupted (run again to resume)"
    failed = [line.split("]", 1)[1].split(":", 1)[0].strip()
              for st, line in sorted(seen.values()) if st == "failed"]
    if failed:
        text += f" (failed: {', '.join(failed[:10])}{', ...' if len(failed) > 10 else ''})"
    return text


def tally(total, folder):
    """Print this launch's tally; exit status 1 when any of its runs failed."""
    if not os.path.isdir(folder):
        print(f"{total} runs: 0 finished, 0 failed, 0 skipped (no {folder})")
        return 1
    with _journal(folder) as f:
        seen = _statuses(f)
    print(_tally_line(seen, total), flush=True)
    return int(any(st in ("failed", "interrupted") for st, _ in seen.values()))


USAGE = ("usage: python -m pyimagesearch.launch.progress [--terminal] K N LOG COMMAND\n"
         "       python -m pyimagesearch.launch.progress tally N FOLDER")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) == 3 and argv[0] == "tally" and argv[1].isdigit():
        return tally(int(argv[1]), argv[2])
    terminal = bool(argv) and argv[0] == "--terminal"
    argv = argv[1:] if terminal else argv
    if len(argv) != 4 or not argv[0].isdigit() or not argv[1].isdigit():
        print(USAGE, file=sys.stderr)
        return 2
    try:
        return run(int(argv[0]), int(argv[1]), argv[2], argv[3], terminal)
    except KeyboardInterrupt:  # a Ctrl-C before the run started: nothing to report
        return 128 + signal.SIGINT


if __name__ == "__main__":
    sys.exit(main())
