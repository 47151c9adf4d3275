#!/usr/bin/env bash
# The main job on the embedded default: set up .venv, run a reduced grid on the
# bundled `digits` data (3 models x Adam/RAdam), then draw the figures and the summary.
# About 11 minutes on 2 CPU cores, most of it TensorFlow building the ResNet and
# GoogLeNet graphs. Rerunning skips the runs already finished.
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
. .venv/bin/activate

# Two epochs of 16 steps (512 of digits' 1,437 training images, batch 32) keep the
# demo within minutes on a CPU. That is far too little training for the study's
# conclusions (see "Small data" in the README), but every part of the pipeline runs.
python combinations.py --output demo/output --script demo/experiments.sh --datasets digits \
    --train-args "--epochs 2 --batch-size 32 --train-limit 512 --seed 0"
./demo/experiments.sh
python plot.py --input demo/output --plots demo/plots
echo
echo "Figures:  demo/plots/{model}_digits.png and demo/plots/overview.png"
echo "Summary:  demo/plots/summary.md (and summary.csv)"
