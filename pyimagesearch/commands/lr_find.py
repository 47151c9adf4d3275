"""Find a learning rate: the range test (Smith 2017), any optimizer spec.

    python lr_find.py --dataset digits --model minivggnet --optimizer adam --output lr/adam

Trains from fresh weights while the learning rate rises exponentially from --min-lr to
--max-lr, one batch per rate, records the smoothed training loss, stops once it passes
4x its best, and writes DIR/lr_find.png and DIR/lr_find.json (the suggested rate, the
rule that chose it, and the curve). The optimizer's learning rate is the one swept; a
scheduled registry optimizer (radam) is swept with its schedule off, at its base rate;
one whose rate is itself a schedule (adam_sched, a callable's) is refused.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from pyimagesearch.environment import require_packages  # noqa: E402 (imports nothing heavy)

from pyimagesearch import registry  # noqa: E402
from pyimagesearch.cli import (OneLineParser, batch_size, dataset_type, model_type,  # noqa: E402
                               optimizer_type, positive_float, positive_int)
from pyimagesearch import environment  # noqa: E402
from pyimagesearch.data import datasets  # noqa: E402
from pyimagesearch.runs import runspec, storage  # noqa: E402
from pyimagesearch.train import lr_finder  # noqa: E402


def parse_args(argv=None):
    ap = OneLineParser(prog="lr_find.py", description=__doc__.split("\n")[0])
    ap.add_argument("-d", "--dataset", required=True, type=dataset_type)
    ap.add_argument("-m", "--model", required=True, type=model_type)
    ap.add_argument("-o", "--optimizer", required=True, type=optimizer_type,
                    help="an optimizer spec, as train.py takes it")
    ap.add_argument("--output", required=True, help="folder for lr_find.png and lr_find.json")
    ap.add_argument("--batch-size", type=batch_size, default=registry.DEFAULT_BATCH_SIZE)
    ap.add_argument("--steps", type=positive_int, default=None,
                    help="batches in the sweep (default: one epoch, at least 100)")
    ap.add_argument("--min-lr", type=positive_float, default=1e-7)
    ap.add_argument("--max-lr", type=positive_float, default=10.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--train-limit", type=positive_int, default=None)
    ap.add_argument("--image-size", type=positive_int, default=None)
    ap.add_argument("--augment", default="batched", choices=registry.AUGMENTATIONS)
    args = ap.parse_args(argv)
    if args.min_lr >= args.max_lr:
        ap.error(f"--min-lr {args.min_lr} must be below --max-lr {args.max_lr}")
    if registry.is_text(args.dataset) or registry.resolve_model(args.model).language:
        ap.error("the range test is for the image models: for --model gpt on text, search "
                 "the learning rate with combinations.py --trials (or --preset lm)")
    return args


def schedule_note(text):
    """Why a scheduled registry optimizer (radam) is swept with its schedule off; None
    for the others."""
    if registry.resolve_optimizer(text, check=False).entry.scheduled:
        return (f"{text} follows a learning-rate schedule in training; it is swept "
                "with the schedule off (total_steps=0): the rate found is its base rate")
    return None


def main(argv=None):
    require_packages("lr_find.py")
    args = parse_args(argv)
    environment.load_backend()
    # Keras (its backend chosen above), and matplotlib: after the arguments, so that
    # --help and a bad flag answer at once
    from pyimagesearch.outputs import figures
    from pyimagesearch.train import training
    try:
        os.makedirs(args.output, exist_ok=True)
        storage.check_writable(os.path.join(args.output, "lr_find.json"), "--output")
    except (OSError, ValueError) as e:
        print(f"lr_find.py: error: {e}", file=sys.stderr)
        return 2
    note = schedule_note(args.optimizer)
    run = runspec.RunSpec(args.dataset, args.model, args.optimizer, epochs=1,
                          batch_size=args.batch_size, seed=args.seed, augment=args.augment,
                          total_steps=0 if note else None, train_limit=args.train_limit,
                          image_size=args.image_size, data_dir=args.data_dir)
    optimizer = run.build_optimizer()
    import keras
    if isinstance(getattr(optimizer, "_learning_rate", None),
                  keras.optimizers.schedules.LearningRateSchedule) or \
            getattr(optimizer, "total_steps", 0):
        print(f"lr_find.py: error: --optimizer {args.optimizer}: its learning rate is a "
              "schedule, which a range test cannot sweep; sweep the optimizer without it "
              "(e.g. adam for adam_sched)", file=sys.stderr)
        return 2

    print(f"[INFO] loading {args.dataset}...")
    try:
        data = run.load_data()
    except datasets.DatasetError as e:
        print(f"lr_find.py: error: {e}", file=sys.stderr)
        return 2
    data = training.prepare_images(data, run.model_spec, args.image_size)
    batch = training.batch_for(run, data)
    if batch > len(data.train_x):
        print(f"lr_find.py: error: --batch-size {batch}: only {len(data.train_x)} training "
              "images", file=sys.stderr)
        return 2
    per_epoch = len(data.train_x) // batch
    steps = args.steps or max(per_epoch, 100)
    model = training.compiled_model(data, run)
    batches = training.batch_sampler(run, data, batch)
    print(f"[INFO] sweeping {args.optimizer} from {args.min_lr:g} to {args.max_lr:g} over "
          f"{steps} batches of {batch}" + (f" ({note})" if note else ""))
    used, losses, smoothed, stopped = lr_finder.sweep(
        model, batches, lr_finder.rates(args.min_lr, args.max_lr, steps))
    rate, index = lr_finder.suggest(used, smoothed)
    result = {
        "suggested_learning_rate": rate,
        "rule": lr_finder.RULE,
        "optimizer": args.optimizer, "model": args.model, "dataset": args.dataset,
        "note": note, "min_lr": args.min_lr, "max_lr": args.max_lr, "batch_size": batch,
        "steps_planned": steps, "steps_run": len(used), "stopped_early": stopped,
        "stop_rule": f"smoothed loss above {lr_finder.STOP_FACTOR:g}x its best, or not finite",
        "seed": args.seed,
        "curve": {"learning_rate": used, "loss": losses, "smoothed_loss": smoothed.tolist()},
        "run": run.record(model.optimizer, batch, data.labels),
    }
    storage.write_text(os.path.join(args.output, "lr_find.json"), json.dumps(result, indent=1))
    figures.lr_range_test(result, os.path.join(args.output, "lr_find.png"))
    if rate is None:
        print("[INFO] no suggestion: the smoothed loss never fell (widen --min-lr/--max-lr "
              "or give more --steps)")
    else:
        print(f"[INFO] suggested learning rate: {rate:.3g} ({lr_finder.RULE.split(':')[0]})")
    print(f"[INFO] wrote {args.output}/lr_find.png and lr_find.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
