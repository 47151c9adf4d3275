#!/usr/bin/env bash
# The main job on the embedded default: set up .venv, then answer one question on the
# bundled `digits` data with a decision, not a shrug: is RAdam, as the 2019 study ran it
# (its warm-up and decay schedule, rescaled to the run), better than Adam on MiniVGGNet?
# 3 seeds each first, then decide.py adds seeds only while the answer is undecided (at most
# 12 per optimizer), and prints the decision with its evidence. About 4-8 minutes on 2 CPU
# cores from a fresh clone (README, "What the demo shows"). Rerunning skips finished runs.
set -euo pipefail
cd "$(dirname "$0")"
start=$(date +%s)
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
. .venv/bin/activate

# 5 epochs of batch 32 are 220 updates (1,437 training images). That short, BatchNorm's
# moving statistics have not settled (README, "Short runs tell the truth"): --precise-bn
# recomputes them from training batches before every evaluation, which gives the accuracy
# of 660 updates in a third of the time; the time saved buys the seeds a decision needs.
# --total-steps 220 rescales RAdam's schedule (warm-up over the first 10%, then down to
# 1e-5) to the run, as the study's 5,000 steps were to its runs. --augment none: the study's
# flips and rotations turn digits into other digits.
python combinations.py --output demo/output --script demo/experiments.sh --datasets digits \
    --models minivggnet --optimizers adam,radam --seeds 0,1,2 --logs \
    --train-args "--epochs 5 --batch-size 32 --augment none --precise-bn --total-steps 220"
echo "[INFO] training 6 runs (logs: demo/output/*.log)..."
./demo/experiments.sh
echo "[INFO] more seeds only while undecided (decide.py); then the verdict and its evidence"
python decide.py --input demo/output --plots demo/plots --max-seeds 12
echo
echo "Report:   demo/plots/report.html (open it in a browser: everything on one page)"
echo "Figures:  demo/plots/minivggnet_digits.png and demo/plots/overview.png"
echo "Summary:  demo/plots/summary.md, verdicts.csv (and summary.csv, runs.csv, epochs.csv)"
echo "Wall time: $(( $(date +%s) - start )) s"
