"""A TensorBoard log directory: one run per folder that holds event files (its scalars
against their steps), its parameters from the hparams plugin where the run wrote them,
else from the ``key=value`` parts of its folder's name (``adam_lr=0.001_seed=3``)."""
import glob
import os
import re

from pyimagesearch.runs import metrics
from pyimagesearch.runs.sources import keys as keys_

NAME = "tensorboard"
PREFIX = "tensorboard:"
_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_.]*$")


def name_params(name):
    """``key=value`` parts of a run folder's name, split on commas where it has any (so
    that keys may hold underscores: ``optimizer=adam,learning_rate=0.001,seed=3``), else
    on underscores (``optimizer=adam_lr=0.001_seed=3``); a nested folder's parts too."""
    out = {}
    for level in name.replace(os.sep, "/").split("/"):
        for part in level.split("," if "," in level else "_"):
            key, equals, value = part.partition("=")
            if equals and value and _KEY.match(key):
                out[key] = keys_.plain_number(value)
    return out


def _events(folder):
    return glob.glob(os.path.join(glob.escape(folder), "**", "events.out.tfevents.*"),
                     recursive=True)


def claims(location):
    return isinstance(location, str) and (location.startswith(PREFIX) or (
        os.path.isdir(location) and not glob.glob(os.path.join(glob.escape(location), "*.pickle"))
        and bool(_events(location))))



def _hparams(run_dir):
    """The hparams plugin's session-start parameters, {} where the run wrote none."""
    try:
        from tensorboard.compat.proto import event_pb2
        from tensorboard.plugins.hparams import plugin_data_pb2
    except ImportError:
        return {}
    out = {}
    for path in sorted(_events(run_dir)):
        for data in metrics._records(path):
            try:
                event = event_pb2.Event.FromString(data)
            except Exception:  # a damaged record: read_tensorboard names it
                continue
            for value in event.summary.value:
                plugin = value.metadata.plugin_data
                if plugin.plugin_name != "hparams" or not plugin.content:
                    continue
                data_ = plugin_data_pb2.HParamsPluginData.FromString(plugin.content)
                if data_.HasField("session_start_info"):
                    for name, v in data_.session_start_info.hparams.items():
                        kind = v.WhichOneof("kind")
                        out[name] = (v.number_value if kind == "number_value" else
                                     v.string_value if kind == "string_value" else
                                     v.bool_value if kind == "bool_value" else None)
    return {k: (int(v) if isinstance(v, float) and v.is_integer() else v)
            for k, v in out.items() if v is not None}


def read(location, keys, param_keys=()):
    """One :class:`keys.Logged` per folder of event files under ``location``."""
    root = location[len(PREFIX):] if location.startswith(PREFIX) else location
    if not os.path.isdir(root):
        raise ValueError(f"{root}: not a directory")
    folders = sorted({os.path.dirname(p) for p in _events(root)})
    # a run's train/ and validation/ sub-folders are the run's, not runs of their own
    runs = [f for f in folders if not any(f != g and f.startswith(g + os.sep) for g in folders)
            and os.path.basename(f) not in ("train", "validation", "eval")] or folders
    if not runs:
        raise ValueError(f"{root}: no TensorBoard event files")
    out = []
    for i, run_dir in enumerate(runs):
        name = os.path.relpath(run_dir, root)
        params = _hparams(run_dir) or name_params(name)
        try:
            scalars = metrics.read_tensorboard(run_dir)
        except metrics.MetricsError as e:
            out.append(keys_.Logged(name, params, {}, f"unreadable ({e})", i))
            continue
        out.append(keys_.Logged(name, params, {k: [(s, v) for s, _, v in points]
                                               for k, points in scalars.items()}, "finished", i))
    return out
