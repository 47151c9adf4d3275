#!/usr/bin/env bash
# The main job on the embedded default: set up .venv, then ask one question on the bundled
# `digits` data with evidence behind the answer: is RAdam better than Adam on MiniVGGNet,
# as the 2019 study ran it (with its warm-up schedule) and without the schedule?
# 3 optimizers x 3 seeds = 9 runs of 660 updates each, then figures and the summary with
# paired 95% intervals. About 10 minutes on 2 CPU cores from a fresh clone (README).
# Rerunning skips the runs already finished.
set -euo pipefail
cd "$(dirname "$0")"
start=$(date +%s)
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
. .venv/bin/activate

# Budget in steps, not epochs: 1,437 training images at batch 32 are 44 steps an epoch, and
# BatchNorm's moving statistics need a few hundred steps before validation means anything
# (README, "Small data"). 15 epochs = 660 updates. --augment none: the study's flips and
# rotations turn digits into other digits. RAdam keeps the study's schedule as configured
# (warm-up over 500 steps, then a slow fall towards step 5,000).
python combinations.py --output demo/output --script demo/experiments.sh --datasets digits \
    --models minivggnet --optimizers adam,radam,radam_nosched --seeds 0,1,2 --logs \
    --train-args "--epochs 15 --batch-size 32 --augment none"
echo "[INFO] training 9 runs (logs: demo/output/*.log)..."
./demo/experiments.sh
python plot.py --input demo/output --plots demo/plots
echo
# the evidence behind the verdict above, as summary.md has it
awk '/^## (Test accuracy over seeds|Paired differences)/{p=1}
     /^## (Accuracy at|Tuned)/ || /^Validation-loss std/ || /runs validated on the test set/{p=0} p' \
    demo/plots/summary.md
echo "Figures:  demo/plots/minivggnet_digits.png and demo/plots/overview.png"
echo "Summary:  demo/plots/summary.md (and summary.csv)"
echo "Wall time: $(( $(date +%s) - start )) s"
