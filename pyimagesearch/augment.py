"""The study's augmentation: Keras' ImageDataGenerator settings (SPEC)."""
import numpy as np

# ImageDataGenerator(rotation_range=18, zoom_range=0.15, width_shift_range=0.2,
#   height_shift_range=0.2, shear_range=0.15, horizontal_flip=True, fill_mode="nearest")
SETTINGS = dict(rotation_range=18, zoom_range=0.15, width_shift_range=0.2,
                height_shift_range=0.2, shear_range=0.15, horizontal_flip=True,
                fill_mode="nearest")


def legacy_transform():
    """The original generator, one image at a time on the CPU (SciPy).

    Returns ``transform(batch, rng) -> float32 batch``: for each image, draw the
    generator's random parameters and apply them, exactly as ``flow`` does.
    """
    from keras.src.legacy.preprocessing.image import ImageDataGenerator
    generator = ImageDataGenerator(**SETTINGS)

    def transform(batch, rng):
        out = np.empty(batch.shape, np.float32)
        for i, image in enumerate(batch.astype(np.float32)):
            params = generator.get_random_transform(image.shape, seed=int(rng.integers(2**31)))
            out[i] = generator.apply_transform(image, params)
        return out
    return transform
