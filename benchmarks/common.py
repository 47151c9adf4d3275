"""Shared by the benchmark scripts: where they run, and a clock that waits for the device."""
import json
import os
import platform
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def machine():
    import keras
    info = {"backend": keras.backend.backend(), "keras": keras.__version__,
            "python": platform.python_version(), "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine()}
    from pyimagesearch.train.training import accelerator_present
    info["accelerator"] = accelerator_present()
    return info


def block(x):
    """Wait until ``x`` is computed (asynchronous backends return before)."""
    import keras
    return keras.ops.convert_to_numpy(keras.ops.sum(x))


def images_per_second(fn, batch, repeats, warmup=2):
    for _ in range(warmup):
        block(fn(batch))
    start = time.perf_counter()
    for _ in range(repeats):
        block(fn(batch))
    return repeats * len(batch) / (time.perf_counter() - start)


def report(result):
    """The last line of every benchmark: one JSON object."""
    print(json.dumps(result, sort_keys=True))
