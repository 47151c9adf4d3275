#!/usr/bin/env bash
# The main job on the embedded default: set up .venv, run a reduced grid on the
# bundled `digits` data (3 models x Adam/RAdam), then draw the figures and the summary.
# About 12 minutes on 2 CPU cores. Rerunning skips the runs already finished.
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
. .venv/bin/activate

# digits has 1,437 training images: batch 32 gives 44 steps per epoch. Two epochs
# keep the demo short on a CPU; they are far too few for the study's conclusions
# (see "Small data" in the README), but every part of the pipeline runs.
python combinations.py --output demo/output --script demo/experiments.sh --datasets digits \
    --train-args "--epochs 2 --batch-size 32 --seed 0"
./demo/experiments.sh
python plot.py --input demo/output --plots demo/plots
echo
echo "Figures:  demo/plots/{model}_digits.png and demo/plots/overview.png"
echo "Summary:  demo/plots/summary.md (and summary.csv)"
