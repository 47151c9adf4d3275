"""An MLflow tracking store, read through MLflow's own client: ``mlflow:sqlite:///mlflow.db``
(MLflow 3's default), ``mlflow:file:./mlruns``, or a tracking server's
``mlflow:http://host:5000``; ``--experiment NAME`` (default: the one experiment with
runs). Each run's parameters (strings, read as numbers where they are), the history of
every metric it logged, and its status: FINISHED runs are read, FAILED, KILLED and
RUNNING ones named and left out. Nothing is written into the store."""
from pyimagesearch.runs.sources import keys as keys_

NAME = "mlflow"
PREFIX = "mlflow:"
EXTRA = "pip install '.[trackers]' (mlflow)"


def claims(location):
    return isinstance(location, str) and location.startswith(PREFIX)


def _client(uri):
    try:
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise ValueError(f"{PREFIX}{uri}: reading MLflow needs the mlflow package: "
                         f"{EXTRA}") from None
    return MlflowClient(tracking_uri=uri)


def _value(text):
    """A parameter as logged (MLflow keeps them as text): a number where it is one."""
    try:
        number = float(text)
    except (TypeError, ValueError):
        return text
    return int(number) if number.is_integer() and text.strip().lstrip("-").isdigit() else number


def _experiment(client, uri, name):
    experiments = client.search_experiments()
    if name is not None:
        found = [e for e in experiments if e.name == name]
        if not found:
            raise ValueError(f"{PREFIX}{uri}: no experiment {name!r} (there are: "
                             f"{', '.join(sorted(e.name for e in experiments)) or 'none'})")
        return found[0]
    with_runs = [e for e in experiments if client.search_runs([e.experiment_id], max_results=1)]
    if len(with_runs) != 1:
        raise ValueError(f"{PREFIX}{uri}: {len(with_runs)} experiments with runs: name one with "
                         f"--experiment ({', '.join(sorted(e.name for e in with_runs)) or 'none'})")
    return with_runs[0]


def read(location, keys, param_keys=()):
    """The experiment's (``keys.experiment``) runs as :class:`keys.Logged`."""
    experiment = keys.experiment
    uri = location[len(PREFIX):]
    client = _client(uri)
    from mlflow.entities import ViewType
    from mlflow.exceptions import MlflowException
    try:
        chosen = _experiment(client, uri, experiment)
        runs, token = [], None
        while True:
            page = client.search_runs([chosen.experiment_id], run_view_type=ViewType.ACTIVE_ONLY,
                                      max_results=1000, page_token=token)
            runs += list(page)
            token = page.token
            if not token:
                break
        out = []
        for run in runs:
            info, data = run.info, run.data
            metrics = {}
            for key in data.metrics:
                points = client.get_metric_history(info.run_id, key)
                metrics[key] = sorted((float(m.step), float(m.value)) for m in points)
            state = "finished" if info.status == "FINISHED" else info.status
            out.append(keys_.Logged(info.run_name or info.run_id,
                                    {k: _value(v) for k, v in data.params.items()}, metrics,
                                    state, float(info.start_time or 0)))
    except MlflowException as e:
        raise ValueError(f"{location}: cannot read it ({str(e).splitlines()[0]})") from None
    if not out:
        raise ValueError(f"{location}: experiment {chosen.name!r} has no runs")
    return out
