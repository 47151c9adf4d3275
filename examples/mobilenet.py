"""Keras Applications' MobileNetV3Small, untouched and untrained, as a user's own model:
``--model examples.mobilenet:build --image-size 32``. Its BatchNorm layers have momentum
0.999, so a short run needs ``--precise-bn`` (README, "Short runs tell the truth")."""
import keras


def build(input_shape, classes):
    # the project's first layer already scales pixels to [0, 1]: no second preprocessing
    return keras.applications.MobileNetV3Small(input_shape=tuple(input_shape), weights=None,
                                               classes=classes, include_preprocessing=False)
