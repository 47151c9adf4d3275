"""TensorBoard's HParams tab for a grid: each run logged with --tensorboard also records its
hyperparameters and final metrics, so the tab lists the runs side by side, filterable by
optimizer, learning rate, seed and the rest.

Written with the tensorboard package's own protos and event writer (no TensorFlow, so it
works under every Keras backend): a session-start summary with the run's hyperparameters,
and the final metrics as scalars (``final/...``) beside Keras' per-epoch ones.
"""
import math
import time

from pyimagesearch.runs import runspec
from pyimagesearch import specs


def hyperparameters(record):
    """The run's hyperparameters as TensorBoard takes them (bool, int, float, str): the
    run-spec fields that are set (but the data's folder), and the optimizer's own
    arguments (``optimizer.NAME``)."""
    out = {}
    for key in runspec.RunSpec.__dataclass_fields__:
        value = None if key == "data_dir" else record.get(key)  # where, not what
        if value is not None:
            out[key] = value if isinstance(value, (bool, int, float, str)) else str(value)
    try:
        spec = specs.parse(record["optimizer"])
        out["optimizer.name"] = spec.name
        for key, value in spec.arguments:
            out[f"optimizer.{key}"] = value if isinstance(value, (bool, int, float, str)) \
                else str(value)
    except specs.SpecError:
        pass
    return out


def final_metrics(history):
    out = {"final_val_accuracy": history["val_accuracy"][-1],
           "final_val_loss": history["val_loss"][-1], "final_train_loss": history["loss"][-1]}
    test = history.get("test_accuracy")
    if test:
        out["test_accuracy"] = test[-1]
    return {k: float(v) for k, v in out.items() if math.isfinite(float(v))}


def write(logdir, record, history, trial_id=None):
    """Append the HParams session and final metrics to the event files in ``logdir``."""
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.plugins.hparams import summary_v2
    from tensorboard.plugins.scalar import metadata as scalar
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
    from tensorboard.util import tensor_util

    writer = EventFileWriter(logdir)
    now = time.time()
    step = len(history["val_accuracy"])
    try:
        session = summary_v2.hparams_pb(hyperparameters(record), trial_id=trial_id)
        writer.add_event(event_pb2.Event(wall_time=now, step=0, summary=session))
        for name, value in final_metrics(history).items():
            metric = summary_pb2.Summary(value=[summary_pb2.Summary.Value(
                tag=f"final/{name}", metadata=scalar.create_summary_metadata(name, ""),
                tensor=tensor_util.make_tensor_proto(value, dtype="float32"))])
            writer.add_event(event_pb2.Event(wall_time=now, step=step, summary=metric))
    finally:
        writer.close()
