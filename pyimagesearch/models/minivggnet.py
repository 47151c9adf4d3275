"""MiniVGGNet: two VGG-style blocks of 3x3 convolutions and a small dense head."""
import keras
from keras import layers


class MiniVGGNet:
    @staticmethod
    def build(width, height, depth, classes):
        """[CONV-RELU-BN]x2 -> POOL -> DROP, twice, then FC 512 -> softmax (channels last)."""
        inputs = keras.Input(shape=(height, width, depth))
        x = inputs
        for filters in (32, 64):
            for _ in range(2):
                x = layers.Conv2D(filters, (3, 3), padding="same")(x)
                x = layers.Activation("relu")(x)
                x = layers.BatchNormalization(axis=-1)(x)
            x = layers.MaxPooling2D(pool_size=(2, 2))(x)
            x = layers.Dropout(0.25)(x)

        x = layers.Flatten()(x)
        x = layers.Dense(512)(x)
        x = layers.Activation("relu")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Dropout(0.5)(x)
        x = layers.Dense(classes)(x)
        outputs = layers.Activation("softmax", dtype="float32")(x)
        return keras.Model(inputs, outputs, name="minivggnet")
