"""Readers: one module per kind of stored run, each turning it into the run table's
terms (a history of named series; the row's numbers in the run's own terms), found by
name. A record's ``kind`` names its reader (train.py's records, and the original study's
histories that have none, are ``train.py``'s). A new kind of run is one module with
``KIND``, ``history``, ``is_report``, ``report`` and ``metrics``, and one entry here."""
from pyimagesearch.runs.readers import program, trainpy

READERS = {module.KIND: module for module in (trainpy, program)}


def of_record(record):
    """The reader of a run's record (a dict, or None for a history without one)."""
    kind = (record or {}).get("kind") or trainpy.KIND
    if kind not in READERS:
        raise ValueError(f"a run of kind {kind!r}: no reader (known: {', '.join(READERS)})")
    return READERS[kind]


def of_report(text):
    """The reader whose report ``text`` is: the first, in order, that claims it; train.py's
    (a classification report) claims what no other does."""
    return next(r for r in (*[r for r in READERS.values() if r is not trainpy], trainpy)
                if r.is_report(text))
