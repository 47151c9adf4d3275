import os
import subprocess
import sys

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


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
