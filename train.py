"""Train one optimizer on one model and dataset; write its history and test report.

    python train.py --history output/minivggnet_adam_digits.pickle \
        --report output/minivggnet_adam_digits.txt --dataset digits --model minivggnet
"""
import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out of the log

from pyimagesearch import registry


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be at least 1")
    return value


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-i", "--history", required=True, help="path of the output history pickle")
    ap.add_argument("-r", "--report", required=True, help="path of the output classification report")
    ap.add_argument("-d", "--dataset", default=registry.DEFAULT_DATASET, choices=registry.DATASETS)
    ap.add_argument("-m", "--model", default=registry.DEFAULT_MODEL, choices=registry.MODELS)
    ap.add_argument("-o", "--optimizer", default=registry.DEFAULT_OPTIMIZER, choices=registry.OPTIMIZERS)
    ap.add_argument("--epochs", type=positive_int, default=registry.DEFAULT_EPOCHS)
    ap.add_argument("--batch-size", type=positive_int, default=registry.DEFAULT_BATCH_SIZE)
    ap.add_argument("--seed", type=int, default=None,
                    help="seed every random source; a CPU run is then repeatable")
    ap.add_argument("--data-dir", default=None,
                    help="read the dataset from local files in its own format instead of downloading")
    ap.add_argument("--train-limit", type=positive_int, default=None, help="use the first N training images")
    ap.add_argument("--test-limit", type=positive_int, default=None, help="use the first N test images")
    return ap.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)

    # check everything that can be checked before any long work starts
    from pyimagesearch import datasets, storage
    try:
        storage.check_writable(args.history, "--history")
        storage.check_writable(args.report, "--report")
        datasets.check_data_dir(args.data_dir)
    except ValueError as e:
        print(f"train.py: error: {e}", file=sys.stderr)
        return 2

    # load the data (uint8, native size) before building anything
    print(f"[INFO] loading {args.dataset}...")
    try:
        data = registry.DATASETS[args.dataset](args.data_dir)
    except datasets.DataDirError as e:
        print(f"train.py: error: {e}", file=sys.stderr)
        return 2
    data = data.limit(args.train_limit, args.test_limit)

    import keras
    from sklearn.metrics import classification_report
    from pyimagesearch import training
    if args.seed is not None:
        training.seed_everything(args.seed)
    data = training.prepare_images(data, args.model)
    print(f"[INFO] {len(data.train_x)} training and {len(data.test_x)} test images "
          f"of shape {data.train_x.shape[1:]}")

    # train, validating on the test set after every epoch
    print(f"[INFO] training {args.model} with {args.optimizer} for {args.epochs} epochs...")
    optimizer = registry.OPTIMIZERS[args.optimizer]()
    model, history = training.fit(data, args.model, optimizer, args.epochs, args.batch_size,
                                  seed=args.seed)

    # evaluate on the test set and write both outputs
    print("[INFO] evaluating...")
    predictions = training.predict_labels(model, data.test_x, args.batch_size)
    report = classification_report(data.test_y, predictions, labels=range(len(data.labels)),
                                   target_names=data.labels, zero_division=0)
    print(report)
    storage.write_pickle(args.history, history)
    storage.write_text(args.report, report)
    print(f"[INFO] wrote {args.history} and {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
