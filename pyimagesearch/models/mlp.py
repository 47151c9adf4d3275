"""The multilayer perceptrons of study B (Flux.jl on MNIST): 4LS, 3LS, 2LR."""
import keras
from keras import layers


class MLP:
    @staticmethod
    def build(width, height, depth, classes, hidden, activation, name="mlp"):
        """Flatten the image at its native size, Dense layers of ``hidden`` widths with
        ``activation``, then a softmax layer over the classes."""
        inputs = keras.Input(shape=(height, width, depth))
        x = layers.Flatten()(inputs)
        for units in hidden:
            x = layers.Dense(units, activation=activation)(x)
        outputs = layers.Dense(classes, activation="softmax", dtype="float32")(x)
        return keras.Model(inputs, outputs, name=name)
