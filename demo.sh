#!/usr/bin/env bash
# The main job on the embedded default: set up .venv, then answer one question on the
# bundled `digits` data with a decision, not a shrug: is RAdam, as the 2019 study ran it
# (its warm-up and decay schedule, rescaled to the run), better than Adam on MiniVGGNet
# at a budget of 2 epochs (88 updates of 32 images)? 3 seeds each first, then decide.py adds
# seeds only while the answer is undecided (at most 12 per optimizer), and prints the
# decision with its evidence. Measured from a fresh clone on this project's 2-core machine
# (README, "What the demo answers"). Rerunning skips finished runs.
set -euo pipefail
cd "$(dirname "$0")"
start=$(date +%s)
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
. .venv/bin/activate
echo "[INFO] $(( $(date +%s) - start )) s: set up. The question: is RAdam (its warm-up and decay"
echo "       rescaled to the run) better than Adam on MiniVGGNet, on the 1,437 training images"
echo "       of digits, at 2 epochs (88 updates of 32 images, precise BatchNorm statistics)?"

# 2 epochs of batch 32 are 88 updates (1,437 training images). That short, BatchNorm's
# moving statistics have not settled (README, "Short runs tell the truth"): --precise-bn
# recomputes them from training batches before every evaluation, so every run learns (test
# accuracy 0.90-0.98). --total-steps 88 rescales RAdam's schedule (warm-up over the first
# 10%, then down to 1e-5) to the run, as the study's 5,000 steps were to its runs.
# --augment none: the study's flips and rotations turn digits into other digits. At this
# budget RAdam's warm-up costs it several points, so three seeds each decide.
python combinations.py --output demo/output --script demo/experiments.sh --datasets digits \
    --models minivggnet --optimizers adam,radam --seeds 0,1,2 --logs \
    --train-args "--epochs 2 --batch-size 32 --augment none --precise-bn --total-steps 88"
echo "[INFO] training 6 runs (logs: demo/output/*.log)..."
./demo/experiments.sh
echo "[INFO] more seeds only while undecided (decide.py); then the verdict and its evidence"
python decide.py --input demo/output --plots demo/plots --max-seeds 12
echo
echo "Report:   demo/plots/report.html (open it in a browser: everything on one page)"
echo "Figures:  demo/plots/minivggnet_digits.png and demo/plots/overview.png"
echo "Summary:  demo/plots/summary.md, verdicts.csv (and summary.csv, runs.csv, epochs.csv)"
echo "Wall time: $(( $(date +%s) - start )) s"
