"""Write the shell script of the grid: one train.py line per run.

    python combinations.py --output output --script experiments.sh
    ./experiments.sh

With only those flags it writes the original study's 24 runs, line for line.
"""
import argparse
import os
import stat
import sys

from pyimagesearch import grid, registry


def name_list(choices, what):
    """argparse type: a comma-separated list of registry names, unknown ones named."""
    def parse(text):
        names = [n.strip() for n in text.split(",") if n.strip()]
        unknown = [n for n in names if n not in choices]
        if unknown:
            raise argparse.ArgumentTypeError(
                f"unknown {what} {', '.join(unknown)} (choose from {', '.join(choices)})")
        if not names:
            raise argparse.ArgumentTypeError(f"no {what} given")
        return names
    return parse


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--output", required=True, help="folder the runs write their outputs to")
    ap.add_argument("-s", "--script", required=True, help="path of the shell script to write")
    ap.add_argument("--datasets", type=name_list(registry.DATASETS, "dataset"),
                    default=registry.ORIGINAL_DATASETS, help="comma-separated (default: the original four)")
    ap.add_argument("--models", type=name_list(registry.MODELS, "model"),
                    default=registry.ORIGINAL_MODELS, help="comma-separated (default: the original three)")
    ap.add_argument("--optimizers", type=name_list(registry.OPTIMIZERS, "optimizer"),
                    default=registry.ORIGINAL_OPTIMIZERS, help="comma-separated (default: adam,radam)")
    ap.add_argument("--train-args", default="",
                    help='appended verbatim to every line, e.g. "--epochs 3 --train-limit 500"')
    return ap.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    runs = grid.runs(args.datasets, args.models, args.optimizers)
    lines = [grid.train_line(run, args.output, args.train_args) for run in runs]

    from pyimagesearch import storage
    try:
        os.makedirs(os.path.dirname(os.path.abspath(args.script)), exist_ok=True)
        storage.check_writable(args.script, "--script")
    except (OSError, ValueError) as e:
        print(f"combinations.py: error: {e}", file=sys.stderr)
        return 2
    storage.write_text(args.script, "#!/bin/sh\n\n" + "\n".join(lines) + "\n")
    mode = os.stat(args.script).st_mode
    os.chmod(args.script, mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    # the runs refuse to start when their output folder is missing: make it now
    os.makedirs(args.output, exist_ok=True)
    print(f"[INFO] wrote {len(lines)} runs to {args.script}; outputs go to {args.output}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
