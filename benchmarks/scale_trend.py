"""The trend over sizes, measured by simulation against a known truth (no training: each
seed pair's log steps ratio is drawn with the spread of real runs): the coverage of the
per-doubling interval, how often a flat trend is called "shrinks" or "grows", the power
against a speed-up that shrinks 10% per doubling, and the projection's coverage 2 and 4
doublings beyond the largest size. Runs :func:`pyimagesearch.stats.scale.trends`, what
plot.py runs.

    python benchmarks/scale_trend.py [--experiments 2000]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pyimagesearch.stats import simulation  # noqa: E402

CASES = [  # (what, the true factor per doubling, options)
    ("flat, 4 sizes x 5 seeds", 1.0, {}),
    ("flat, unequal seeds 3/5/4/6", 1.0, {"seeds": (3, 5, 4, 6)}),
    ("flat, 3 seeds, spread x3 at the largest", 1.0, {"seeds": 3, "sd_growth": 2.0}),
    ("flat, 5 sizes, one censored", 1.0, {"sizes": 5, "censored_size": 2}),
    ("flat, sizes off the line (tau = sd)", 1.0, {"tau": 0.05}),
    ("flat, sizes off the line (tau = 2 sd)", 1.0, {"tau": 0.10}),
    ("flat, 3 sizes", 1.0, {"sizes": 3}),
    ("shrinks 10% per doubling", 0.9, {}),
    ("shrinks 10%, 3 seeds", 0.9, {"seeds": 3}),
    ("shrinks 5% per doubling", 0.95, {}),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--experiments", type=int, default=2000)
    args = ap.parse_args()
    print(f"{args.experiments} simulated series per row; speed-up 1.4x at the smallest size, "
          "log-ratio sd 0.05 there, +50% per doubling; steady within 5% per doubling\n")
    print("| truth | per doubling | interval holds it | shrinks | grows | steady | undecided "
          "| random effects | projection holds it (+2 / +4 doublings) |")
    print("|" + " --- |" * 9)
    for what, factor, options in CASES:
        r = simulation.scale_run(factor, experiments=args.experiments, **options)
        v = r["verdicts"]
        p = r["projection_coverage"]
        print(f"| {what} | {factor:g}x | {r['coverage']:.1%} | {v['shrinks']:.1%} | "
              f"{v['grows']:.1%} | {v['steady']:.1%} | {v['undecided']:.1%} | "
              f"{r['random_effects']:.1%} | {p[2]:.1%} / {p[4]:.1%} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
