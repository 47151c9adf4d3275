"""Checked before anything else is imported: a grid script run by a `python` outside the
project's environment would otherwise fail every run with a traceback."""
import importlib.util
import os
import re
import sys
import tempfile

# module -> the pip name to install
PACKAGES = {"numpy": "numpy", "keras": "keras", "sklearn": "scikit-learn",
            "cv2": "opencv-python-headless"}
# what plot.py needs: the figures, the statistics, the page
ANALYSIS_PACKAGES = {"numpy": "numpy", "matplotlib": "matplotlib", "scipy": "scipy",
                     "statsmodels": "statsmodels", "plotly": "plotly"}


def require_packages(script, packages=None):
    """Exit with one line when a package ``script`` needs is missing (``packages``: module
    -> pip name; default: training's)."""
    missing = [pip for module, pip in (packages or PACKAGES).items()
               if importlib.util.find_spec(module) is None]
    if missing:
        print(f"{script}: error: {', '.join(missing)} not installed for {sys.executable} "
              "(activate the project's environment: . .venv/bin/activate)", file=sys.stderr)
        sys.exit(2)


# The native libraries' start-up lines, printed by TensorFlow/XLA before their logging is set
# up (so TF_CPP_MIN_LOG_LEVEL cannot hide them), twice per process, into every run's log:
# "failed call to cuInit: ... CUDA error" on a machine without a GPU is not an error of the
# run, but `grep error` finds it. Only lines matching these are held back; anything else the
# backend prints at start-up still reaches stderr.
STARTUP_NOISE = re.compile(
    r"All log messages before absl::InitializeLog|oneDNN custom operations|cudart_stub|"
    r"failed call to cuInit|cpu_feature_guard|This TensorFlow binary is optimized|"
    r"To enable the following instructions|Unable to register cu(DNN|FFT|BLAS) factory|"
    r"computation_placer\.cc|TF-TRT Warning|Could not find cuda drivers|"
    r"cuda_(dnn|fft|blas|platform|executor|diagnostics)\.cc")
VERBOSE_VARIABLE = "SHOW_BACKEND_STARTUP"  # =1: let the backend's start-up lines through
_loaded = False


def load_backend():
    """Import Keras and start its backend (the first array op probes the devices) with the
    start-up lines above held back, unless SHOW_BACKEND_STARTUP=1 (train.py --verbose).
    Idempotent; a no-op when Keras was imported before."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    if "keras" in sys.modules or os.environ.get(VERBOSE_VARIABLE) == "1":
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            import keras
            keras.ops.convert_to_numpy(keras.ops.zeros((1,)))
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            for line in held.read().decode("utf-8", "replace").splitlines(keepends=True):
                if not STARTUP_NOISE.search(line):
                    sys.stderr.write(line)
            sys.stderr.flush()
