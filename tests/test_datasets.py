"""The real readers on tiny fixtures in each dataset's own distribution format."""
import numpy as np
import pytest

from pyimagesearch.data import datasets
from tests import formats


@pytest.mark.parametrize("layout", ["idx", "idx.gz", "npz"])
@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_mnist_formats(tmp_path, layout, name):
    arrays = formats.mnist_arrays()
    if layout == "npz":
        formats.write_npz(tmp_path, arrays)
    else:
        formats.write_idx(tmp_path, arrays, gz=layout.endswith("gz"))
    data = getattr(datasets, name)(str(tmp_path))
    assert data.train_x.dtype == np.uint8 and data.train_x.shape == (20, 28, 28, 1)
    np.testing.assert_array_equal(data.train_x[..., 0], arrays[0])
    np.testing.assert_array_equal(data.train_y, arrays[1])
    np.testing.assert_array_equal(data.test_x[..., 0], arrays[2])
    np.testing.assert_array_equal(data.test_y, arrays[3])
    assert data.labels[0] == ("0" if name == "mnist" else "top")


@pytest.mark.parametrize("archive", [False, True])
def test_cifar10_formats(tmp_path, archive):
    arrays = formats.write_cifar(tmp_path, "cifar10", archive)
    data = datasets.cifar10(str(tmp_path))
    expected_train = np.concatenate([arrays[f"data_batch_{i}"][0] for i in range(1, 6)])
    np.testing.assert_array_equal(data.train_x, expected_train)
    np.testing.assert_array_equal(data.test_x, arrays["test_batch"][0])
    np.testing.assert_array_equal(data.test_y, arrays["test_batch"][1])
    assert data.train_x.dtype == np.uint8 and data.labels == datasets.CIFAR10_LABELS


@pytest.mark.parametrize("archive", [False, True])
def test_cifar100_formats(tmp_path, archive):
    arrays = formats.write_cifar(tmp_path, "cifar100", archive)
    data = datasets.cifar100(str(tmp_path))
    np.testing.assert_array_equal(data.train_x, arrays["train"][0])
    np.testing.assert_array_equal(data.train_y, arrays["train"][1])
    assert len(data.labels) == 100 and data.labels[:3] == ["apple", "aquarium_fish", "baby"]


def test_cifar_pickle_cannot_run_code(tmp_path):
    import os
    import pickle
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    for name in ("train", "test"):
        (folder / name).write_bytes(pickle.dumps({b"data": Evil()}))
    with pytest.raises(ValueError, match="train"):
        datasets.cifar100(str(tmp_path))
    assert not marker.exists()


def test_missing_files_name_directory_and_files(tmp_path):
    with pytest.raises(datasets.DataDirError) as err:
        datasets.fashion_mnist(str(tmp_path))
    assert str(tmp_path) in str(err.value) and "train-images-idx3-ubyte" in str(err.value)
    with pytest.raises(datasets.DataDirError, match="cifar-10-batches-py"):
        datasets.cifar10(str(tmp_path))


def test_digits_embedded():
    data = datasets.digits()
    assert data.train_x.shape == (1437, 8, 8, 1) and data.test_x.shape == (360, 8, 8, 1)
    assert data.train_x.dtype == np.uint8 and data.train_x.max() == 255
    assert data.labels == [str(i) for i in range(10)]
    again = datasets.digits()  # the split is fixed
    np.testing.assert_array_equal(again.test_y, data.test_y)


def test_resize_to_32_like_the_original():
    import cv2
    images = np.random.default_rng(0).integers(0, 256, (3, 28, 28, 1), dtype=np.uint8)
    out = datasets.resize(images, 32)
    assert out.shape == (3, 32, 32, 1) and out.dtype == np.uint8
    np.testing.assert_array_equal(out[1, ..., 0], cv2.resize(images[1, ..., 0], (32, 32)))


def test_failed_download_is_one_line_naming_the_data_dir_alternative(tmp_path):
    """No network at test time: the real download path, pointed at a closed port."""
    from tests.conftest import run_script
    env = {"KERAS_HOME": str(tmp_path / "keras"), "https_proxy": "http://127.0.0.1:9",
           "http_proxy": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
           "HTTP_PROXY": "http://127.0.0.1:9"}
    result = run_script("train.py", "-i", str(tmp_path / "h"), "-r", str(tmp_path / "r"),
                        "-d", "mnist", "-m", "minivggnet", env=env, timeout=300)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("train.py: error: mnist: download failed")
    assert "--data-dir" in last and "train-images-idx3-ubyte" in last
    assert "[INFO] training" not in result.stdout


@pytest.mark.parametrize("failure", [
    Exception("URL fetch failure on https://example/mnist.npz: None -- [Errno -3] "
              "Temporary failure in name resolution"),
    __import__("zipfile").BadZipFile("File is not a zip file"),  # a truncated download
])
def test_download_failures_become_dataset_errors(monkeypatch, failure):
    import keras

    def fail(**kwargs):
        raise failure
    monkeypatch.setattr(keras.datasets.cifar10, "load_data", fail)
    with pytest.raises(datasets.DownloadError) as error:
        datasets.cifar10()
    message = str(error.value)
    assert message.startswith("cifar10: download failed") and "\n" not in message
    assert "cifar-10-python.tar.gz" in message and str(failure).split()[0] in message
