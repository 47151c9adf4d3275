"""The precise-BN finding: test accuracy with and without --precise-bn after 200, 500 and
2,000 updates, 3 seeds, on digits and real Fashion-MNIST, MiniVGGNet and Keras
Applications' MobileNetV3Small, and what it costs.

    python benchmarks/precise_bn.py --output bn_finding [--fashion-mnist DIR] [--seeds 0,1,2]

One 2,000-update run per (dataset, model, seed, flag), 50 updates an epoch and Adam's
constant rate, validating on the test set every epoch: its accuracy after epoch 4, 10 and
40 is the test accuracy of a 200-, 500- and 2,000-update run of the same seed (with the
flag, recomputed just before). Runs already in --output are kept (about 2 h in all on 2
CPU cores). Prints a Markdown table and one JSON line.
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pyimagesearch.runs import results  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = {"minivggnet": "minivggnet", "mobilenet": "examples.mobilenet:build"}
EPOCHS = {200: 4, 500: 10, 2000: 40}  # updates -> epoch (50 updates an epoch)


def data_args(dataset, fashion_dir):
    if dataset == "digits":
        return ["-d", "digits", "--train-limit", "1400", "--batch-size", "28"]
    return ["-d", "fashion_mnist", "--data-dir", fashion_dir, "--train-limit", "3200",
            "--test-limit", "2000", "--batch-size", "64"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--output", required=True)
    ap.add_argument("--fashion-mnist", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--seeds", default="0,1,2")
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    os.makedirs(args.output, exist_ok=True)
    table, found = [], {}
    for dataset in ("digits", "fashion_mnist"):
        for name, model in MODELS.items():
            for flag in ("off", "on"):
                for seed in seeds:
                    base = os.path.join(args.output, f"{dataset}_{name}_{flag}_s{seed}")
                    if not os.path.exists(base + ".pickle"):
                        subprocess.run([sys.executable, "train.py", "-i", base + ".pickle", "-r",
                                        base + ".txt", *data_args(dataset, args.fashion_mnist),
                                        "-m", model, "--image-size", "32", "--epochs", "40",
                                        "--seed", str(seed), "--augment", "none",
                                        *(["--precise-bn"] if flag == "on" else [])],
                                       cwd=ROOT, check=True, capture_output=True)
                    h = results.load_history(base + ".pickle")
                    found.setdefault((dataset, name, flag), []).append(h)
    print("| dataset | model | updates | test acc. without | with --precise-bn |")
    print("| --- | --- | --- | --- | --- |")
    for (dataset, name, flag), histories in found.items():
        if flag != "off":
            continue
        with_bn = found[(dataset, name, "on")]
        for updates, epoch in EPOCHS.items():
            off = [h["val_accuracy"][epoch - 1] for h in histories]
            on = [h["val_accuracy"][epoch - 1] for h in with_bn]
            table.append({"dataset": dataset, "model": name, "updates": updates,
                          "without": off, "with": on})
            print(f"| {dataset} | {name} | {updates:,} | {np.mean(off):.3f} ± {np.std(off, ddof=1):.3f} "
                  f"| {np.mean(on):.3f} ± {np.std(on, ddof=1):.3f} |")
    print("\n| dataset | model | training s, 2,000 updates, without | with | extra s per recomputation |")
    print("| --- | --- | --- | --- | --- |")
    cost = []
    for (dataset, name, flag), histories in found.items():
        if flag != "off":
            continue
        off = np.mean([h["total_seconds"][0] for h in histories])
        on = np.mean([h["total_seconds"][0] for h in found[(dataset, name, "on")]])
        batches = found[(dataset, name, "on")][0]["run"]["batchnorm"]["precise_bn_batches"]
        cost.append({"dataset": dataset, "model": name, "without_s": off, "with_s": on,
                     "batches": batches})
        print(f"| {dataset} | {name} | {off:.0f} | {on:.0f} | {(on - off) / 40:.2f} ({batches} batches) |")
    print(json.dumps({"benchmark": "precise_bn", "seeds": seeds, "accuracy": table, "cost": cost}))


if __name__ == "__main__":
    main()
