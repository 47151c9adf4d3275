"""The study's augmentation, as one batched affine resampling on the device.

The original fed every batch through Keras' ``ImageDataGenerator``: one image at a
time, on the CPU, in SciPy. :class:`StudyAugmentation` draws the same random
parameters for every image of a batch (rotation, independent x/y zoom, shifts in
fractions of height and width, shear in degrees, horizontal flip; SPEC) and applies
them with ONE ``keras.ops.image.affine_transform`` over the whole batch, where the
model runs. The generator is kept behind ``legacy_transform`` for comparison.
"""
import math

import keras
import numpy as np
from keras import ops

# ImageDataGenerator(rotation_range=18, zoom_range=0.15, width_shift_range=0.2,
#   height_shift_range=0.2, shear_range=0.15, horizontal_flip=True, fill_mode="nearest")
SETTINGS = dict(rotation_range=18, zoom_range=0.15, width_shift_range=0.2,
                height_shift_range=0.2, shear_range=0.15, horizontal_flip=True,
                fill_mode="nearest")

PARAM_KEYS = ("theta", "tx", "ty", "shear", "zx", "zy", "flip_horizontal")


def transform_matrices(theta, tx, ty, shear, zx, zy, flip, height, width):
    """Per-image projective transforms (N, 8) in ``affine_transform``'s format.

    Each row maps an output pixel (x = column, y = row) to the input point it is
    sampled from, exactly as ImageDataGenerator's ``apply_affine_transform`` builds
    it: M = rotation @ shift @ shear @ zoom in (x, y) order, about the centre. The
    flip that the generator applies afterwards is folded in (x -> width - 1 - x):
    on the pixel grid that is exact, and it saves a second pass over the batch.
    All arguments but the sizes are (N,) tensors; angles in degrees.
    """
    rad = math.pi / 180.0
    theta, shear = theta * rad, shear * rad
    c, s = ops.cos(theta), ops.sin(theta)
    # M = R(theta) @ T(tx, ty) @ Shear(shear) @ Zoom(zx, zy), multiplied out
    m00, m01 = c * zx, -zy * ops.sin(theta + shear)
    m10, m11 = s * zx, zy * ops.cos(theta + shear)
    m02, m12 = c * tx - s * ty, s * tx + c * ty
    # about the centre, with the generator's own offsets: it passes (height, width)
    # as (x, y), so on non-square images the x offset uses the height
    ox, oy = height / 2.0 - 0.5, width / 2.0 - 0.5
    m02 = m02 + ox - (m00 * ox + m01 * oy)
    m12 = m12 + oy - (m10 * ox + m11 * oy)
    # then the horizontal flip: sample M at (width - 1 - x, y)
    sign = 1.0 - 2.0 * flip
    m02 = m02 + flip * (width - 1.0) * m00
    m12 = m12 + flip * (width - 1.0) * m10
    zeros = ops.zeros_like(m00)
    return ops.stack([sign * m00, m01, m02, sign * m10, m11, m12, zeros, zeros], axis=1)


def resample(images, transforms):
    """Bilinear resampling of a batch (N, H, W, C) by per-image transforms (N, 8), points
    outside filled with the nearest edge pixel: ``affine_transform(..., "bilinear",
    fill_mode="nearest")`` (identical outputs, tested), written as four gathers.

    Why not ``keras.ops.image.affine_transform`` itself: on TensorFlow its CPU kernel ran
    ~4.5 ms per CIFAR batch of 128, this XLA-compiled version ~2.5 ms (measured here), and
    gathers are what the other backends' own implementations do anyway.
    """
    n = ops.shape(images)[0]
    h, w, c = images.shape[1], images.shape[2], images.shape[3]
    ys, xs = ops.meshgrid(ops.arange(h, dtype="float32"), ops.arange(w, dtype="float32"),
                          indexing="ij")
    xs, ys = ops.reshape(xs, (1, -1)), ops.reshape(ys, (1, -1))
    t = [transforms[:, i:i + 1] for i in range(6)]
    # "nearest" fill: a point outside the image reads the closest edge pixel
    sx = ops.clip(t[0] * xs + t[1] * ys + t[2], 0.0, w - 1.0)
    sy = ops.clip(t[3] * xs + t[4] * ys + t[5], 0.0, h - 1.0)
    x0, y0 = ops.floor(sx), ops.floor(sy)
    fx, fy = ops.expand_dims(sx - x0, -1), ops.expand_dims(sy - y0, -1)
    x0, y0 = ops.cast(x0, "int32"), ops.cast(y0, "int32")
    x1, y1 = ops.minimum(x0 + 1, w - 1), ops.minimum(y0 + 1, h - 1)
    flat = ops.reshape(images, (n, h * w, c))

    def pixels(yy, xx):
        return ops.take_along_axis(flat, ops.expand_dims(yy * w + xx, -1), axis=1)

    top = pixels(y0, x0) * (1.0 - fx) + pixels(y0, x1) * fx
    bottom = pixels(y1, x0) * (1.0 - fx) + pixels(y1, x1) * fx
    return ops.reshape(top * (1.0 - fy) + bottom * fy, (n, h, w, c))


_compiled = {}


def _transform(images, matrices):
    """``resample``, XLA-compiled on TensorFlow even inside an uncompiled training graph
    (the gathers are slow there otherwise); the other backends compile the step whole."""
    if keras.backend.backend() != "tensorflow":
        return resample(images, matrices)
    if "tf" not in _compiled:
        import tensorflow as tf
        _compiled["tf"] = tf.function(resample, jit_compile=True)
    return _compiled["tf"](images, matrices)


def apply_transforms(images, params):
    """Transform a batch (N, H, W, C) by N dicts of ImageDataGenerator's parameters.

    The keys are the generator's own (``theta, tx, ty, shear, zx, zy,
    flip_horizontal``); the result equals ``apply_transform`` image by image.
    """
    images = ops.convert_to_tensor(images, "float32")
    height, width = images.shape[1], images.shape[2]
    columns = {k: ops.convert_to_tensor(np.array([float(p[k]) for p in params], np.float32))
               for k in PARAM_KEYS}
    matrices = transform_matrices(columns["theta"], columns["tx"], columns["ty"],
                                  columns["shear"], columns["zx"], columns["zy"],
                                  columns["flip_horizontal"], height, width)
    return _transform(images, matrices)


@keras.saving.register_keras_serializable(package="pyimagesearch")
class StudyAugmentation(keras.layers.Layer):
    """ImageDataGenerator's random transforms, batched; active in training only.

    Evaluation, ``predict`` and a saved model's inference see the images untouched.
    """

    def __init__(self, rotation_range=18.0, zoom_range=0.15, width_shift_range=0.2,
                 height_shift_range=0.2, shear_range=0.15, horizontal_flip=True, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.rotation_range = rotation_range
        self.zoom_range = zoom_range
        self.width_shift_range = width_shift_range
        self.height_shift_range = height_shift_range
        self.shear_range = shear_range
        self.horizontal_flip = horizontal_flip
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = False

    def draw(self, n, height, width):
        """Random parameters for ``n`` images, distributed as the generator draws them."""
        def uniform(low, high):
            return keras.random.uniform((n,), low, high, seed=self.seed_generator)

        theta = uniform(-self.rotation_range, self.rotation_range)
        # as the generator: tx from the height range times the height, ty from the width's
        tx = uniform(-self.height_shift_range, self.height_shift_range) * height
        ty = uniform(-self.width_shift_range, self.width_shift_range) * width
        shear = uniform(-self.shear_range, self.shear_range)
        zx = uniform(1 - self.zoom_range, 1 + self.zoom_range)
        zy = uniform(1 - self.zoom_range, 1 + self.zoom_range)
        flip = ops.cast(uniform(0.0, 1.0) < 0.5, "float32") if self.horizontal_flip \
            else ops.zeros((n,))
        return dict(theta=theta, tx=tx, ty=ty, shear=shear, zx=zx, zy=zy, flip_horizontal=flip)

    def call(self, images, training=None):
        if not training:
            return images
        height, width = images.shape[1], images.shape[2]
        p = self.draw(ops.shape(images)[0], height, width)
        matrices = transform_matrices(p["theta"], p["tx"], p["ty"], p["shear"], p["zx"],
                                      p["zy"], p["flip_horizontal"], height, width)
        out = _transform(ops.cast(images, "float32"), matrices)
        return ops.cast(out, images.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(rotation_range=self.rotation_range, zoom_range=self.zoom_range,
                      width_shift_range=self.width_shift_range,
                      height_shift_range=self.height_shift_range,
                      shear_range=self.shear_range, horizontal_flip=self.horizontal_flip,
                      seed=self.seed)
        return config


def layer(seed=None):
    """The study's augmentation as a layer (SETTINGS)."""
    return StudyAugmentation(
        rotation_range=SETTINGS["rotation_range"], zoom_range=SETTINGS["zoom_range"],
        width_shift_range=SETTINGS["width_shift_range"],
        height_shift_range=SETTINGS["height_shift_range"],
        shear_range=SETTINGS["shear_range"], horizontal_flip=SETTINGS["horizontal_flip"],
        seed=seed)


def legacy_generator():
    from keras.src.legacy.preprocessing.image import ImageDataGenerator
    return ImageDataGenerator(**SETTINGS)


def legacy_transform():
    """The original generator, one image at a time on the CPU (SciPy).

    Returns ``transform(batch, rng) -> float32 batch`` doing what ``flow`` does per
    batch: for each image, draw the generator's random parameters from NumPy's global
    generator (seeded once per batch from ``rng``, so runs are repeatable) and apply them.
    """
    generator = legacy_generator()

    def transform(batch, rng):
        np.random.seed(int(rng.integers(2**31)))
        out = np.empty(batch.shape, np.float32)
        for i, image in enumerate(batch.astype(np.float32)):
            params = generator.get_random_transform(image.shape)
            out[i] = generator.apply_transform(image, params)
        return out
    return transform
