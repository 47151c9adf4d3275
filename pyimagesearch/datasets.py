"""The studies' datasets, from Keras' downloads or from local files in their own formats.

Every loader returns a :class:`Dataset` of uint8 images at their native size
(N, H, W, C) and integer labels; models that need 32x32 inputs resize with
:func:`resize` (OpenCV bilinear, as the original did), still in uint8.
"""
import gzip
import os
import struct
import tarfile
from dataclasses import dataclass

import numpy as np

from . import safepickle

MNIST_LABELS = [str(i) for i in range(10)]
FASHION_MNIST_LABELS = ["top", "trouser", "pullover", "dress", "coat", "sandal",
                        "shirt", "sneaker", "bag", "ankle boot"]
CIFAR10_LABELS = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog",
                  "horse", "ship", "truck"]
CIFAR100_LABELS = """apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle
bowl boy bridge bus butterfly camel can castle caterpillar cattle chair chimpanzee clock
cloud cockroach couch crab crocodile cup dinosaur dolphin elephant flatfish forest fox
girl hamster house kangaroo keyboard lamp lawn_mower leopard lion lizard lobster man
maple_tree motorcycle mountain mouse mushroom oak_tree orange orchid otter palm_tree pear
pickup_truck pine_tree plain plate poppy porcupine possum rabbit raccoon ray road rocket
rose sea seal shark shrew skunk skyscraper snail snake spider squirrel streetcar
sunflower sweet_pepper table tank telephone television tiger tractor train trout tulip
turtle wardrobe whale willow_tree wolf woman worm""".split()


class DataDirError(ValueError):
    """A --data-dir that does not hold the files a dataset needs."""


@dataclass
class Dataset:
    train_x: np.ndarray  # uint8 (N, H, W, C)
    train_y: np.ndarray  # int (N,)
    test_x: np.ndarray
    test_y: np.ndarray
    labels: list

    def limit(self, train=None, test=None):
        """The first ``train``/``test`` images only (views, no copies)."""
        return Dataset(self.train_x[:train], self.train_y[:train],
                       self.test_x[:test], self.test_y[:test], self.labels)


def resize(images, size):
    """Resize a uint8 batch (N, H, W, C) to size x size with cv2's default bilinear."""
    import cv2
    if images.shape[1:3] == (size, size):
        return images
    out = np.stack([cv2.resize(img, (size, size)) for img in images]) if len(images) else \
        np.zeros((0, size, size, images.shape[3]), np.uint8)
    return out.reshape(len(images), size, size, images.shape[3])


# --------------------------------------------------------------------------- formats

def _open_maybe_gz(path):
    return gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")


def read_idx(path):
    """An IDX file (the MNIST distribution format), gzipped or not."""
    with _open_maybe_gz(path) as f:
        data = f.read()
    zero, dtype_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    shape = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise ValueError(f"{path}: holds {body.size} bytes, header says {shape}")
    return body.reshape(shape)


def _find(data_dir, names):
    for name in names:
        path = os.path.join(data_dir, name)
        if os.path.isfile(path):
            return path
    return None


IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def load_mnist_dir(data_dir, labels):
    """IDX files (raw or .gz) or Keras' mnist.npz / fashion-mnist npz in ``data_dir``."""
    found = [_find(data_dir, (name, name + ".gz")) for name in IDX_FILES]
    if all(found):
        train_x, train_y, test_x, test_y = (read_idx(p) for p in found)
    else:
        npz = _find(data_dir, ("mnist.npz", "fashion_mnist.npz", "fashion-mnist.npz"))
        if npz is None:
            raise DataDirError(
                f"--data-dir {data_dir}: none of the expected files found: "
                + ", ".join(f"{n}[.gz]" for n in IDX_FILES) + ", or mnist.npz")
        with np.load(npz, allow_pickle=False) as f:
            train_x, train_y, test_x, test_y = (f[k] for k in ("x_train", "y_train", "x_test", "y_test"))
    return Dataset(train_x[..., None].astype(np.uint8), train_y.astype(np.int64),
                   test_x[..., None].astype(np.uint8), test_y.astype(np.int64), labels)


def _cifar_batches(data_dir, folder, archive, members):
    """Yield the unpickled dicts of ``members``, from the extracted folder or the .tar.gz."""
    extracted = os.path.join(data_dir, folder)
    if all(os.path.isfile(os.path.join(extracted, m)) for m in members):
        return [safepickle.load(os.path.join(extracted, m), encoding="bytes") for m in members]
    tar_path = os.path.join(data_dir, archive)
    if os.path.isfile(tar_path):
        batches = []
        with tarfile.open(tar_path, "r:gz") as tar:
            for m in members:
                name = f"{folder}/{m}"
                try:
                    data = tar.extractfile(name).read()
                except (KeyError, AttributeError):
                    raise DataDirError(f"--data-dir {data_dir}: {archive} lacks {name}") from None
                batches.append(safepickle.loads(data, f"{tar_path}:{name}", encoding="bytes"))
        return batches
    raise DataDirError(f"--data-dir {data_dir}: expected {folder}/ with "
                       f"{', '.join(members)}, or {archive}")


def _cifar_images(batch):
    # rows are 3072 bytes: the red plane, then green, then blue, each 32x32
    return np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)


def load_cifar10_dir(data_dir):
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    batches = _cifar_batches(data_dir, "cifar-10-batches-py", "cifar-10-python.tar.gz", names)
    train_x = np.concatenate([_cifar_images(b) for b in batches[:5]])
    train_y = np.concatenate([np.asarray(b[b"labels"]) for b in batches[:5]])
    test = batches[5]
    return Dataset(train_x, train_y.astype(np.int64), _cifar_images(test),
                   np.asarray(test[b"labels"], np.int64), CIFAR10_LABELS)


def load_cifar100_dir(data_dir):
    train, test = _cifar_batches(data_dir, "cifar-100-python", "cifar-100-python.tar.gz",
                                 ["train", "test"])
    return Dataset(_cifar_images(train), np.asarray(train[b"fine_labels"], np.int64),
                   _cifar_images(test), np.asarray(test[b"fine_labels"], np.int64),
                   CIFAR100_LABELS)


# --------------------------------------------------------------------------- loaders

def _from_keras(module_name, labels, **kwargs):
    import keras
    module = getattr(keras.datasets, module_name)
    (train_x, train_y), (test_x, test_y) = module.load_data(**kwargs)
    if train_x.ndim == 3:
        train_x, test_x = train_x[..., None], test_x[..., None]
    return Dataset(train_x, train_y.reshape(-1).astype(np.int64), test_x,
                   test_y.reshape(-1).astype(np.int64), labels)


def load_digits():
    """scikit-learn's bundled 8x8 digits (1,797 images, 0..16), as uint8, split 80/20 by seed 42."""
    from sklearn.datasets import load_digits as sk_digits
    from sklearn.model_selection import train_test_split
    digits = sk_digits()
    images = np.round(digits.images * (255.0 / 16.0)).astype(np.uint8)[..., None]
    train_x, test_x, train_y, test_y = train_test_split(
        images, digits.target.astype(np.int64), test_size=0.2, random_state=42,
        stratify=digits.target)
    return Dataset(train_x, train_y, test_x, test_y, MNIST_LABELS)


def _mnist_like(keras_name, labels):
    def loader(data_dir=None):
        return load_mnist_dir(data_dir, labels) if data_dir else _from_keras(keras_name, labels)
    return loader


mnist = _mnist_like("mnist", MNIST_LABELS)
fashion_mnist = _mnist_like("fashion_mnist", FASHION_MNIST_LABELS)


def cifar10(data_dir=None):
    return load_cifar10_dir(data_dir) if data_dir else _from_keras("cifar10", CIFAR10_LABELS)


def cifar100(data_dir=None):
    if data_dir:
        return load_cifar100_dir(data_dir)
    return _from_keras("cifar100", CIFAR100_LABELS, label_mode="fine")


def digits(data_dir=None):
    """Embedded: ``data_dir`` is not used."""
    return load_digits()


def check_data_dir(data_dir):
    if data_dir is not None and not os.path.isdir(data_dir):
        raise DataDirError(f"--data-dir {data_dir}: not a directory")
