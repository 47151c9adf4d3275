"""Tiny datasets written in the real distribution formats, for the real readers."""
import gzip
import io
import os
import pickle
import struct
import tarfile

import numpy as np


def idx_bytes(array):
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(">" + "I" * array.ndim, *array.shape)
    return header + array.astype(np.uint8).tobytes()


def mnist_arrays(n_train=20, n_test=10, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8), rng.integers(0, 10, n_train, dtype=np.uint8),
            rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8), rng.integers(0, 10, n_test, dtype=np.uint8))


def write_idx(folder, arrays, gz):
    os.makedirs(folder, exist_ok=True)
    names = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
    for name, array in zip(names, arrays):
        data = idx_bytes(array)
        if gz:
            with gzip.open(os.path.join(folder, name + ".gz"), "wb") as f:
                f.write(data)
        else:
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)


def write_npz(folder, arrays):
    os.makedirs(folder, exist_ok=True)
    x_train, y_train, x_test, y_test = arrays
    np.savez(os.path.join(folder, "mnist.npz"), x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)


def _cifar_pickle(images, labels_key, labels):
    # the python version stores each image as 3072 bytes: R plane, G plane, B plane
    rows = images.transpose(0, 3, 1, 2).reshape(len(images), -1)
    return pickle.dumps({b"batch_label": b"fixture", labels_key: list(map(int, labels)),
                         b"data": rows, b"filenames": [b"x.png"] * len(images)}, protocol=2)


def cifar_files(kind, per_batch=4, seed=0):
    """{member name: pickle bytes} and the images/labels they hold, for cifar10 or cifar100."""
    rng = np.random.default_rng(seed)
    classes, key = (10, b"labels") if kind == "cifar10" else (100, b"fine_labels")
    names = ([f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"] if kind == "cifar10"
             else ["train", "test"])
    files, arrays = {}, {}
    for name in names:
        images = rng.integers(0, 256, (per_batch, 32, 32, 3), dtype=np.uint8)
        labels = rng.integers(0, classes, per_batch)
        files[name] = _cifar_pickle(images, key, labels)
        arrays[name] = (images, labels)
    return files, arrays


def write_cifar(folder, kind, archive):
    files, arrays = cifar_files(kind)
    sub = "cifar-10-batches-py" if kind == "cifar10" else "cifar-100-python"
    if archive:
        os.makedirs(folder, exist_ok=True)
        tar_name = "cifar-10-python.tar.gz" if kind == "cifar10" else "cifar-100-python.tar.gz"
        with tarfile.open(os.path.join(folder, tar_name), "w:gz") as tar:
            for name, data in files.items():
                info = tarfile.TarInfo(f"{sub}/{name}")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    else:
        os.makedirs(os.path.join(folder, sub), exist_ok=True)
        for name, data in files.items():
            with open(os.path.join(folder, sub, name), "wb") as f:
                f.write(data)
    return arrays
