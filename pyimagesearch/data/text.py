"""Text for a language model, read as bytes (a vocabulary of 256), split once and for all.

    text        the Python standard library's own source (every machine with Python has
                it: real code and English docstrings; test folders and site-packages left
                out), split by file
    text:PATH   your own text file or folder of text files

A folder of 20 files or more is split by file: the files ordered by a hash of their path
inside the folder, the last 5% (at least one) the test split, the 5% before it the
validation split, the rest training, so the split never depends on the machine, the order
the disk lists the files in, or on what else the folder holds. A single file, or a folder of
fewer files, is split by position: the first 90% of its bytes train, the next 5% validate,
the last 5% test. Empty files, and files with a NUL byte in their first 8 KiB (binary), are left out.

A training batch is ``batch`` windows whose starts are drawn by a generator seeded by
(seed, step): the seed fixes the data order for every optimizer, as for the images, and a
run resumed or repeated sees the same batches. Validation and test read fixed windows,
evenly spaced over their split, the same for every run.
"""
import glob
import hashlib
import math
import os
import sysconfig
from dataclasses import dataclass

import numpy as np

from pyimagesearch.data.datasets import DatasetError

VOCABULARY = 256  # bytes
BY_FILE = 20  # a folder of at least this many files is split by file
HELD_OUT = 0.05  # validation and test, each
EVAL_WINDOWS = 64  # windows read at every validation and at the test
_SNIFF = 8192  # bytes read to tell a binary file


class TextError(DatasetError):
    """Text that cannot be a language model's data; the message names the file or folder."""


@dataclass(frozen=True)
class TextData:
    train: np.ndarray  # uint8 bytes
    validation: np.ndarray
    test: np.ndarray
    source: str  # what was read, for the record
    files: int  # text files read
    split: str  # "by file" or "by position"

    def shortest(self):
        """(split name, bytes) of the shortest split."""
        return min((("training", len(self.train)), ("validation", len(self.validation)),
                    ("test", len(self.test))), key=lambda item: item[1])

    def describe(self):
        return {"source": self.source, "files": self.files, "split": self.split,
                "train_bytes": len(self.train), "validation_bytes": len(self.validation),
                "test_bytes": len(self.test)}


def standard_library_files():
    """The standard library's own .py files: every Python has them, offline."""
    root = sysconfig.get_paths()["stdlib"]
    out = []
    for path in glob.glob(os.path.join(root, "**", "*.py"), recursive=True):
        parts = os.path.relpath(path, root).split(os.sep)
        if parts[0] == "site-packages" or {"test", "tests", "idle_test"} & set(parts):
            continue  # what pip installed, and the test suites' fixtures (odd bytes on purpose)
        out.append(path)
    return root, out


def _is_text(path):
    """Not empty, and no NUL byte in its first 8 KiB."""
    with open(path, "rb") as f:
        head = f.read(_SNIFF)
    return bool(head) and b"\0" not in head


def _order(root, path):
    """A file's place in the split: a hash of its path inside the folder."""
    return hashlib.sha1(os.path.relpath(path, root).replace(os.sep, "/").encode()).hexdigest()


def load(path=None):
    """The :class:`TextData` of ``path`` (a file or a folder; None: the standard library).
    :class:`TextError` (one line) for a path with no text in it."""
    if path is None:
        root, files = standard_library_files()
        source = f"Python {sysconfig.get_python_version()} standard library"
    elif os.path.isfile(path):
        root, files, source = os.path.dirname(path), [path], path
    elif os.path.isdir(path):
        root, source = path, path
        files = [p for p in glob.glob(os.path.join(path, "**", "*"), recursive=True)
                 if os.path.isfile(p)]
    else:
        raise TextError(f"--dataset text:{path}: no such file or folder")
    what = f"--dataset text:{path}" if path is not None else "--dataset text"
    texts = [p for p in files if _is_text(p)]
    if not texts:
        raise TextError(f"{what}: no text file in it ({len(files)} file"
                        f"{'' if len(files) == 1 else 's'}, all empty or binary)"
                        if files else f"{what}: no file in it")
    if len(texts) >= BY_FILE:
        texts.sort(key=lambda p: _order(root, p))
        held = max(1, round(HELD_OUT * len(texts)))
        parts = [texts[:-2 * held], texts[-2 * held:-held], texts[-held:]]
        train, validation, test = (_read(group) for group in parts)
        split = "by file"
    else:
        data = _read(sorted(texts))
        cut_val, cut_test = (int(len(data) * f) for f in (1 - 2 * HELD_OUT, 1 - HELD_OUT))
        train, validation, test = data[:cut_val], data[cut_val:cut_test], data[cut_test:]
        split = "by position"
    return TextData(train, validation, test, source, len(texts), split)


def _read(paths):
    """The files' bytes, one after another, each ended by a newline if it lacks one."""
    chunks = []
    for p in paths:
        with open(p, "rb") as f:
            data = f.read()
        chunks.append(data if data.endswith(b"\n") or not data else data + b"\n")
    return np.frombuffer(b"".join(chunks), dtype=np.uint8)


def check_context(data, context):
    """A window of ``context`` bytes and its next byte must fit in every split."""
    name, size = data.shortest()
    if size < context + 1:
        raise TextError(f"--context {context}: the {name} split of {data.source} has only "
                        f"{size:,} bytes; a window needs {context + 1:,} (give a shorter "
                        "--context, or more text)")


def batch(split, context, size, seed, step):
    """Training windows at ``step``: (inputs, next bytes), each (size, context), drawn by
    (seed, step) alone."""
    rng = np.random.default_rng([0 if seed is None else seed, step])
    starts = rng.integers(0, len(split) - context, size=size)
    return _windows(split, starts, context)


def evaluation_windows(split, context, count=EVAL_WINDOWS):
    """Up to ``count`` windows evenly spaced over ``split`` (fixed: every run reads these)."""
    last = len(split) - context - 1
    count = max(1, min(count, last // context + 1))
    starts = np.linspace(0, last, count).round().astype(np.int64)
    return _windows(split, starts, context)


def _windows(split, starts, context):
    index = starts[:, None] + np.arange(context + 1)[None, :]
    windows = split[index].astype("int32")
    return windows[:, :-1], windows[:, 1:]


def byte_frequency_loss(train, other):
    """Nats per byte on ``other`` of the model that predicts every byte by its frequency in
    ``train`` (add-one smoothed): the baseline a language model must beat to have learned
    anything about order."""
    counts = np.bincount(train, minlength=VOCABULARY).astype(float) + 1.0
    log_p = np.log(counts / counts.sum())
    return float(-log_p[other].mean())


def bits(nats):
    return nats / math.log(2)
