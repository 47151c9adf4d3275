"""The studies' datasets, from Keras' downloads or from local files in their own formats.

Every loader returns a :class:`Dataset` of uint8 images at their native size
(N, H, W, C) and integer labels; models that need 32x32 inputs resize with
:func:`resize` (OpenCV bilinear, as the original did), still in uint8.
"""
import gzip
import os
import struct
import sys
import tarfile
from dataclasses import dataclass
from typing import Optional

import numpy as np

from pyimagesearch.runs import safepickle

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


class DatasetError(ValueError):
    """Data that cannot be read as a dataset; the message names the file or folder."""


class DataDirError(DatasetError):
    """A --data-dir that does not hold the files a dataset needs."""


@dataclass
class Dataset:
    train_x: np.ndarray  # uint8 (N, H, W, C)
    train_y: np.ndarray  # int (N,)
    test_x: np.ndarray
    test_y: np.ndarray
    labels: list
    val_x: Optional[np.ndarray] = None  # a hold-out of the training set (validation_split)
    val_y: Optional[np.ndarray] = None

    def limit(self, train=None, test=None):
        """At most ``train``/``test`` images: a stratified subset drawn with a fixed seed,
        the same for every run (the first N of a class-sorted folder would be a few
        classes only)."""
        train_idx, test_idx = stratified_subset(self.train_y, train), stratified_subset(self.test_y, test)
        return Dataset(self.train_x[train_idx], self.train_y[train_idx],
                       self.test_x[test_idx], self.test_y[test_idx], self.labels,
                       self.val_x, self.val_y)

    def missing_classes(self):
        """{split: class names it lacks that another split has}, for the splits that lack any."""
        splits = {"training": self.train_y, "test": self.test_y}
        if self.val_y is not None:
            splits["validation"] = self.val_y
        present = {name: set(np.unique(y).tolist()) for name, y in splits.items()}
        everywhere = set().union(*present.values())
        return {name: [str(self.labels[c]) if c < len(self.labels) else str(c)
                       for c in sorted(everywhere - found)]
                for name, found in present.items() if everywhere - found}

    def validation(self):
        """(x, y) to validate on every epoch: the hold-out when there is one, else (as the
        original study did) the test set."""
        return (self.test_x, self.test_y) if self.val_x is None else (self.val_x, self.val_y)

    def map_images(self, function):
        """The same dataset with ``function`` applied to every image array (resizing)."""
        return Dataset(function(self.train_x), self.train_y, function(self.test_x), self.test_y,
                       self.labels, None if self.val_x is None else function(self.val_x),
                       self.val_y)


LIMIT_SEED = 0  # --train-limit/--test-limit draw the same images for every run


def stratified_subset(y, n, seed=LIMIT_SEED):
    """Indices (sorted) of ``n`` of the labels ``y``, each class in proportion to its
    share (largest remainders get the rounding), drawn with a fixed seed; a slice of
    everything when ``n`` is None or not smaller than ``len(y)``."""
    if n is None or n >= len(y):
        return slice(None)
    classes, counts = np.unique(y, return_counts=True)
    quota = counts * n / len(y)
    take = np.floor(quota).astype(int)
    take[np.argsort(-(quota - take), kind="stable")[:n - take.sum()]] += 1
    rng = np.random.default_rng(seed)
    picked = [rng.choice(np.flatnonzero(y == c), k, replace=False) for c, k in zip(classes, take)]
    return np.sort(np.concatenate(picked))


VALIDATION_SEED = 0  # the hold-out is the same for every optimizer and every run seed


def validation_split(data, fraction):
    """Hold out a stratified ``fraction`` of the training set as validation data, drawn
    with a fixed seed; the test set is not touched."""
    from sklearn.model_selection import train_test_split
    counts = np.bincount(data.train_y)
    classes, n = (counts > 0).sum(), len(data.train_y)
    held = round(fraction * n)
    if (counts[counts > 0] < 2).any() or held < classes or n - held < classes:
        raise DatasetError(f"--validation-split {fraction}: {n} training images of {classes} "
                           f"classes cannot be split into {held} held out and {n - held} to "
                           f"train on with every class in both")
    try:
        train_x, val_x, train_y, val_y = train_test_split(
            data.train_x, data.train_y, test_size=fraction, random_state=VALIDATION_SEED,
            stratify=data.train_y)
    except ValueError as e:  # whatever else a stratified split refuses
        raise DatasetError(f"--validation-split {fraction}: {e}") from None
    return Dataset(train_x, train_y, data.test_x, data.test_y, data.labels, val_x, val_y)


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

# What --data-dir must hold instead of a download, per Keras dataset module.
LOCAL_FILES = {
    "mnist": ", ".join(f"{n}[.gz]" for n in IDX_FILES) + ", or mnist.npz",
    "fashion_mnist": ", ".join(f"{n}[.gz]" for n in IDX_FILES) + " (Debian: apt-get install "
                     "dataset-fashion-mnist; --data-dir /usr/share/datasets/fashion-mnist)",
    "cifar10": "cifar-10-batches-py/ (data_batch_1..5, test_batch) or cifar-10-python.tar.gz",
    "cifar100": "cifar-100-python/ (train, test) or cifar-100-python.tar.gz",
}


class DownloadError(DatasetError):
    """A Keras dataset download (or the file it left) that failed."""


def _from_keras(module_name, labels, **kwargs):
    import keras
    module = getattr(keras.datasets, module_name)
    try:
        (train_x, train_y), (test_x, test_y) = module.load_data(**kwargs)
    except Exception as e:  # no network, DNS, HTTP errors, truncated or damaged files
        reason = " ".join(str(e).split()) or type(e).__name__
        raise DownloadError(f"{module_name}: download failed ({type(e).__name__}: "
                            f"{reason[:300]}); without network, pass --data-dir DIR holding "
                            f"{LOCAL_FILES[module_name]}") from None
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


# --------------------------------------------------------------------------- your own data

FOLDER_SPLIT_SEED = 42  # folder:PATH without train/ and test/: the same 80/20 split every run


# What OpenCV's imread reads, by extension (Keras' image_dataset_from_directory likewise
# takes images by extension and passes over other files: notes.txt, Thumbs.db, ...).
IMAGE_EXTENSIONS = {".bmp", ".dib", ".jpeg", ".jpg", ".jpe", ".jp2", ".png", ".webp", ".avif",
                    ".gif", ".pbm", ".pgm", ".ppm", ".pxm", ".pnm", ".pfm", ".sr", ".ras",
                    ".tiff", ".tif", ".exr", ".hdr", ".pic"}


def warn(message):
    print(f"[WARNING] {message}", file=sys.stderr)


def _hidden(name):
    return name.startswith(".")


def _is_image_name(name):
    return os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS


def _class_folders(folder):
    if not os.path.isdir(folder):
        raise DatasetError(f"{folder}: no such folder")
    classes = sorted(d for d in os.listdir(folder)
                     if os.path.isdir(os.path.join(folder, d)) and not _hidden(d))
    if not classes:
        raise DatasetError(f"{folder}: no class folders in it (expected {folder}/<class>/<images>)")
    return classes


def folder_classes(folder):
    """The class folders of a ``folder:`` dataset that hold at least one image (of the
    training split where there are train/ and test/), without reading any image: what
    combinations.py checks before writing a grid over it."""
    root = os.path.join(folder, "train") if os.path.isdir(os.path.join(folder, "train")) \
        and os.path.isdir(os.path.join(folder, "test")) else folder
    if not os.path.isdir(root):
        return []
    return [d for d in sorted(os.listdir(root)) if not _hidden(d)
            and os.path.isdir(os.path.join(root, d))
            and any(_is_image_name(f) for f in os.listdir(os.path.join(root, d)))]


def read_image(path):
    """One image as uint8 (H, W, C) in RGB order (or one channel), any format OpenCV reads."""
    import cv2
    image = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if image is None or image.size == 0:
        raise DatasetError(f"{path}: not an image OpenCV can read")
    if image.dtype == np.uint16:  # 16-bit PNG/TIFF: keep the high byte
        image = (image >> 8).astype(np.uint8)
    elif image.dtype != np.uint8:
        image = cv2.normalize(image, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    if image.ndim == 2:
        return image[..., None]
    if image.shape[2] == 4:
        image = image[..., :3]  # alpha dropped
    return image[..., ::-1] if image.shape[2] == 3 else image  # OpenCV's BGR -> RGB


def _read_classes(folder, classes, size, what):
    import cv2
    images, labels, skipped = [], [], []
    for index, name in enumerate(classes):
        class_dir = os.path.join(folder, name)
        if not os.path.isdir(class_dir):
            continue
        found = sorted(f for f in os.listdir(class_dir)
                       if not _hidden(f) and os.path.isfile(os.path.join(class_dir, f)))
        files = [f for f in found if _is_image_name(f)]
        skipped += [os.path.join(class_dir, f) for f in found if not _is_image_name(f)]
        if not files:
            raise DatasetError(f"{class_dir}: class {name!r} has no images")
        for file in files:
            image = read_image(os.path.join(class_dir, file))
            resized = cv2.resize(image, (size, size))
            images.append(resized.reshape(size, size, image.shape[2]))
            labels.append(index)
    if not images:
        raise DatasetError(f"{folder}: no images in {what}")
    if skipped:
        warn(f"{folder}: skipped {len(skipped)} files that are not images by their extension "
             f"(e.g. {skipped[0]})")
    return images, np.asarray(labels, np.int64)


def _stack(images, gray):
    """One channel when every image of the dataset is grayscale, else three."""
    import cv2
    if gray:
        return np.stack([img[..., :1] for img in images])
    return np.stack([cv2.cvtColor(img, cv2.COLOR_GRAY2RGB) if img.shape[2] == 1 else img
                     for img in images])


def _grayscale(image):
    return image.shape[2] == 1 or (np.array_equal(image[..., 0], image[..., 1])
                                   and np.array_equal(image[..., 1], image[..., 2]))


def load_folder(folder, size=32):
    """Keras' ``image_dataset_from_directory`` layout: ``folder/train/<class>/*`` and
    ``folder/test/<class>/*``, or ``folder/<class>/*`` alone (then a stratified 80/20
    split with a fixed seed). Images resized to ``size`` x ``size`` (OpenCV bilinear,
    as the study resized MNIST), uint8; labels are the class folders' names, sorted."""
    train_dir, test_dir = os.path.join(folder, "train"), os.path.join(folder, "test")
    if os.path.isdir(train_dir) and os.path.isdir(test_dir):
        classes = _class_folders(train_dir)
        unknown = sorted(set(_class_folders(test_dir)) - set(classes))
        if unknown:
            raise DatasetError(f"{test_dir}: class {unknown[0]!r} is not in {train_dir}")
        train_images, train_y = _read_classes(train_dir, classes, size, "train/")
        test_images, test_y = _read_classes(test_dir, classes, size, "test/")
        gray = all(_grayscale(i) for i in train_images + test_images)
        train_x, test_x = _stack(train_images, gray), _stack(test_images, gray)
    else:
        from sklearn.model_selection import train_test_split
        classes = _class_folders(folder)
        images, labels = _read_classes(folder, classes, size, "its class folders")
        if np.bincount(labels).min() < 2:
            raise DatasetError(f"{folder}: every class needs at least 2 images for the "
                               "80/20 split (or give train/ and test/ folders)")
        x = _stack(images, all(_grayscale(i) for i in images))
        train_x, test_x, train_y, test_y = train_test_split(
            x, labels, test_size=0.2, random_state=FOLDER_SPLIT_SEED, stratify=labels)
    return Dataset(train_x, train_y, test_x, test_y, list(classes))


def load_npz(path):
    """``x_train, y_train, x_test, y_test`` (uint8 images, N x H x W or N x H x W x C,
    integer labels) and optional ``labels`` (class names)."""
    try:
        with np.load(path, allow_pickle=False) as f:
            missing = [k for k in ("x_train", "y_train", "x_test", "y_test") if k not in f]
            if missing:
                raise DatasetError(f"{path}: no {', '.join(missing)} array (an npz dataset "
                                   "holds x_train, y_train, x_test, y_test and optional labels)")
            arrays = {k: f[k] for k in f.files}
    except DatasetError:
        raise
    except (OSError, ValueError, EOFError) as e:
        raise DatasetError(f"{path}: not a readable npz file ({e})") from None
    xs = {}
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"].reshape(-1)             if arrays[f"y_{split}"].ndim == 2 and arrays[f"y_{split}"].shape[1] == 1             else arrays[f"y_{split}"]
        if x.dtype != np.uint8:
            raise DatasetError(f"{path}: x_{split} is {x.dtype}, not uint8 images")
        if x.ndim == 3:
            x = x[..., None]
        if x.ndim != 4 or x.shape[3] not in (1, 3):
            raise DatasetError(f"{path}: x_{split} has shape {x.shape}, not N x H x W "
                               "or N x H x W x C (C = 1 or 3)")
        if y.ndim != 1 or len(y) != len(x) or y.dtype.kind not in "iu":
            raise DatasetError(f"{path}: y_{split} must be {len(x)} integer labels "
                               f"(one per image of x_{split}), got {y.dtype} {y.shape}")
        if len(x) == 0:
            raise DatasetError(f"{path}: x_{split} holds no images")
        xs[split] = (x, y.astype(np.int64))
    (train_x, train_y), (test_x, test_y) = xs["train"], xs["test"]
    if train_x.shape[1:] != test_x.shape[1:]:
        raise DatasetError(f"{path}: x_train images are {train_x.shape[1:]}, x_test "
                           f"images {test_x.shape[1:]}: inconsistent shapes")
    classes = int(max(train_y.max(), test_y.max())) + 1
    if min(train_y.min(), test_y.min()) < 0:
        raise DatasetError(f"{path}: labels must be 0, 1, 2, ...; found a negative one")
    if "labels" in arrays:
        labels = [str(v) for v in arrays["labels"].reshape(-1)]
        if len(labels) < classes:
            raise DatasetError(f"{path}: {len(labels)} labels for {classes} classes")
    else:
        labels = [str(i) for i in range(classes)]
    return Dataset(train_x, train_y, test_x, test_y, labels)


def check_data_dir(data_dir):
    if data_dir is not None and not os.path.isdir(data_dir):
        raise DataDirError(f"--data-dir {data_dir}: not a directory")
