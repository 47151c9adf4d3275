"""Run as a script under any Keras backend: a model whose BatchNorm statistics are wrong on
purpose, and precise BN restoring the accuracy of the same weights. Prints one JSON line."""
import json

import keras
import numpy as np
from keras import layers

from pyimagesearch.data import datasets
from pyimagesearch.train import precise_bn


def main():
    keras.utils.set_random_seed(0)
    data = datasets.load_digits()
    x, y = data.train_x.astype("float32"), data.train_y
    inputs = keras.Input((8, 8, 1))
    h = layers.Flatten()(layers.Rescaling(1 / 255)(inputs))
    h = layers.Activation("relu")(layers.BatchNormalization()(layers.Dense(64)(h)))
    model = keras.Model(inputs, layers.Dense(10, activation="softmax")(h))
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, epochs=4, batch_size=32, verbose=0)

    def accuracy():
        return float(model.evaluate(data.test_x.astype("float32"), data.test_y, verbose=0)[1])

    before = accuracy()
    weights = [keras.ops.convert_to_numpy(w).copy() for w in model.trainable_variables]
    for bn in precise_bn.batchnorm_layers(model):  # wrong on purpose: shifted and shrunk
        bn.moving_mean.assign(keras.ops.convert_to_numpy(bn.moving_mean) + 50.0)
        bn.moving_variance.assign(keras.ops.convert_to_numpy(bn.moving_variance) * 1e-4)
    broken = accuracy()
    used = precise_bn.recalibrate(model, data.train_x, 32, 40, 0)
    restored = accuracy()
    unchanged = all(np.array_equal(a, keras.ops.convert_to_numpy(w))
                    for a, w in zip(weights, model.trainable_variables))
    print(json.dumps({"backend": keras.backend.backend(), "before": before, "broken": broken,
                      "restored": restored, "batches": used, "weights_unchanged": unchanged}))


if __name__ == "__main__":
    main()
