"""Is optimizer X really better than Y? The models, optimizers and data of the studies."""


def load_runs(path, **options):
    """A folder of runs as a result object (:func:`pyimagesearch.api.load_runs`)."""
    from pyimagesearch.api import load_runs as load  # scipy: not for `import pyimagesearch`
    return load(path, **options)


def compare(runs, **options):
    """The verdicts on ``runs`` as result objects (:func:`pyimagesearch.api.compare`)."""
    from pyimagesearch.api import compare as run  # scipy: not for `import pyimagesearch`
    return run(runs, **options)
