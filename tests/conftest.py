import os
import subprocess
import sys

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
# The generated grid scripts say `python train.py ...`, as the original did, and expect
# the project's environment to be active; running the suite as `.venv/bin/python -m
# pytest` does not activate it, so put this interpreter's folder first on PATH for every
# script, engine (GNU parallel, Slurm) and run the tests start.
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")


def _slow_tests():
    """The tests tests/slow.txt names (by node id, without parameters: all of them), each
    measured over 20 s on this project's 2-core machine: ./test.sh --all runs them."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "slow.txt")
    with open(path, encoding="utf-8") as f:
        return {line.split("#")[0].strip() for line in f} - {""}


def pytest_collection_modifyitems(config, items):
    slow = _slow_tests()
    for item in items:
        if item.nodeid in slow or item.nodeid.split("[")[0] in slow:
            item.add_marker(pytest.mark.slow)


def run_script(*args, env=None, timeout=600):
    """Run one of the project's scripts as a user would; return the CompletedProcess."""
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=full_env, text=True,
                          capture_output=True, timeout=timeout)


@pytest.fixture(autouse=True)
def _fresh_keras_session():
    yield
    if "keras" in sys.modules:  # a test that never touched Keras does not pay its import
        sys.modules["keras"].backend.clear_session()


def train_lines(script_text):
    """The train.py lines of a written grid script: the original's bare lines, or the
    commands its progress lines run (``python -m pyimagesearch.launch.progress K N LOG 'line'``)."""
    import shlex
    out = []
    for line in script_text.splitlines():
        if line.startswith("python -m pyimagesearch.launch.progress") and " tally " not in line:
            out.append(shlex.split(line.removesuffix(" || failed=1"))[-1])
        elif line.startswith("python ") and "train.py" in line:
            out.append(line)
        elif line.strip().endswith(";;") and "pyimagesearch.launch.progress" in line:  # a Slurm case
            out.append(shlex.split(line.strip()[line.strip().index(")") + 1:-2])[-1])
    return out
