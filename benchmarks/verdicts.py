"""The decision rule's error rates and seeds spent, measured by simulation against a
known truth (no training: the paired differences are drawn with the spread of real runs,
1-3 accuracy points). Runs the whole sequential procedure of plot.py and decide.py.

    python benchmarks/verdicts.py [--experiments 4000]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pyimagesearch.stats import simulation, verdicts  # noqa: E402

CASES = [  # (true difference in margins, sd in points, problems, optimizers, max seeds)
    (0, 1, 1, 2, 20), (0, 2, 1, 2, 20), (0, 3, 1, 2, 20),
    (2, 1, 1, 2, 20), (2, 2, 1, 2, 20), (2, 3, 1, 2, 20), (2, 3, 1, 2, 40),
    (0, 0.5, 1, 2, 20),
    (0, 2, 12, 4, 20), (0, 3, 12, 4, 20), (2, 2, 12, 2, 20), (0, 0.5, 12, 2, 20), (0, 1, 12, 2, 20),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--experiments", type=int, default=4000)
    args = ap.parse_args()
    margin = verdicts.MARGIN
    print(f"margin {margin:g} point, alpha {verdicts.ALPHA:g}, {args.experiments} simulated "
          "experiments per row; looks at the seeds shown\n")
    print("| true B - A | sd | problems x pairs | looks (seeds) | better | worse | equivalent "
          "| undecided | any wrong call (family) | mean seeds |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for gap, sd, problems, optimizers, cap in CASES:
        r = simulation.run(gap * margin, sd, args.experiments, problems, optimizers, cap)
        pairs = optimizers * (optimizers - 1) // 2
        print(f"| {gap * margin:g} | {sd:g} | {problems} x {pairs} | {', '.join(map(str, r['plan']))} "
              f"| {r['better']:.1%} | {r['worse']:.1%} | {r['equivalent']:.1%} | "
              f"{r['undecided']:.1%} | {r['familywise_wrong']:.1%} | {r['mean_seeds']:.1f} |")
    # unequal seeds: one family whose comparisons have 3, 10 or 20 seeds at the first look,
    # some runs damaged; every comparison read on all the seeds it has at each look
    print("\nUnequal seeds in one family (one pair on each of 6 problems; seeds at the first "
          "look 3, 3, 10, 10, 20, 20; looks of the default plan from the fewest): the chance "
          "of any wrong call, and per problem the verdicts and the seeds read\n")
    print("| true B - A per problem | sd | damaged runs | any wrong call (family) | "
          "better (per problem) | equivalent (per problem) | mean seeds read |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    seeds = [3, 3, 10, 10, 20, 20]
    for truth, sd, damaged in (([0] * 6, 1, 0), ([0] * 6, 2, 0), ([0] * 6, 2, 0.1),
                               ([0, 3, 0, 3, 0, 3], 0.5, 0), ([0, 3, 0, 3, 0, 3], 2, 0.1),
                               ([0, 2, 0, 2, 0, 2], 2, 0)):
        r = simulation.unequal_run(truth, sd, seeds, args.experiments, damaged=damaged)
        cells = [" / ".join(f"{p[v]:.0%}" for p in r["problems"]) for v in ("better", "equivalent")]
        print(f"| {', '.join(map(str, truth))} | {sd:g} | {damaged:.0%} | "
              f"{r['familywise_wrong']:.1%} | {cells[0]} | {cells[1]} | "
              + " / ".join(f"{p['mean_seeds']:.1f}" for p in r["problems"]) + " |")
    r = simulation.run(0.0, 2.0, args.experiments, problems=6, optimizers=3, start=[3, 10, 20],
                       damaged=0.05)
    print(f"| 0 (6 problems x 3 pairs, 3/10/20 seeds) | 2 | 5% | {r['familywise_wrong']:.1%} | "
          f"{r['better']:.1%} (pooled) | {r['equivalent']:.1%} (pooled) | {r['mean_seeds']:.1f} |")

    # a metric in its own units where lower is better (a validation loss, margin 0.02)
    print("\nLower is better (a validation loss; margin 0.02 in its units; B's true gain = how "
          "much lower its loss is; the raw values oriented as the summary orients them)\n")
    print("| goal | true gain | sd | better | worse | equivalent | undecided | mean seeds |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for goal, gain, sd in (("min", 0.0, 0.02), ("min", 0.0, 0.04), ("min", 0.04, 0.04),
                           ("min", -0.04, 0.04), ("min", 0.0, 0.01), ("max", 0.04, 0.04)):
        r = simulation.metric_run(gain, sd, goal, args.experiments)
        print(f"| {goal} | {gain:g} | {sd:g} | {r['better']:.1%} | {r['worse']:.1%} | "
              f"{r['equivalent']:.1%} | {r['undecided']:.1%} | {r['mean_seeds']:.1f} |")

    # the speed-up: B's steps to the target over A's, censoring included
    print("\nA discrete metric: accuracy on 170 examples (steps of 0.59 points), the runs' "
          "accuracies rounded to a whole example, margin 1 point. The floor of the spread is "
          "the metric's resolution (the smallest gap between values seen, the margin where all "
          "are alike), against the floor before (a millionth of a point):")
    print("| true B - A | sd before rounding | floor | zero spread at look 0 | better | worse | "
          "equivalent | undecided | mean seeds |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for gap in (0.0, 1.5, 1.18):
        for sd in (0.05, 0.3, 1.0):
            for floor, name in ((None, "resolution"), (1e-6, "1e-6")):
                r = simulation.discrete_run(gap, sd, experiments=args.experiments,
                                            fixed_floor=floor)
                print(f"| {gap:g} | {sd:g} | {name} | {r['zero_spread_first_look']:.0%} | "
                      f"{r['better']:.1%} | {r['worse']:.1%} | {r['equivalent']:.1%} | "
                      f"{r['undecided']:.1%} | {r['mean_seeds']:.1f} |")

    print("\nThe speed-up (speedups.csv's verdict): B reaches the target at true_ratio x A's "
          "steps, log-ratio sd as shown; a run not there by 1.5 x A's typical steps never "
          "reaches it (censored); as fast within 5%\n")
    print("| true ratio B/A | sd of log ratio | faster | slower | as fast | undecided | "
          "pairs censored | mean seeds |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for ratio, sd in ((0.7, 0.1), (0.7, 0.2), (1.0, 0.1), (1.0, 0.2), (1.0, 0.02), (1.3, 0.2),
                      (2.0, 0.1)):
        r = simulation.speed_run(ratio, sd, args.experiments)
        print(f"| {ratio:g} | {sd:g} | {r['faster']:.1%} | {r['slower']:.1%} | {r['as fast']:.1%} | "
              f"{r['undecided']:.1%} | {r['censored']:.1%} | {r['mean_seeds']:.1f} |")

    print("\nThe speed-up from curves, its target as plot.py takes it (the worse optimizer's "
          "worst final loss over the first look's 3 seeds: a level every run of both reached "
          "there, whichever is A): each run's loss c + k/t at 40 evaluation steps plus noise "
          "(sd 0.002), B's k true_ratio x A's (log sd as shown); a later seed's run short of "
          "the target is censored; 'swapped': the same runs with A and B exchanged (the "
          "mirror image is the right answer); 'failed': 10% of runs lost (unequal seeds)\n")
    print("| true ratio B/A | sd of log ratio | runs | faster | slower | as fast | undecided | "
          "pairs censored | mean seeds |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for ratio, sd, swapped, failed in ((1.0, 0.1, False, 0.0), (1.0, 0.2, False, 0.0),
                                       (1.0, 0.1, True, 0.0), (1.0, 0.2, False, 0.1),
                                       (1.0, 0.02, False, 0.0), (0.8, 0.1, False, 0.0),
                                       (0.8, 0.1, True, 0.0), (0.9, 0.1, False, 0.1),
                                       (0.7, 0.2, False, 0.1), (1.3, 0.2, False, 0.0)):
        r = simulation.speed_curves_run(ratio, sd, experiments=args.experiments,
                                        a_is_faster=swapped, failed=failed)
        runs = "swapped" if swapped else f"{failed:.0%} failed" if failed else "as run"
        print(f"| {ratio:g} | {sd:g} | {runs} | {r['faster']:.1%} | {r['slower']:.1%} | "
              f"{r['as fast']:.1%} | {r['undecided']:.1%} | {r['censored']:.1%} | "
              f"{r['mean_seeds']:.1f} |")

    naive = simulation.naive_false_positives(2.0, args.experiments)
    print(f"\nFor contrast, a fresh 5% t-test after every seed from 3 to 20 (no difference, "
          f"sd 2): a winner is called in {naive:.1%} of experiments.")

    # the verdict by tuning budget: 8 trials per optimizer, 5 seeds, the same response to
    # the trials for both (trial levels sd 3 points), run effect sd, val/test noise sd 0.5
    print("\nThe verdict by tuning budget (analysis.budget_verdicts' statistic): 8 trials per "
          "optimizer, 5 seeds, both optimizers responding alike to their trials; share of "
          "verdicts at budgets 1, 2, 4, 8\n")
    print("| true B - A | run sd | verdict | b=1 | b=2 | b=4 | b=8 |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for gap, sd in ((0, 1), (0, 2), (2, 1), (2, 2)):
        rows = {r["budget"]: r for r in simulation.budget_run(gap * margin, sd, args.experiments)}
        for verdict in ("better", "worse", "equivalent"):
            print(f"| {gap * margin:g} | {sd:g} | {verdict} | "
                  + " | ".join(f"{rows[b][verdict]:.1%}" for b in (1, 2, 4, 8)) + " |")

    # many optimizers: each against a baseline, a race for the best, every pair
    print("\nSix optimizers on one problem, true levels 0, 0, 0, +3, -3, +0.5 points above the "
          "first (the baseline), own seed spreads 1.5-2.0 points (or as shown) and a shared "
          "seed effect of 1; 3 seeds each at the first look, cap 20 (120 runs for all six)\n")
    print("| truth | spreads | mode | comparisons | looks (seeds) | any wrong call (family) | "
          "mean runs | of 120 | best found alone | best kept |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    levels, spreads = [0, 0, 0, 3, -3, 0.5], [1.5, 1.6, 1.7, 1.8, 1.9, 2.0]
    for truth, spread_set in ((levels, spreads), ([0] * 6, spreads), (levels, [1, 1, 1, 1, 3, 3]),
                              ([0] * 6, [1, 1, 1, 1, 3, 3]), ([0] * 6, [1, 3, 1, 3, 1, 3])):
        for mode in simulation.MODES:
            r = simulation.many_optimizers(truth, spread_set, mode, args.experiments)
            best = (f"{r['best_alone']:.1%} | {r['best_kept']:.1%}" if mode == "race" else " | ")
            print(f"| {'issue' if truth == levels else 'all equal'} | "
                  f"{'1.5-2.0' if spread_set == spreads else ', '.join(map(str, spread_set))} | "
                  f"{mode} | {r['comparisons']} | {', '.join(map(str, r['plan']))} | "
                  f"{r['familywise_wrong']:.1%} | {r['mean_runs']:.1f} | "
                  f"{r['mean_runs'] / r['cap_runs']:.0%} | {best} |")
        if truth == levels and spread_set == spreads:
            for mode in ("baseline",):
                r = simulation.many_optimizers(truth, spread_set, mode, args.experiments)
                print("\n" + "; ".join(f"baseline vs {v['b']} (truth {v['truth']:+g}): better "
                                       f"{v['better']:.1%}, worse {v['worse']:.1%}, equivalent "
                                       f"{v['equivalent']:.1%}" for v in r["verdicts"]) + "\n")

    # decide.py on a tuned grid: selection on validation at the first look, then fixed
    print("\ndecide.py on a tuned grid: T settings per optimizer (true accuracies spread 1.5 "
          "points), each optimizer's setting selected on the mean validation accuracy of its "
          "first 3 seeds and fixed; the verdict on the test accuracies of those settings, "
          "judged against the selected settings' true difference; run effect sd 1 shared by "
          "validation and test, their own noise sd 0.5\n")
    print("| mean gap B - A | trials | better | worse | equivalent | undecided | any wrong | "
          "mean seeds | first seeds' flattery (points) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for gap in (0, 1, 3):
        for trials in (1, 4, 8):
            r = simulation.tuned_decision(gap, args.experiments, trials)
            print(f"| {gap:g} | {trials} | {r['better']:.1%} | {r['worse']:.1%} | "
                  f"{r['equivalent']:.1%} | {r['undecided']:.1%} | {r['wrong']:.1%} | "
                  f"{r['mean_seeds']:.1f} | {r['selection_flattery']:+.2f} |")


if __name__ == "__main__":
    main()
