#!/usr/bin/env bash
# "Your own experiment", end to end on a fresh machine in minutes: your images (digits
# written out as PNG class folders), your model (examples/small_cnn.py), three optimizers
# with a learning-rate grid, three seeds, a launcher, then the figures and the summary.
# Run from the repository root after ./demo.sh or ./test.sh has made .venv.
set -euo pipefail
cd "$(dirname "$0")/.."
. .venv/bin/activate
[ -d examples/digits_png ] || python examples/digits_to_folder.py examples/digits_png

# 6 settings (2 per optimizer: equal tuning budgets) x 3 seeds = 18 runs. --augment none: flips and rotations turn digits into
# other digits. --validation-split 0.1: the settings are chosen on a hold-out of the
# training set, not on the test set. 15 epochs of 40 steps = 600 updates.
LAUNCHER=${LAUNCHER:-sh}   # LAUNCHER=parallel runs two at a time (GNU parallel)
extra=()
[ "$LAUNCHER" = parallel ] && extra=(--jobs 2)
python combinations.py --output own/output --script own/experiments.sh \
    --datasets folder:examples/digits_png --models examples.small_cnn:build \
    --optimizers "adam(learning_rate=[1e-3,3e-3]), adamw(learning_rate=[1e-3,3e-3], weight_decay=0.05), lion(learning_rate=[1e-4,3e-4])" \
    --seeds 0,1,2 --launcher "$LAUNCHER" "${extra[@]}" --logs \
    --train-args "--epochs 15 --batch-size 32 --augment none --validation-split 0.1"
./own/experiments.sh
python plot.py --input own/output --plots own/plots
echo "Summary: own/plots/summary.md; figures: own/plots/*.png"
