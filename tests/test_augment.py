"""The batched augmentation against ImageDataGenerator, and the spread of its draws."""
import keras
import numpy as np
import pytest

from pyimagesearch.data import augment
from tests.conftest import run_script

# Tolerance, on the 0..255 pixel scale. Both sides do the same bilinear arithmetic;
# they differ only by rounding: the generator builds its matrix in float64 (SciPy),
# the layer in float32, so sample positions (up to ~60 px from the origin) differ by
# ~1e-5 px, and a pixel can change by at most 255 per px of position: ~3e-3. Measured
# here: max 0.0014, mean 9e-5. A wrong convention (a swapped axis, shear in radians,
# a flip off by one pixel) moves pixels by whole units and tens of grey levels.
TOLERANCE = 0.01


def random_params(gen, n, shape, scale, rng):
    params = []
    for i in range(n):
        p = gen.get_random_transform(shape, seed=int(rng.integers(2**31)))
        for key in ("theta", "tx", "ty", "shear"):
            p[key] *= scale
        if scale > 1:  # large zooms too, in and out
            p["zx"], p["zy"] = rng.uniform(0.4, 2.5, 2)
        params.append(p)
    return params


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("scale", [1, 6])  # the original ranges, and 6x them (108 deg etc.)
def test_matches_image_data_generator(channels, scale):
    rng = np.random.default_rng(channels * 10 + scale)
    gen = augment.legacy_generator()
    images = rng.uniform(0, 255, (24, 32, 32, channels)).astype(np.float32)
    params = random_params(gen, len(images), images.shape[1:], scale, rng)
    expected = np.stack([gen.apply_transform(img, p) for img, p in zip(images, params)])
    got = keras.ops.convert_to_numpy(augment.apply_transforms(images, params))
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() < TOLERANCE
    assert sum(p["flip_horizontal"] for p in params) > 0  # the flip was exercised


def test_each_parameter_alone_matches():
    gen = augment.legacy_generator()
    images = np.random.default_rng(1).uniform(0, 255, (7, 32, 32, 3)).astype(np.float32)
    base = dict(theta=0, tx=0, ty=0, shear=0, zx=1, zy=1, flip_horizontal=False)
    params = [dict(base, theta=30), dict(base, tx=5.5), dict(base, ty=-7.25), dict(base, shear=20),
              dict(base, zx=1.3), dict(base, zy=0.7), dict(base, flip_horizontal=True)]
    expected = np.stack([gen.apply_transform(img, p) for img, p in zip(images, params)])
    got = keras.ops.convert_to_numpy(augment.apply_transforms(images, params))
    assert np.abs(got - expected).max(axis=(1, 2, 3)).max() < TOLERANCE


def test_drawn_parameters_have_the_generators_ranges_and_spread():
    layer = augment.StudyAugmentation(seed=0)
    n = 20000
    p = {k: keras.ops.convert_to_numpy(v) for k, v in layer.draw(n, 32, 32).items()}
    expected = {"theta": 18, "tx": 0.2 * 32, "ty": 0.2 * 32, "shear": 0.15}
    for key, half in expected.items():
        assert p[key].min() >= -half and p[key].max() <= half
        assert p[key].min() < -0.95 * half and p[key].max() > 0.95 * half
        assert abs(p[key].mean()) < 0.03 * half
        # uniform on [-a, a]: standard deviation a / sqrt(3)
        assert p[key].std() == pytest.approx(half / np.sqrt(3), rel=0.03)
    for key in ("zx", "zy"):
        assert p[key].min() >= 0.85 and p[key].max() <= 1.15
        assert p[key].std() == pytest.approx(0.15 / np.sqrt(3), rel=0.03)
    assert abs(np.corrcoef(p["zx"], p["zy"])[0, 1]) < 0.05  # independent zooms
    assert set(np.unique(p["flip_horizontal"])) == {0.0, 1.0}
    assert p["flip_horizontal"].mean() == pytest.approx(0.5, abs=0.02)


def test_training_only_and_seeded():
    images = np.random.default_rng(2).uniform(0, 1, (8, 32, 32, 1)).astype(np.float32)
    layer = augment.layer(seed=5)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(images, training=False)), images)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(images)), images)
    first = keras.ops.convert_to_numpy(layer(images, training=True))
    assert not np.allclose(first, images)
    again = keras.ops.convert_to_numpy(augment.layer(seed=5)(images, training=True))
    np.testing.assert_allclose(first, again)


def test_model_inference_sees_images_untouched():
    from pyimagesearch.train import training
    model = training.build_model("minivggnet", (32, 32, 1), 10, augment.layer(seed=0))
    plain = keras.Model(model.inputs, model.outputs)  # same weights
    x = np.random.default_rng(3).integers(0, 256, (4, 32, 32, 1)).astype("uint8")
    without = training.build_model("minivggnet", (32, 32, 1), 10)
    without.set_weights(model.get_weights())
    np.testing.assert_allclose(model.predict(x, verbose=0), without.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
    assert plain is not None


def test_config_round_trip():
    layer = augment.StudyAugmentation(rotation_range=10, seed=3)
    clone = augment.StudyAugmentation.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


def test_parity_under_torch_backend():
    try:
        import torch  # noqa: F401
    except ImportError:
        pytest.skip("PyTorch is not installed: `pip install torch==2.13.0` (CI installs it)")
    code = (
        "import numpy as np; from pyimagesearch.data import augment; import keras\n"
        "gen = augment.legacy_generator(); rng = np.random.default_rng(0)\n"
        "x = rng.uniform(0, 255, (8, 32, 32, 3)).astype('float32')\n"
        "ps = [gen.get_random_transform(x[0].shape, seed=i) for i in range(8)]\n"
        "ref = np.stack([gen.apply_transform(a, p) for a, p in zip(x, ps)])\n"
        "got = keras.ops.convert_to_numpy(augment.apply_transforms(x, ps))\n"
        "print('MAXDIFF', float(np.abs(got - ref).max()))\n")
    result = run_script("-c", code, env={"KERAS_BACKEND": "torch"})
    assert result.returncode == 0, result.stderr[-2000:]
    diff = float(result.stdout.split("MAXDIFF")[1])
    assert diff < TOLERANCE
