"""A small model of your own: ``train.py --model examples.small_cnn:build``.

Called as ``build(input_shape, classes)``; returns a keras.Model whose output is one
probability per class. train.py puts it behind the same Rescaling (uint8 -> [0, 1])
and augmentation as the study's CNNs. No BatchNormalization: on a few hundred steps its
moving statistics would not settle (README, "Small data"), and this model is for a quick
look on small data.
"""
import keras
from keras import layers


def build(input_shape, classes, width=32):
    inputs = keras.Input(shape=input_shape)
    x = inputs
    for filters in (width, 2 * width):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="small_cnn")
