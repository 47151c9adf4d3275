"""Load pickles without executing anything they ask for.

A pickle can name any importable callable; ``pickle.load`` calls it. Histories and
dataset batches only ever hold plain containers, numbers, strings and NumPy arrays
of numbers, so the unpickler below admits exactly the globals those need and
refuses every other one, naming the file.
"""
import io
import pickle

import numpy as np

# (module, name) pairs NumPy uses to pickle arrays, scalars and dtypes, in both
# the NumPy 1 (numpy.core) and NumPy 2 (numpy._core) spellings.
_NUMPY_GLOBALS = {
    (module, name)
    for module in ("numpy.core.multiarray", "numpy._core.multiarray")
    for name in ("_reconstruct", "scalar")
} | {("numpy", "ndarray"), ("numpy", "dtype")}
_BUILTINS = {("builtins", n) for n in ("dict", "list", "tuple", "set", "frozenset",
                                       "int", "float", "complex", "bool", "str", "bytes")}
# Protocol-2 pickles written by Python 3 rebuild bytes with _codecs.encode(str, "latin1"):
# a pure function, harmless to call.
_BUILTINS |= {("_codecs", "encode")}
_NUMERIC_KINDS = set("biufc?")


class UnsafePickleError(ValueError):
    pass


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _NUMPY_GLOBALS | _BUILTINS:
            return super().find_class(module, name)
        raise UnsafePickleError(f"refuses to load {module}.{name}")


_PLAIN = (float, int, bool, str, type(None))


def _check_numbers(obj, path):
    """Reject arrays and dtypes of non-numbers (object arrays could hide anything)."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            _check_numbers(key, path)
            _check_numbers(value, path)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        # a history's series are lists of plain numbers: nothing in them to check
        if all(type(value) in _PLAIN for value in obj):
            return
        for value in obj:
            _check_numbers(value, path)
    elif isinstance(obj, (np.ndarray, np.generic)) and obj.dtype.kind not in _NUMERIC_KINDS:
        raise UnsafePickleError(f"{path}: holds a NumPy array of {obj.dtype}, not numbers")


def load(path, encoding="ASCII"):
    """Unpickle ``path`` safely; any failure is a ValueError naming the file."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ValueError(f"{path}: cannot read ({e.strerror or e})") from None
    return loads(data, path, encoding)


def loads(data, path="<bytes>", encoding="ASCII"):
    if not data:
        raise ValueError(f"{path}: file is empty")
    try:
        obj = _RestrictedUnpickler(io.BytesIO(data), encoding=encoding).load()
    except UnsafePickleError as e:
        raise UnsafePickleError(f"{path}: {e} (not a plain data pickle)") from None
    except Exception as e:  # truncated or corrupt streams raise many types
        raise ValueError(f"{path}: not a readable pickle ({type(e).__name__}: {e})") from None
    _check_numbers(obj, path)
    return obj
