"""A small model of your own: ``train.py --model examples.small_cnn:build``.

Called as ``build(input_shape, classes)``; returns a keras.Model whose output is one
probability per class. train.py puts it behind the same Rescaling (uint8 -> [0, 1])
and augmentation as the study's CNNs.
"""
import keras
from keras import layers


def build(input_shape, classes, width=32):
    inputs = keras.Input(shape=input_shape)
    x = inputs
    for filters in (width, 2 * width):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D()(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.25)(x)
    outputs = layers.Dense(classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="small_cnn")
