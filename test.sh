#!/usr/bin/env bash
# Set up .venv (once) and run the quick test suite; ./test.sh --all runs the full one. INSTALL_BACKENDS=1 also installs the CPU
# builds of PyTorch and JAX, so the tests of those Keras backends run instead of skipping;
# INSTALL_TRACKERS=1 the readers of MLflow and W&B (requirements-trackers.txt) and Ray
# (requirements-ray.txt: the ray launcher).
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
# the quick suite needs requirements-dev.txt; the full one a browser's driver and the
# manual's builder too (requirements-full.txt)
requirements=requirements-dev.txt
[ "${1:-}" = "--all" ] && requirements=requirements-full.txt
.venv/bin/python -m pip install -q --disable-pip-version-check -r "$requirements"
if [ "${INSTALL_BACKENDS:-${INSTALL_TORCH:-0}}" = 1 ]; then
    .venv/bin/python -m pip install -q --disable-pip-version-check torch==2.13.0 \
        jax==0.10.2 jaxlib==0.10.2 optax==0.2.8  # optax: examples/jax_loop.py
fi
if [ "${INSTALL_TRACKERS:-0}" = 1 ]; then  # the extras: MLflow, W&B, parquet; Ray
    .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-trackers.txt \
        -r requirements-ray.txt
fi
if [ "${1:-}" = "--all" ]; then  # the full suite, the long end-to-end tests too (CI's):
    # the quick suite on two workers as below, then the long ones one at a time (a few race
    # a signal against a running grid, and a crowded machine loses that race)
    shift
    status=0
    .venv/bin/python -m pytest -q -rs -m "not slow" -n 2 --dist loadfile "$@" tests || status=$?
    [ "$status" = 5 ] && status=0  # a selection (-k) with none of them: not a failure
    slow=0
    .venv/bin/python -m pytest -q -rs -m slow "$@" tests || slow=$?
    [ "$slow" = 5 ] && slow=0
    [ "$status" = 0 ] && status=$slow
    exit "$status"
fi
# the quick suite: every module's behaviour; the tests marked slow in tests/slow.txt (long
# trainings, daemons, browsers: measured over 20 s each) are left to --all. Two workers,
# each module's tests on one (a module's shared fixtures are made once).
exec .venv/bin/python -m pytest -q -rs -m "not slow" -n 2 --dist loadfile "$@" tests
