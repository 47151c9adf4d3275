"""Precise BatchNorm statistics: recomputed from training batches before an evaluation.

During training, BatchNormalization keeps exponential moving averages of its batch
statistics; with Keras' momentum 0.99 (0.999 in Keras Applications) they need hundreds
to thousands of steps to forget their initial values, so a short run can train well and
still evaluate at chance. "Precise BN" (Wu and Johnson 2021, "Rethinking 'Batch' in
BatchNorm"; pycls and Detectron2 carry it) replaces the averages by the plain mean of
the statistics of N training batches, computed by the model's own training-mode forward
pass with the trained weights untouched. Here each layer's momentum is set, batch by
batch, to i / (i + 1), which turns Keras' own update into that running mean: after N
batches the moving mean is exactly the average of the N batch means (the same for the
variances). Plain eager calls, so it works alike on TensorFlow, JAX and PyTorch.
"""
import math

import numpy as np

DEFAULT_IMAGES = 4096  # the default N covers about this many training images


def batchnorm_layers(model):
    """Every BatchNormalization layer inside ``model`` that updates its statistics in
    training (nested models and layers included; frozen ones are left alone)."""
    import keras
    found = model._flatten_layers(include_self=False, recursive=True)
    return [layer for layer in found
            if isinstance(layer, keras.layers.BatchNormalization) and layer.trainable]


def default_batches(train_images, batch_size, images=DEFAULT_IMAGES):
    """N by default: enough batches for ``images`` images, at most one pass of the data."""
    return max(1, min(train_images // batch_size, math.ceil(images / batch_size)))


def describe(model):
    """What a run's record keeps of its BatchNorm: the count of layers and the slowest
    (largest) momentum, or None when the model has none."""
    layers = batchnorm_layers(model)
    if not layers:
        return None
    return {"layers": len(layers), "momentum": max(float(layer.momentum) for layer in layers)}


def _forward(model):
    """The model's training-mode forward pass: compiled once per model on TensorFlow
    (eager calls there cost about twice a training step, measured on MobileNetV3Small),
    eager on the other backends."""
    import keras
    if keras.backend.backend() != "tensorflow":
        return lambda x: model(x, training=True)
    forward = getattr(model, "_precise_bn_forward", None)
    if forward is None:
        import tensorflow as tf
        forward = tf.function(lambda x: model(x, training=True))
        model._precise_bn_forward = forward
    return forward


def recalibrate(model, x, batch_size, batches, seed):
    """Set every BatchNorm layer's moving statistics to the mean of the batch statistics
    of ``batches`` training batches of ``batch_size`` (drawn without repetition by
    ``seed``, a NumPy seed). Returns the number of batches used: 0 for a model without
    BatchNorm, which is left untouched at no cost.

    With momentum 0, Keras' own update leaves each layer's moving statistics equal to
    the last batch's; they are summed after every batch and their mean assigned at the
    end, so the trained weights (and any other state but these) never change."""
    import keras
    layers = batchnorm_layers(model)
    if not layers:
        return 0
    batches = max(1, min(batches, len(x) // batch_size))
    order = np.random.default_rng(seed).permutation(len(x))
    saved = [layer.momentum for layer in layers]
    sums = [[0.0, 0.0] for _ in layers]
    forward = _forward(model)
    try:
        for layer in layers:
            layer.momentum = 0.0
        for i in range(batches):
            idx = np.sort(order[i * batch_size:(i + 1) * batch_size])
            forward(keras.ops.convert_to_tensor(x[idx].astype("float32")))
            for total, layer in zip(sums, layers):
                total[0] = total[0] + keras.ops.convert_to_numpy(layer.moving_mean).astype("float64")
                total[1] = total[1] + keras.ops.convert_to_numpy(layer.moving_variance).astype("float64")
    finally:
        for layer, momentum in zip(layers, saved):
            layer.momentum = momentum
    for (mean, variance), layer in zip(sums, layers):
        layer.moving_mean.assign((mean / batches).astype(layer.moving_mean.dtype))
        layer.moving_variance.assign((variance / batches).astype(layer.moving_variance.dtype))
    return batches
