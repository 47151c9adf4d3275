"""A program's metrics, read from the files the field's tools already write in its run
folder: JSON lines (``metrics.jsonl``, one object a logging step), PyTorch Lightning
CSVLogger's ``metrics.csv`` (its empty cells: a metric not logged at that step), Hugging
Face Trainer's ``trainer_state.json`` (``log_history``), TensorBoard event files; and,
when none of those exists, the last line of the program's standard output if it is a
JSON object. Every metric keeps its history against ``step`` (and ``epoch`` where given).

Standard library only, but for TensorBoard files (the tensorboard package reads them).
"""
import csv
import glob
import json
import math
import os
import struct


class MetricsError(ValueError):
    """Metrics that cannot be read; the message is one line naming the file."""


def _number(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and value.strip():
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _points(records, path):
    """{metric: [(step, epoch, value)]} from dicts holding step, epoch and metrics."""
    out = {}
    for index, record in enumerate(records):
        step = _number(record.get("step"))
        step = index if step is None else step
        epoch = _number(record.get("epoch"))
        for key, value in record.items():
            if key in ("step", "epoch"):
                continue
            number = _number(value)
            if number is not None:
                out.setdefault(str(key), []).append((step, epoch, number))
    if not out:
        raise MetricsError(f"{path}: no metric in it")
    return out


def _find(run_dir, name):
    found = sorted(glob.glob(os.path.join(glob.escape(run_dir), "**", name), recursive=True),
                   key=lambda p: (p.count(os.sep), os.path.getmtime(p)))
    return found[0] if found else None


def read_jsonl(path):
    records = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as e:
                raise MetricsError(f"{path}: line {n} is not a JSON object ({e}): truncated or "
                                   "malformed") from None
            if not isinstance(record, dict):
                raise MetricsError(f"{path}: line {n} is not a JSON object")
            records.append(record)
    return _points(records, path)


def read_lightning_csv(path):
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            if not reader.fieldnames:
                raise MetricsError(f"{path}: empty")
            rows = list(reader)
    except csv.Error as e:
        raise MetricsError(f"{path}: not a CSV file ({e})") from None
    if any(None in row for row in rows):  # more cells than columns
        raise MetricsError(f"{path}: a row has more cells than the header: malformed")
    return _points(rows, path)


def read_trainer_state(path):
    try:
        with open(path, encoding="utf-8") as f:
            state = json.load(f)
    except ValueError as e:
        raise MetricsError(f"{path}: not JSON ({e}): truncated or malformed") from None
    history = state.get("log_history") if isinstance(state, dict) else None
    if not isinstance(history, list):
        raise MetricsError(f"{path}: no log_history list (a Hugging Face trainer_state.json has one)")
    return _points([r for r in history if isinstance(r, dict)], path)


def _records(path):
    """The records of a TFRecord file (an event file): length, its CRC, data, its CRC."""
    with open(path, "rb") as f:
        while True:
            header = f.read(12)
            if not header:
                return
            if len(header) < 12:
                raise MetricsError(f"{path}: truncated event file")
            (length,) = struct.unpack("<Q", header[:8])
            data, crc = f.read(length), f.read(4)
            if len(data) < length or len(crc) < 4:
                raise MetricsError(f"{path}: truncated event file")
            yield data


def _scalar(value):
    """A summary value's number: simple_value (tf.summary v1, torch's SummaryWriter) or a
    one-element float tensor (tf.summary v2); None for anything else."""
    if value.HasField("simple_value"):
        return float(value.simple_value)
    if value.HasField("tensor"):
        t = value.tensor
        if len(t.float_val) == 1:
            return float(t.float_val[0])
        if len(t.double_val) == 1:
            return float(t.double_val[0])
        if t.dtype in (1, 2) and len(t.tensor_content) in (4, 8):  # DT_FLOAT, DT_DOUBLE
            return struct.unpack("<f" if t.dtype == 1 else "<d", t.tensor_content)[0]
    return None


def read_tensorboard(run_dir):
    """Scalars of every event file under ``run_dir`` (tag -> points; a tag written from a
    sub-folder, e.g. train/ or validation/, is named folder/tag). Read record by record
    with the tensorboard package's Event proto, without TensorFlow."""
    try:
        from tensorboard.compat.proto import event_pb2
    except ImportError:
        raise MetricsError(f"{run_dir}: TensorBoard event files, but no tensorboard package "
                           "to read them (pip install tensorboard)") from None
    out = {}
    for path in sorted(glob.glob(os.path.join(glob.escape(run_dir), "**", "events.out.tfevents.*"),
                                 recursive=True)):
        prefix = os.path.relpath(os.path.dirname(path), run_dir)
        prefix = "" if prefix == "." else prefix.replace(os.sep, "/") + "/"
        for data in _records(path):
            try:
                event = event_pb2.Event.FromString(data)
            except Exception as e:  # a damaged record: whatever protobuf raises
                raise MetricsError(f"{path}: damaged event ({type(e).__name__})") from None
            for value in event.summary.value:
                number = _scalar(value)
                if number is not None:
                    out.setdefault(prefix + value.tag, []).append((float(event.step), None, number))
    if not out:
        raise MetricsError(f"{run_dir}: event files with no scalar in them")
    return out


def read_stdout(text):
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return None
    try:
        record = json.loads(lines[-1])
    except ValueError:
        return None
    return _points([record], "the last line of its output") if isinstance(record, dict) else None


def read(run_dir, stdout=""):
    """(where the metrics came from, {metric: [(step, epoch, value)] sorted by step}).
    MetricsError when there is nothing to read or what is there is damaged."""
    for name, reader in (("metrics.jsonl", read_jsonl), ("metrics.csv", read_lightning_csv),
                         ("trainer_state.json", read_trainer_state)):
        path = _find(run_dir, name)
        if path:
            return path, _sorted(reader(path))
    if glob.glob(os.path.join(glob.escape(run_dir), "**", "events.out.tfevents.*"), recursive=True):
        return f"{run_dir} (TensorBoard events)", _sorted(read_tensorboard(run_dir))
    found = read_stdout(stdout)
    if found:
        return "the last line of its output", _sorted(found)
    raise MetricsError(f"{run_dir}: no metrics.jsonl, metrics.csv, trainer_state.json or "
                       "TensorBoard events, and the last line of the output is not a JSON object")


def _sorted(found):
    return {k: sorted(v, key=lambda p: p[0]) for k, v in found.items()}


LAST_LOGGED = "last_logged"  # {key: its last finite value}, whatever step it was logged at


def history(found, metric):
    """The run's history: at every point where ``metric`` was logged, its value, the step,
    the epoch (where given) and every other metric logged at that step (nan where not)."""
    points = found[metric]
    steps = [p[0] for p in points]
    out = {metric: [p[2] for p in points], "step": steps}
    if any(p[1] is not None for p in points):
        out["epoch"] = [math.nan if p[1] is None else p[1] for p in points]
    last = {}
    for key, values in found.items():
        if key in (metric, "step", "epoch"):
            continue
        at = {}
        for step, _, value in values:
            at[step] = value  # the last value logged at a step
        out[key] = [at.get(s, math.nan) for s in steps]
        finite = [(step, value) for step, value in at.items()
                  if isinstance(value, (int, float)) and math.isfinite(value)]
        # logged only at steps of its own (a size logged once, at step 1): its last value,
        # which the aligned series above cannot hold; a series logged beside the metric
        # keeps its own last value there, a diverged run's nan included
        if finite and not set(at) & set(steps):
            last[key] = max(finite, key=lambda p: p[0] if p[0] is not None else -math.inf)[1]
    if last:
        out[LAST_LOGGED] = last
    return out
