#!/usr/bin/env bash
# Are plot.py's and decide.py's outputs byte for byte what they were at another commit?
# For a change that moves code without meaning to change what it writes (issue 45).
#
#     benchmarks/same_outputs.sh BASE [WORK]     (BASE: a commit, say HEAD~3)
#
# Makes, once, in WORK (default /tmp/same_outputs): a study folder (train.py on digits,
# MiniVGGNet and 2LR, Adam and RAdam, 3 seeds, 1 epoch: about 2 minutes here) and a
# program's folder (a program the project never imports, 3 settings x 4 seeds); then runs,
# in a checkout of BASE and in this tree, at the same paths: plot.py on both folders and
# on the published table (../shared/data/crowded_valley, where it is), and decide.py on
# the study folder; and prints every output file and the printed lines, same or DIFF.
# decide.json holds the time its look was taken: that line differs by design.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:?"usage: benchmarks/same_outputs.sh BASE_COMMIT [WORK]"}
work=${2:-/tmp/same_outputs}
here=$(pwd)
py="$here/.venv/bin/python"
mkdir -p "$work"
if [ ! -d "$work/fixtures/study" ]; then
    mkdir -p "$work/fixtures"
    cat > "$work/fixtures/prog.py" <<'EOF'
import argparse, json, os
ap = argparse.ArgumentParser()
ap.add_argument("--opt"); ap.add_argument("--seed", type=int); ap.add_argument("--out")
ap.add_argument("--level", type=float, default=0.8)
args, _ = ap.parse_known_args()
noise = ((args.seed * 7919) % 13 - 6) / 600 + ((args.seed * 31 + sum(map(ord, args.opt))) % 7 - 3) / 3000
os.makedirs(args.out, exist_ok=True)
with open(os.path.join(args.out, "metrics.jsonl"), "w") as f:
    for k in range(1, 5):
        v = args.level * (1 - 0.5 ** k) + noise
        f.write(json.dumps({"step": 10 * k, "val_acc": v, "loss": 1 - v}) + "\n")
EOF
    "$py" combinations.py -o "$work/fixtures/program" -s "$work/fixtures/program.sh" \
        --command "python $work/fixtures/prog.py --opt {optimizer} {args} --seed {seed} --out {run_dir}" \
        --metric val_acc --seeds 0,1,2,3 --optimizers "good(level=0.9),bad(level=0.8),twin(level=0.9)" >/dev/null
    PATH="$here/.venv/bin:$PATH" bash "$work/fixtures/program.sh" >/dev/null
    "$py" combinations.py --output "$work/fixtures/study" --script "$work/fixtures/study.sh" \
        --datasets digits --models minivggnet,2lr --optimizers adam,radam --seeds 0,1,2 \
        --train-args "--epochs 1 --batch-size 64 --augment none" >/dev/null
    PATH="$here/.venv/bin:$PATH" bash "$work/fixtures/study.sh" >/dev/null
fi
rm -rf "$work/base_tree" && git worktree add -f --detach "$work/base_tree" "$base" >/dev/null 2>&1
published=../shared/data/crowded_valley/runs_long.csv
for tree in base this; do
    root=$([ $tree = base ] && echo "$work/base_tree" || echo "$here")
    run="$work/run" && rm -rf "$run" && mkdir -p "$run"
    cp -r "$work/fixtures/study" "$run/study"
    cp -r "$work/fixtures/program" "$run/program"
    cp -r "$work/fixtures/study" "$run/decided"
    (
        cd "$root"
        for input in study program; do
            "$py" plot.py -i "$run/$input" -p "$run/${input}_plots" >"$run/$input.out" 2>&1 || true
        done
        if [ -f "$here/$published" ]; then
            cp "$here/$published" "$run/published.csv"
            "$py" plot.py -i "$run/published.csv" --metric test_accuracy --problem-key testproblem \
                --fixed -p "$run/published_plots" >"$run/published.out" 2>&1 || true
        fi
        "$py" decide.py -i "$run/decided" -p "$run/decided_plots" --max-seeds 3 \
            >"$run/decided.out" 2>&1 || true
    )
    rm -rf "$work/$tree" && mv "$run" "$work/$tree"
done
git worktree remove --force "$work/base_tree"
cd "$work"
for case in study program published decided; do
    [ -d "base/${case}_plots" ] || continue
    for f in $(cd "base/${case}_plots" && find . -type f | sort); do
        if cmp -s "base/${case}_plots/$f" "this/${case}_plots/$f"; then echo "same  $case $f"
        else echo "DIFF  $case $f"; fi
    done
    if cmp -s "base/$case.out" "this/$case.out"; then echo "same  $case (printed)"
    else echo "DIFF  $case (printed)"; fi
done
