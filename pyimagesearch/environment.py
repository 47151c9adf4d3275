"""Checked before anything else is imported: a grid script run by a `python` outside the
project's environment would otherwise fail every run with a traceback."""
import importlib.util
import sys

# module -> the pip name to install
PACKAGES = {"numpy": "numpy", "keras": "keras", "sklearn": "scikit-learn",
            "cv2": "opencv-python-headless"}


def require_packages(script):
    missing = [pip for module, pip in PACKAGES.items() if importlib.util.find_spec(module) is None]
    if missing:
        print(f"{script}: error: {', '.join(missing)} not installed for {sys.executable} "
              "(activate the project's environment: . .venv/bin/activate)", file=sys.stderr)
        sys.exit(2)
