"""Weights & Biases runs: an offline folder (``wandb/`` with ``offline-run-*``, what
``WANDB_MODE=offline`` writes, or any folder holding one), read record by record with the
record definitions the wandb package ships (its config, history, summary and exit
code); or a project online, ``wandb:ENTITY/PROJECT``, through ``wandb.Api()`` where the
network allows (a thin layer over the same table: not tested here, no network). Runs
that exited non-zero, or never wrote their exit, are named and left out."""
import glob
import json
import os
import struct

from pyimagesearch.runs.sources import keys as keys_

NAME = "wandb"
PREFIX = "wandb:"
EXTRA = "pip install '.[trackers]' (wandb)"
_BLOCK = 32768  # the log's block size: records never straddle a block's last 6 bytes
_HEADER = 7  # ":W&B", a 2-byte magic and a version byte


def _files(folder):
    return sorted(glob.glob(os.path.join(glob.escape(folder), "**", "offline-run-*",
                                         "run-*.wandb"), recursive=True))


def claims(location):
    return isinstance(location, str) and (location.startswith(PREFIX) or (
        os.path.isdir(location) and bool(_files(location))))


def records(path):
    """The serialized records of a .wandb file (a LevelDB-style log: 32 KiB blocks of
    chunks, each a CRC, a length and a full/first/middle/last type)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b":W&B":
        raise ValueError(f"{path}: not a W&B run file")
    pos, pending = _HEADER, b""
    while pos + 7 <= len(data):
        left = _BLOCK - pos % _BLOCK
        if left < 7:  # the block's tail is padding
            pos += left
            continue
        _, length, kind = struct.unpack("<IHB", data[pos:pos + 7])
        chunk, pos = data[pos + 7:pos + 7 + length], pos + 7 + length
        if kind == 1:
            yield chunk
        elif kind == 2:
            pending = chunk
        elif kind == 3:
            pending += chunk
        elif kind == 4:
            yield pending + chunk


def _key(item):
    return ".".join(item.nested_key) if item.nested_key else item.key


def _number(text):
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return float(value) if keys_.is_number(value) else None


def read_offline(path):
    """One offline run as :class:`keys.Logged`."""
    try:
        from wandb.proto import wandb_internal_pb2
    except ImportError:
        raise ValueError(f"{path}: reading W&B runs needs the wandb package: {EXTRA}") from None
    params, metrics, exit_code, run_id, order = {}, {}, None, os.path.basename(path), 0.0
    for data in records(path):
        try:
            record = wandb_internal_pb2.Record.FromString(data)
        except Exception:  # a damaged record (whatever protobuf raises): the run is unread
            return keys_.Logged(run_id, params, {}, "unreadable (a damaged record)", order)
        kind = record.WhichOneof("record_type")
        if kind == "run":
            run_id = record.run.run_id or run_id
            order = float(record.run.start_time.seconds)
        if kind in ("run", "config"):  # the config at the start, and any update after it
            config = record.run.config if kind == "run" else record.config
            params.update({_key(item): json.loads(item.value_json) for item in config.update
                           if not _key(item).startswith("_")})
        elif kind == "history":
            step = float(record.history.step.num)
            for item in record.history.item:
                value = _number(item.value_json)
                if not _key(item).startswith("_") and value is not None:
                    metrics.setdefault(_key(item), []).append((step, value))
        elif kind == "exit":
            exit_code = record.exit.exit_code
    state = "finished" if exit_code == 0 else \
        "no exit recorded (running, or killed)" if exit_code is None else f"exit {exit_code}"
    params = {k: v for k, v in params.items() if isinstance(v, (int, float, str, bool))}
    return keys_.Logged(run_id, params, {k: sorted(v) for k, v in metrics.items()}, state, order)


def read_online(project):
    """A project's runs through wandb.Api() (the network's): thin, over the same table."""
    try:
        import wandb
    except ImportError:
        raise ValueError(f"{PREFIX}{project}: reading W&B needs the wandb package: {EXTRA}") \
            from None
    out = []
    for i, run in enumerate(wandb.Api().runs(project)):
        metrics = {}
        for row in run.scan_history():
            for key, value in row.items():
                if not key.startswith("_") and keys_.is_number(value):
                    metrics.setdefault(key, []).append((float(row.get("_step", i)), float(value)))
        params = {k: v for k, v in run.config.items() if isinstance(v, (int, float, str, bool))}
        out.append(keys_.Logged(run.name or run.id, params, metrics, run.state, float(i)))
    return out


def read(location, keys, param_keys=()):
    if location.startswith(PREFIX):
        return read_online(location[len(PREFIX):])
    files = _files(location)
    if not files:
        raise ValueError(f"{location}: no W&B offline runs (offline-run-*/run-*.wandb)")
    return [read_offline(path) for path in files]
