"""Installed as a library it is a tool too: `pip install .` gives the five commands, and
they work from the installed package, far from the repository."""
import csv
import os
import subprocess
import sys

from tests.conftest import ROOT


def test_the_installed_commands_run_a_grid_from_anywhere(tmp_path):
    target = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                           "--no-build-isolation", "--target", str(target), ROOT],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    commands = {p.name for p in (target / "bin").iterdir()}
    assert commands == {"optimizer-grid", "optimizer-train", "optimizer-plot",
                        "optimizer-decide", "optimizer-lr-find"}
    assert (target / "pyimagesearch" / "vendor" / "plotly-cartesian.min.js").exists()
    work = tmp_path / "elsewhere"
    work.mkdir()
    # the installed package alone: no repository on the path, not the working folder
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(target)

    def run(*argv):
        return subprocess.run([sys.executable, str(target / "bin" / argv[0]), *argv[1:]],
                              cwd=work, env=env, capture_output=True, text=True, timeout=600)
    made = run("optimizer-grid", "-o", "out", "-s", "grid.sh", "--datasets", "digits",
               "--models", "2lr", "--optimizers", "adam(learning_rate=0.003),sgd", "--seeds", "0",
               "--train-args", "--epochs 1")
    assert made.returncode == 0, made.stderr
    script = (work / "grid.sh").read_text()
    assert "python -m pyimagesearch.commands.train --history" in script
    assert ROOT not in script  # nothing of the repository's
    ran = subprocess.run(["sh", "grid.sh"], cwd=work, env=env, capture_output=True, text=True,
                         timeout=600)
    assert ran.returncode == 0, ran.stdout[-2000:] + ran.stderr[-2000:]
    plotted = run("optimizer-plot", "-i", "out", "-p", "plots")
    assert plotted.returncode == 0, plotted.stderr[-2000:]
    page = (work / "plots" / "report.html").read_text()
    assert "plotly.js (cartesian - minified) v4.1.1" in page
    # runs.csv: a column per optimizer argument, the learning rate whichever way it was set
    with open(work / "plots" / "runs.csv") as f:
        runs = {r["optimizer"]: r for r in csv.DictReader(f)}
    assert float(runs["adam(learning_rate=0.003)"]["opt_learning_rate"]) == 0.003
    assert float(runs["sgd"]["opt_learning_rate"]) == 0.01  # the registry entry's
    assert float(runs["sgd"]["opt_momentum"]) == 0.9
    assert runs["adam(learning_rate=0.003)"]["opt_momentum"] == ""  # Adam has none
    bad = run("optimizer-train", "--history", "h.pickle", "--report", "r.txt", "--model", "nope")
    assert bad.returncode == 2 and bad.stderr.startswith("optimizer-train: error:")
