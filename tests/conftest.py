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


def run_script(*args, env=None, timeout=600):
    """Run one of the project's scripts as a user would; return the CompletedProcess."""
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=full_env, text=True,
                          capture_output=True, timeout=timeout)


@pytest.fixture(autouse=True)
def _fresh_keras_session():
    yield
    import keras
    keras.backend.clear_session()
