"""A user's own optimizer and models, imported by spec (``tests.custom_parts:...``)."""
import keras
from keras import layers


def momentum_sgd(learning_rate=0.05, momentum=0.9):
    return keras.optimizers.SGD(learning_rate=learning_rate, momentum=momentum)


def not_an_optimizer(**kwargs):
    return "adam"


def tiny_cnn(input_shape, classes):
    inputs = keras.Input(shape=input_shape)
    x = layers.Conv2D(4, 3, activation="relu")(inputs)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(classes, activation="softmax")(x), name="tiny_cnn")


def wrong_classes(input_shape, classes):
    inputs = keras.Input(shape=input_shape)
    x = layers.Flatten()(inputs)
    return keras.Model(inputs, layers.Dense(classes + 1, activation="softmax")(x))


def logits(input_shape, classes):
    inputs = keras.Input(shape=input_shape)
    x = layers.Flatten()(inputs)
    return keras.Model(inputs, layers.Dense(classes)(x))


def fails_to_build(input_shape, classes):
    raise RuntimeError("this model is broken on purpose")


def takes_one_argument(input_shape):
    return None


def slow_batchnorm(input_shape, classes):
    """Learns digits in a few dozen steps, but evaluates at chance until its BatchNorm's
    moving statistics (momentum 0.9999, pre-activations centred near 100) have settled:
    a BatchNorm collapse on purpose."""
    inputs = keras.Input(shape=input_shape)
    x = layers.Flatten()(inputs)
    x = layers.Dense(64, bias_initializer=keras.initializers.Constant(100.0))(x)
    x = layers.BatchNormalization(momentum=0.9999)(x)
    x = layers.Activation("relu")(x)
    return keras.Model(inputs, layers.Dense(classes, activation="softmax")(x), name="slow_bn")


def dense(input_shape, classes):
    """Learns 8x8 digits to ~90% in a few dozen steps: for tests that need runs that learn."""
    inputs = keras.Input(shape=input_shape)
    x = layers.Dense(64, activation="relu")(layers.Flatten()(inputs))
    return keras.Model(inputs, layers.Dense(classes, activation="softmax")(x), name="dense")
