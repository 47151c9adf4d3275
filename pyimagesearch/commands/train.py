"""Train one optimizer on one model and dataset; write its history and test report.

    python train.py --history output/minivggnet_adam_digits.pickle \
        --report output/minivggnet_adam_digits.txt --dataset digits --model minivggnet
"""
import argparse
import importlib.util
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out of the log

from pyimagesearch.environment import require_packages  # noqa: E402 (imports nothing heavy)

from pyimagesearch import registry, specs  # noqa: E402 (after the check above)
from pyimagesearch.cli import (OneLineParser, batch_size, dataset_type, fraction,  # noqa: E402
                               model_type, optimizer_syntax, positive_float, positive_int,
                               resolve_optimizer_arg)
from pyimagesearch import environment  # noqa: E402
from pyimagesearch.data import datasets  # noqa: E402
from pyimagesearch.runs import results, runspec, storage  # noqa: E402
from pyimagesearch.train import checkpoint, hparams  # noqa: E402


def add_training_arguments(ap):
    """How the run trains: its rate and schedule, images, augmentation, precision, BatchNorm
    statistics, tuning family, and the language model's shape."""
    ap.add_argument("--learning-rate", type=positive_float, default=None,
                    help="override the optimizer's default learning rate (its base rate, "
                         "when it follows a schedule)")
    ap.add_argument("--total-steps", type=positive_int, default=None,
                    help="rescale the original RAdam schedule (5000 steps: warm-up 10%%, "
                         "then down to 1e-5) for the scheduled optimizers; others ignore it")
    ap.add_argument("--image-size", type=positive_int, default=None,
                    help="resize images to N x N (default: 32 for folder: datasets and the "
                         "study's CNNs; as stored for the MLPs and your own models)")
    ap.add_argument("--augment", default=None, choices=registry.AUGMENTATIONS,
                    help="batched: the study's transforms as one batched op on the device "
                         "(default); legacy: the original ImageDataGenerator on the CPU; none")
    ap.add_argument("--mixed-precision", action="store_true",
                    help="compute in bfloat16 with float32 weights (Keras' mixed_bfloat16): "
                         "for GPUs with bfloat16 units (A100, H100); slower on CPUs")
    ap.add_argument("--precise-bn", nargs="?", const="auto", default=None, metavar="N",
                    type=lambda text: text if text == "auto" else positive_int(text),
                    help="before every validation and the test, recompute the model's "
                         "BatchNorm statistics as the mean over N training batches (default N: "
                         "about 4,096 images), weights untouched; for short runs, whose moving "
                         "averages have not settled. No effect on models without BatchNorm")
    ap.add_argument("--setting-of", metavar="NAME", default=None,
                    help="this setting is one trial of optimizer NAME's tuning (combinations.py "
                         "--trials and --tune write it): the summary compares NAME at its setting "
                         "selected on validation; without it the setting is a rival of its own")
    lm = ap.add_argument_group("the language model (--model gpt; default "
                               + ", ".join(f"{k} {v}" for k, v in registry.GPT_SHAPE.items())
                               + f", {registry.GPT_STEPS} steps)")
    lm.add_argument("--layers", type=positive_int, help="transformer blocks")
    lm.add_argument("--width", type=positive_int, help="the residual stream's width")
    lm.add_argument("--heads", type=positive_int, help="attention heads (must divide --width)")
    lm.add_argument("--context", type=positive_int, help="bytes a window holds")


def parse_args(argv=None):
    # --verbose first: resolving an optimizer spec below may start the backend already
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--verbose", action="store_true")
    if early.parse_known_args(argv)[0].verbose:
        os.environ[environment.VERBOSE_VARIABLE] = "1"
    ap = OneLineParser(prog="train.py", description=__doc__.split("\n")[0])
    ap.add_argument("-i", "--history", required=True, help="path of the output history pickle")
    ap.add_argument("-r", "--report", required=True, help="path of the output classification report")
    ap.add_argument("-d", "--dataset", default=registry.DEFAULT_DATASET, type=dataset_type,
                    help=f"{', '.join(registry.DATASETS)}; folder:PATH (class folders of "
                         "images) or npz:PATH (x_train, y_train, x_test, y_test); for --model "
                         "gpt: text (the Python standard library's source, as bytes) or "
                         "text:PATH (your own text file or folder)")
    ap.add_argument("-m", "--model", default=registry.DEFAULT_MODEL, type=model_type,
                    help=f"{', '.join(registry.MODELS)} (gpt: a small transformer language "
                         "model, on --dataset text; its shape in its name, gpt(width=64), or "
                         "by the flags below); or package.module:callable, called "
                         "as callable(input_shape, classes), returning a keras.Model")
    ap.add_argument("-o", "--optimizer", default=registry.DEFAULT_OPTIMIZER,
                    type=optimizer_syntax,
                    help=f"{', '.join(registry.OPTIMIZERS)}, any keras.optimizers class by name "
                         "(adamw, lion, muon, ...), or package.module:callable; optionally with "
                         "literal keyword arguments: 'adamw(learning_rate=3e-4, weight_decay=0.05)'")
    ap.add_argument("--epochs", type=positive_int, default=None,
                    help=f"passes over the training images (default {registry.DEFAULT_EPOCHS})")
    ap.add_argument("--batch-size", type=batch_size, default=None,
                    help="images per step, or 'full' for the whole training set (default "
                         f"{registry.DEFAULT_BATCH_SIZE}); for gpt, windows of text per step "
                         f"(default {registry.GPT_BATCH})")
    ap.add_argument("--steps", type=positive_int, default=None,
                    help="a budget of N updates instead of --epochs; test accuracy, loss and "
                         "training time are recorded at 500 x 2^k updates and at the end")
    ap.add_argument("--seed", type=int, default=None,
                    help="seed every random source; a CPU run is then repeatable")
    ap.add_argument("--data-dir", default=None,
                    help="read the dataset from local files in its own format instead of downloading")
    ap.add_argument("--train-limit", type=positive_int, default=None, help="a stratified subset of N training images, the same for every run")
    ap.add_argument("--test-limit", type=positive_int, default=None, help="a stratified subset of N test images, the same for every run")
    ap.add_argument("--validation-split", type=fraction, default=None, metavar="F",
                    help="hold out a stratified fraction F of the training set (the same for "
                         "every optimizer and seed) to validate on every epoch; the test set is "
                         "then touched once, after training. Default: validate on the test set, "
                         "as the original did")
    add_training_arguments(ap)
    ap.add_argument("--tensorboard", metavar="DIR", default=None,
                    help="log the run for TensorBoard in DIR (Keras' TensorBoard callback; "
                         "view with: tensorboard --logdir DIR)")
    ap.add_argument("--verbose", action="store_true",
                    help="let the backend's start-up lines through (oneDNN, CUDA probing: "
                         "held back by default; also SHOW_BACKEND_STARTUP=1)")
    ap.add_argument("--force", action="store_true",
                    help="train even when this run's history and report already exist")
    args = ap.parse_args(argv)
    language_checks(ap, args)
    if args.tensorboard and importlib.util.find_spec("tensorboard") is None:
        ap.error("--tensorboard needs the tensorboard package (pip install -r requirements.txt)")
    if args.tensorboard and args.steps:
        ap.error("--tensorboard logs epoch-based runs; a --steps run records its evaluation "
                 "points in its history (plot.py draws them)")
    arguments = specs.parse(args.optimizer).kwargs
    for flag, key in (("--learning-rate", "learning_rate"), ("--total-steps", "total_steps")):
        if getattr(args, key) is not None and key in arguments:
            ap.error(f"{flag} and --optimizer {args.optimizer} both set {key}: give it once")
    args.optimizer = resolve_optimizer_arg(ap, args.optimizer)  # may start the backend: last
    return args


_IMAGES_ONLY = {"epochs": "--epochs (a language model trains --steps)",
                "augment": "--augment", "precise_bn": "--precise-bn (it has no BatchNorm)",
                "validation_split": "--validation-split (the text has its own validation split)",
                "train_limit": "--train-limit", "test_limit": "--test-limit",
                "image_size": "--image-size", "mixed_precision": "--mixed-precision",
                "tensorboard": "--tensorboard"}


def language_checks(ap, args):
    """A language model and text go together, and the image flags do not apply to them
    (refused, not ignored); the defaults are filled in here, for either kind of run."""
    text, gpt = registry.is_text(args.dataset), registry.resolve_model(args.model).language
    name, shape = registry.model_shape(args.model)
    for key, value in shape.items():  # gpt(width=256): the shape flags, said in the model's name
        if getattr(args, key) not in (None, value):
            ap.error(f"--model {args.model} and --{key} {getattr(args, key)}: give the {key} once")
        setattr(args, key, value)
    args.model = name if shape else args.model
    if text and not gpt:
        ap.error(f"--dataset {args.dataset} is text: it trains a language model (--model gpt)")
    if gpt and not text:
        ap.error(f"--model {args.model} is a language model: give --dataset text or text:PATH")
    shape = [f"--{k}" for k in registry.GPT_SHAPE if getattr(args, k) is not None]
    if shape and not gpt:
        ap.error(f"{', '.join(shape)}: for --model gpt only")
    if gpt:
        given = [flag for key, flag in _IMAGES_ONLY.items() if getattr(args, key)]
        if given:
            ap.error(f"{given[0]} does not apply to a language model")
        width = args.width or registry.GPT_SHAPE["width"]
        heads = args.heads or registry.GPT_SHAPE["heads"]
        if width % heads:
            ap.error(f"--width {width} is not divisible by --heads {heads}: each head takes "
                     "width / heads dimensions")
        if args.batch_size == "full":
            ap.error("--batch-size full does not apply to a language model: give windows per step")
        args.steps = args.steps or registry.GPT_STEPS
        args.batch_size = args.batch_size or registry.GPT_BATCH
    args.epochs = args.epochs or registry.DEFAULT_EPOCHS
    args.batch_size = args.batch_size or registry.DEFAULT_BATCH_SIZE
    args.augment = args.augment or "batched"


def command_words(argv):
    """What a run's command line says it is: its words without --force and --verbose,
    which change nothing about the run. Recorded with the run, so that the same line run
    again (a grid rerun after a crash) is known to be done before Keras is imported."""
    return [w for w in argv if w not in ("--force", "--verbose")]


def skip_early(argv):
    """The skip of a finished run, decided before any heavy import: its history path when
    this command line's outputs hold a finished run recorded with these very words. Anything less
    certain (an older record, other words for the same run) goes the full way."""
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("-i", "--history")
    early.add_argument("-r", "--report")
    early.add_argument("--force", action="store_true")
    try:
        known, _ = early.parse_known_args(argv)
    except SystemExit:
        return False
    if known.force or not known.history or not known.report:
        return False
    record = finished_run(known.history, known.report)
    return bool(record) and record.get("command") == command_words(argv) and known.history


def finished_run(history_path, report_path):
    """The record of the finished run at these paths ({} for a history from before records
    existed), or None when either output is missing or damaged (which means: train again)."""
    try:
        history = results.load_history(history_path)
        results.load_report(report_path)
    except ValueError:
        return None
    return runspec.from_history(history) or {}


def main(argv=None):
    require_packages("train.py")
    argv = sys.argv[1:] if argv is None else list(argv)
    done = skip_early(argv)
    if done:
        print(f"[INFO] skipping: {done} already holds this run, from this very command line "
              "(--force to train again)")
        return 0
    args = parse_args(argv)

    # check everything that can be checked before any long work starts
    try:
        storage.check_writable(args.history, "--history")
        storage.check_writable(args.report, "--report")
        datasets.check_data_dir(args.data_dir)
    except ValueError as e:
        print(f"train.py: error: {e}", file=sys.stderr)
        return 2

    # finished work is kept: rerunning a grid after a crash redoes only what is missing;
    # but only the same run counts as done, and another one never overwrites it unasked
    run = runspec.RunSpec.from_args(args)
    record = None if args.force else finished_run(args.history, args.report)
    if record is not None:
        differ = run.differences(record)
        if differ:
            print(f"train.py: error: {args.history} holds a finished run that differs from this "
                  f"one in {'; '.join(differ)}; to replace it, add --force; to keep both, write "
                  "to another folder", file=sys.stderr)
            return 2
        print(f"[INFO] skipping: {args.history} and {args.report} already hold this run "
              "(--force to train again)")
        return 0

    # load the data (uint8, native size) before building anything
    environment.load_backend()
    if run.language:
        return train_language_model(args, run, argv)
    return train_images(args, run, argv)


def train_images(args, run, argv):
    """An image classifier's run: the data, the fit (checkpointed every epoch), then
    :func:`test_and_write`."""
    print(f"[INFO] loading {args.dataset}...")
    try:
        data = run.load_data()
    except datasets.DatasetError as e:
        print(f"train.py: error: {e}", file=sys.stderr)
        return 2

    for split, names in data.missing_classes().items():
        print(f"[WARNING] the {split} set has no image of {len(names)} of {len(data.labels)} "
              f"classes ({', '.join(names[:5])}{', ...' if len(names) > 5 else ''}): its "
              "accuracy does not speak for them; the summary marks this run", file=sys.stderr)

    # Keras, once the backend is chosen and the arguments checked
    from pyimagesearch.train import training
    if args.seed is not None:
        training.seed_everything(args.seed)
    data = training.prepare_images(data, run.model_spec, args.image_size)
    held_out = "" if data.val_x is None else f", {len(data.val_x)} held out for validation"
    print(f"[INFO] {len(data.train_x)} training and {len(data.test_x)} test images "
          f"of shape {data.train_x.shape[1:]}, {len(data.labels)} classes{held_out}")
    batch = training.batch_for(run, data)
    if batch > len(data.train_x):
        print(f"train.py: error: --batch-size {batch}: only {len(data.train_x)} training images",
              file=sys.stderr)
        return 2

    # train, validating after every epoch (on the hold-out, else on the test set)
    budget = f"{args.steps:,} steps" if args.steps else f"{args.epochs} epochs"
    print(f"[INFO] training {args.model} with {args.optimizer} for {budget} "
          f"in batches of {batch}...")
    # every finished epoch is checkpointed beside the outputs; a rerun resumes there
    checkpoint_dir = checkpoint.folder_for(args.history)
    try:
        # a progress bar per epoch on a terminal; one line per epoch in a grid's log file
        callbacks = []
        if args.tensorboard:
            import keras
            callbacks.append(keras.callbacks.TensorBoard(log_dir=args.tensorboard))
        model, history = training.fit(data, run, checkpoint_dir=checkpoint_dir, callbacks=callbacks,
                                      verbose="auto" if sys.stdout.isatty() else 2)
    except training.ModelError as e:
        print(f"train.py: error: {e}", file=sys.stderr)
        return 2
    except training.Interrupted as stop:
        print(f"[INFO] {stop}; checkpoint kept in {stop.checkpoint_dir}: "
              "run the same command to resume", file=sys.stderr)
        return 128 + stop.signum

    return test_and_write(args, argv, model, data, history, batch, checkpoint_dir)


def test_and_write(args, argv, model, data, history, batch, checkpoint_dir):
    """The test set's classification report, the BatchNorm diagnosis, TensorBoard's
    HParams, and the run's history and report written."""
    from sklearn.metrics import classification_report

    # Keras, once the backend is chosen and the arguments checked
    from pyimagesearch.train import training
    # evaluate on the test set and write both outputs (with --precise-bn, the statistics
    # were recomputed at the last validation, after the last step)
    print("[INFO] evaluating on the test set...")
    training.evaluate_on_test(model, data, history, min(batch, 1024))
    predictions = training.predict_labels(model, data.test_x, min(batch, 1024))
    report = classification_report(data.test_y, predictions, labels=range(len(data.labels)),
                                   target_names=data.labels, zero_division=0,
                                   digits=4)  # the default 2 hides differences between optimizers
    if "diverged_epoch" in history:
        epoch = int(history["diverged_epoch"][0])
        report = (f"DIVERGED at {'evaluation point' if args.steps else 'epoch'} {epoch} of "
                  f"{len(history['loss']) if args.steps else args.epochs}: the training loss became "
                  "non-finite and training stopped there.\nThe report below is of the model "
                  "as it was then.\n\n" + report)
    print(report)
    diagnosis = results.batchnorm_diagnosis(history, results.parse_report(report),
                                            len(data.labels))
    if diagnosis:
        print(f"[WARNING] {diagnosis}", file=sys.stderr)
    if args.tensorboard:  # TensorBoard's HParams tab compares the runs of a grid
        history[runspec.RECORD_KEY]["tensorboard"] = os.path.abspath(args.tensorboard)
        hparams.write(args.tensorboard, history[runspec.RECORD_KEY], history,
                      trial_id=os.path.splitext(os.path.basename(args.history))[0])
    return write_outputs(args, argv, history, report, checkpoint_dir,
                         f"test accuracy {results.parse_report(report)['accuracy']:.4f}")


def write_outputs(args, argv, history, report, checkpoint_dir, final):
    """The run's history (recording its command line, for the early skip) and report, its
    checkpoint gone; ``final``: the last line, which the launchers' progress lines read."""
    history[runspec.RECORD_KEY]["command"] = command_words(argv)
    storage.write_pickle(args.history, history)
    storage.write_text(args.report, report)
    checkpoint.remove(checkpoint_dir)
    print(f"[INFO] wrote {args.history} and {args.report}")
    print(f"[INFO] {final}")
    return 0


def train_language_model(args, run, argv):
    """--model gpt on text: the same recipe, bytes instead of images (pyimagesearch.train.language)."""
    # Keras, once the backend is chosen and the arguments checked
    from pyimagesearch.train import language, training
    print(f"[INFO] loading {args.dataset}...")
    try:
        data = run.load_data()
        language.check(run, data)
    except (datasets.DatasetError, ValueError) as e:
        print(f"train.py: error: {e}", file=sys.stderr)
        return 2
    print(f"[INFO] {data.source}: {data.files} text files split {data.split}, "
          f"{len(data.train):,} training, {len(data.validation):,} validation and "
          f"{len(data.test):,} test bytes")
    if args.seed is not None:
        training.seed_everything(args.seed)
    layers, width, heads, context = language.shape(run)
    print(f"[INFO] training gpt ({layers} layers, width {width}, {heads} heads, context "
          f"{context}) with {args.optimizer} for {args.steps:,} steps of {run.batch_size} windows...")
    checkpoint_dir = checkpoint.folder_for(args.history)
    try:
        model, history = language.fit(run, data, checkpoint_dir)
    except training.Interrupted as stop:
        print(f"[INFO] {stop}; checkpoint kept in {stop.checkpoint_dir}: "
              "run the same command to resume", file=sys.stderr)
        return 128 + stop.signum
    print("[INFO] evaluating on the test split...")
    predicted = language.evaluate_on_test(model, data, history)
    report = language.report(history, predicted)
    print(report)
    return write_outputs(args, argv, history, report, checkpoint_dir,
                         f"final test_loss {history['test_loss'][0]:.4f}")


if __name__ == "__main__":
    sys.exit(main())
