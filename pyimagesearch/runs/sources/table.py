"""A table of runs: ``.csv`` or ``.parquet`` (or a pandas DataFrame through the API), what
a tracker's runs table exports. Wide: one row per run, its parameters and final values;
long: one row per (run, step, metric, value), the curves, with the run's parameters in
further columns (the same on each of its rows)."""
import math
import os

import numpy as np

from pyimagesearch.runs.sources import keys as keys_

NAME = "table"
ID_COLUMNS = ("run", "run_id", "id", "name", "run_name", "tags.mlflow.runname")
STATE_COLUMNS = ("state", "status")
ORDER_COLUMNS = ("start_time", "_timestamp", "created", "created_at")
# a tracker's bookkeeping in its exports (mlflow.search_runs(), W&B's runs table): neither
# a setting nor a result
BOOKKEEPING = ("end_time", "artifact_uri", "experiment_id", "lifecycle_stage", "_runtime",
               "_wandb", "user", "run_uuid", "updated_at", "heartbeat_at", "duration",
               "runtime", "notes", "group", "job_type", "sweep", "host")
LONG = ("metric", "value")  # a long table is known by these; its step by keys.STEP_KEYS


def claims(location):
    return not isinstance(location, str) or location.lower().endswith((".csv", ".parquet"))


def _frame(location):
    import pandas as pd
    if not isinstance(location, str):
        return location.copy()
    if not os.path.isfile(location):
        raise ValueError(f"{location}: no such file")
    try:
        if location.lower().endswith(".parquet"):
            return pd.read_parquet(location)
        return pd.read_csv(location)
    except ImportError:  # parquet without pyarrow
        raise ValueError(f"{location}: reading .parquet needs pyarrow: pip install "
                         "'.[trackers]'") from None
    except (OSError, ValueError, pd.errors.ParserError) as e:
        raise ValueError(f"{location}: cannot read it as a table ({str(e).splitlines()[0]})") \
            from None


def _plain(value):
    """A cell as a plain value: None for an empty one, a number, or text."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):
        value = value.item()
    return value


def read(location, keys, param_keys=()):
    """The table's runs as :class:`keys.Logged`."""
    frame = _frame(location)
    source = location if isinstance(location, str) else "the DataFrame"
    if frame.empty:
        raise ValueError(f"{source}: no runs (an empty table)")
    columns = [str(c) for c in frame.columns]
    frame.columns = columns
    if keys.step is not None and keys.step not in columns:
        raise ValueError(f"--step-key {keys.step}: no such column in {source} (columns: "
                         f"{', '.join(columns)})")
    if set(LONG) <= set(columns):
        return _long(frame, keys, param_keys, source)
    roles = _roles(columns, keys, param_keys)  # once a table: every row has its columns
    return [_logged(i, row, roles) for i, row in enumerate(frame.to_dict("records"))]


def _roles(columns, keys, param_keys, long=False):
    """{column: (role, name)}: id, state, order, step, bookkeeping, param or metric. In a
    long table every other column is the run's own, a parameter: its metrics are rows."""
    asked = {k for k in (keys.optimizer, keys.seed, keys.problem) if k}
    key_names = set(keys_.OPTIMIZER_KEYS + keys_.SEED_KEYS) | asked
    params, metrics = keys_.split_columns(columns, tuple(param_keys) + tuple(key_names)
                                          + (tuple(columns) if long else ()))
    roles = {}
    for column in columns:
        lower = column.lower()
        if lower in ID_COLUMNS:
            roles[column] = ("id", column)
        elif lower in BOOKKEEPING or lower.startswith("tags.") or lower.startswith("_wandb"):
            roles[column] = ("bookkeeping", column)
        elif lower in STATE_COLUMNS:
            roles[column] = ("state", column)
        elif lower in ORDER_COLUMNS:
            roles[column] = ("order", column)
        elif column == keys.step or (keys.step is None and lower in keys_.STEP_KEYS):
            roles[column] = ("step", column)
        elif column in params:
            roles[column] = ("param", params[column])
        else:
            roles[column] = ("metric", metrics[column])
    return roles


def _logged(i, row, roles):
    """One row as a run, each column read by its role (:func:`_roles`)."""
    params, metrics, run_id, state, order, step = {}, {}, f"row {i + 2}", "finished", i, 0.0
    for column, value in row.items():
        role, name = roles[column]
        value = _plain(value)
        if role == "id" and value is not None:
            run_id = str(value)
        elif role == "state" and value is not None:
            state = str(value)
        elif role == "order" and value is not None:
            order = keys_.order_of(value, i)
        elif role == "step" and keys_.is_number(value):
            step = float(value)
        elif role == "bookkeeping":
            continue
        elif role == "param" or (role == "metric" and value is not None
                                 and not keys_.is_number(value)):
            if value is not None:  # text in an unmarked column: a parameter
                params[name] = keys_.plain_number(value) if role == "param" else value
        elif role == "metric" and value is not None:
            metrics[name] = [(None, float(value))]
    metrics = {k: [(step, v) for _, v in points] for k, points in metrics.items()}
    return keys_.Logged(run_id, params, metrics, state, order)


def _long(frame, keys, param_keys, source):
    """Long form: one row per (run, step, metric, value), the step column by any of its
    usual names (keys.STEP_KEYS, or ``keys.step``); the other columns are the run's own.
    Without a run-id column a run is one combination of the key columns (the optimizer,
    the seed, the problem, the parameters: every other column), as a table exported from
    DeepOBS's or a tracker's files comes."""
    step = keys.step or next((c for c in frame.columns if c.lower() in keys_.STEP_KEYS), None)
    if step is None:
        raise ValueError(f"{source}: a long table (metric and value columns) with no step "
                         f"column ({', '.join(keys_.STEP_KEYS)}): name it with --step-key")
    run_column = next((c for c in frame.columns if c.lower() in ID_COLUMNS), None)
    extra = [c for c in frame.columns if c not in (*LONG, step, run_column)]
    roles = _roles(extra, keys, param_keys, long=True)
    # the run's settings: a row's time, runtime or status may change from row to row
    own = [c for c in extra if roles[c][0] == "param"]
    if run_column is None:
        if not own:
            raise ValueError(f"{source}: a long table with no run-id column and no key "
                             "columns (optimizer, seed, ...) to tell its runs apart")
        run_column = own
    if isinstance(run_column, str) and own:  # a run's own columns hold one value: checked once
        counts = frame.groupby(run_column, sort=False, dropna=False)[own].nunique(dropna=False)
        varies = counts[(counts > 1).any(axis=1)]
        if len(varies):
            column = next(c for c in own if varies.iloc[0][c] > 1)
            raise ValueError(f"{source}: run {varies.index[0]}: its {column} differs from row "
                             "to row (a run's own columns hold one value)")
    out = keys_.Logs()
    # one pass over plain arrays, a run's rows found by its group number (pandas' groupby
    # per run and per metric cost 10 ms a table of a few runs: most of reading one)
    group = frame.groupby(run_column, sort=False, dropna=False).ngroup().to_numpy()
    column = {c: frame[c].to_numpy() for c in frame.columns}
    by_run = np.argsort(group, kind="stable")
    for position, rows in enumerate(np.split(by_run, np.flatnonzero(np.diff(group[by_run])) + 1)):
        first = {c: column[c][rows[0]] for c in frame.columns}
        name = (", ".join(f"{c}={_plain(first[c])}" for c in run_column)
                if isinstance(run_column, list) else str(first[run_column]))
        logged = _logged(position, {c: first[c] for c in extra}, roles) \
            if extra else keys_.Logged(name, {}, {}, "finished", position)
        by_metric = {}
        for i in rows:
            if _plain(column["metric"][i]) is not None:  # a row without a metric holds none
                by_metric.setdefault(column["metric"][i], []).append(i)
        metrics = {}
        for metric, points in by_metric.items():
            try:
                series = sorted((float(column[step][i]), float(column["value"][i])) for i in points)
            except (TypeError, ValueError):
                raise ValueError(f"{source}: run {name}, metric {metric}: a step or value "
                                 "that is not a number") from None
            steps = [s for s, _ in series]
            if len(set(steps)) < len(steps):
                twice = next(s for s in steps if steps.count(s) > 1)
                told = (f"the columns {', '.join(run_column)}" if isinstance(run_column, list)
                        else f"the run column {run_column}")
                raise ValueError(f"{source}: {told} do not identify one run per {step}: "
                                 f"{name} has {metric} twice at {step} {_plain(twice):g}; "
                                 "add the column that tells those runs apart")
            metrics[str(metric)] = series
        out.append(keys_.Logged(name, logged.params, metrics, logged.state, logged.order))
    out.note = (f"long form, the step from {step}, "
                + (f"a run by its {run_column} column" if isinstance(run_column, str) else
                   f"a run one combination of {', '.join(run_column)} (no run-id column)"))
    return out
