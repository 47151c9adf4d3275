"""An MLflow tracking store, read through MLflow's own client: ``mlflow:sqlite:///mlflow.db``
(MLflow 3's default), ``mlflow:file:./mlruns``, or a tracking server's
``mlflow:http://host:5000``; ``--experiment NAME`` (default: the one experiment with
runs). Each run's parameters (strings, read as numbers where they are), the history of
every metric it logged, and its status: FINISHED runs are read, FAILED, KILLED and
RUNNING ones named and left out. Nothing is written into the store."""
import contextlib
import logging
import os
import re
from importlib.metadata import version

from pyimagesearch.runs.sources import keys as keys_

NAME = "mlflow"
FILE_STORE = "MLFLOW_ALLOW_FILE_STORE"
PREFIX = "mlflow:"
EXTRA = "pip install '.[trackers]' (mlflow)"


def claims(location):
    return isinstance(location, str) and location.startswith(PREFIX)


def _client_class(uri):
    try:
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise ValueError(f"{PREFIX}{uri}: reading MLflow needs the mlflow package: "
                         f"{EXTRA}") from None
    return MlflowClient


def _client(uri):
    return _client_class(uri)(tracking_uri=uri)


def _store_path(uri):
    """The file or folder a local store's URI names (sqlite:///x.db, file:./mlruns, a
    plain path), or None for a server."""
    if uri.startswith("sqlite:///"):  # sqlite:///relative.db, sqlite:////absolute.db
        return uri[len("sqlite:///"):]
    if uri.startswith("file:"):
        return uri[len("file:"):].removeprefix("//")
    if "://" in uri:
        return None
    return uri


def _version():
    try:
        return version("mlflow")
    except Exception:  # noqa: BLE001  (a build without metadata: the message goes without it)
        return "?"


# loggers that MLflow's releases write to stderr while opening a store (alembic's plugins
# at INFO from 3.9 on): quiet for the read, so that what the user reads is ours
QUIET = ("alembic", "mlflow")


@contextlib.contextmanager
def _reading(uri):
    """A user's file store (mlruns/) read as it is: MLflow 3 refuses one unless
    MLFLOW_ALLOW_FILE_STORE is set, so it is set for the read alone (never written)."""
    old = os.environ.get(FILE_STORE)
    if _store_path(uri) is not None and not uri.startswith("sqlite:"):
        os.environ[FILE_STORE] = "true"
    levels = {name: logging.getLogger(name).level for name in QUIET}
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        yield
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        if old is None:
            os.environ.pop(FILE_STORE, None)
        else:
            os.environ[FILE_STORE] = old


def _known_schema(revision):
    """Whether the installed MLflow's own migrations name a store's schema revision: a
    store an older MLflow wrote (known), or a newer one (unknown)."""
    try:
        import mlflow.store.db_migrations as migrations
    except ImportError:
        return False
    folder = os.path.join(os.path.dirname(migrations.__file__), "versions")
    # each migration's file is named by its revision (0584bdc529eb_add_cascading_...py)
    return os.path.isdir(folder) and any(name.startswith(revision + "_")
                                         for name in os.listdir(folder))


def _said(location, error):
    """What MLflow raised, in one line, in the store's own terms: a store whose schema
    differs from the installed MLflow's names both versions and the remedy (this tool
    never migrates a store)."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if "out-of-date database schema" in text or "mlflow db upgrade" in str(error):
        found = re.search(r"found version (\w+)", str(error))
        revision = found.group(1) if found else "?"
        if found and _known_schema(revision):
            return (f"{location}: written by an older MLflow (schema {revision}) than the "
                    f"installed {_version()}, which would have to migrate it: read it with "
                    "the MLflow that wrote it, or run `mlflow db upgrade` on a copy; this "
                    "tool reads a store as it is and never migrates it")
        return (f"{location}: written by a newer MLflow (schema {revision}) than the "
                f"installed {_version()}: upgrade MLflow where you read it (pip install -U "
                "mlflow); this tool reads a store as it is and never migrates it")
    return f"{location}: cannot read it ({type(error).__name__}: {text})"


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
    _client_class(uri)  # the extra first: without mlflow, that is the one line
    path = _store_path(uri)
    if path is not None and not os.path.exists(path):  # MLflow would create it: never
        raise ValueError(f"{location}: no such store ({path} does not exist)")
    with _reading(uri):
        try:
            return _read(location, uri, experiment)
        except ValueError:
            raise
        except Exception as e:  # noqa: BLE001  (whatever MLflow raises: one line)
            raise ValueError(_said(location, e)) from None


def _read(location, uri, experiment):
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
                                    {k: keys_.plain_number(v) for k, v in data.params.items()}, metrics,
                                    state, float(info.start_time or 0)))
    except MlflowException as e:
        raise ValueError(_said(location, e)) from None
    if not out:
        raise ValueError(f"{location}: experiment {chosen.name!r} has no runs")
    return out
