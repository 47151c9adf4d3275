"""ResNet: pre-activation bottleneck residual network with a CIFAR-style stem."""
import keras
from keras import layers
from keras.regularizers import l2


class ResNet:
    @staticmethod
    def residual_module(data, K, stride, red=False, reg=0.0001, bnEps=2e-5, bnMom=0.9):
        """BN-RELU-CONV 1x1 (K/4) -> BN-RELU-CONV 3x3 (K/4) -> BN-RELU-CONV 1x1 (K), plus shortcut.

        When ``red`` is set the shortcut is a strided 1x1 conv taken from the first
        activation, so the two branches agree in shape.
        """
        shortcut = data

        def bn_relu(x):
            x = layers.BatchNormalization(axis=-1, epsilon=bnEps, momentum=bnMom)(x)
            return layers.Activation("relu")(x)

        def conv(x, filters, size, strides=(1, 1)):
            return layers.Conv2D(filters, size, strides=strides, padding="same",
                                 use_bias=False, kernel_regularizer=l2(reg))(x)

        act1 = bn_relu(data)
        conv1 = conv(act1, int(K * 0.25), (1, 1))
        conv2 = conv(bn_relu(conv1), int(K * 0.25), (3, 3), strides=stride)
        conv3 = conv(bn_relu(conv2), K, (1, 1))

        if red:
            shortcut = conv(act1, K, (1, 1), strides=stride)
        return layers.add([conv3, shortcut])

    @staticmethod
    def build(width, height, depth, classes, stages, filters, reg=0.0001, bnEps=2e-5, bnMom=0.9):
        """As the study's own code ran it: ``reg`` applies to the stem convolution and the
        final Dense only; the residual modules keep their own default L2 of 0.0001
        (build did not pass ``reg`` on; SPEC once said ``reg`` everywhere)."""
        inputs = keras.Input(shape=(height, width, depth))
        x = layers.BatchNormalization(axis=-1, epsilon=bnEps, momentum=bnMom)(inputs)
        x = layers.Conv2D(filters[0], (3, 3), use_bias=False, padding="same",
                          kernel_regularizer=l2(reg))(x)

        for i, blocks in enumerate(stages):
            # the first module of each stage reduces: stride 1 in stage 0, 2 after
            stride = (1, 1) if i == 0 else (2, 2)
            x = ResNet.residual_module(x, filters[i + 1], stride, red=True,
                                       bnEps=bnEps, bnMom=bnMom)
            for _ in range(blocks - 1):
                x = ResNet.residual_module(x, filters[i + 1], (1, 1), bnEps=bnEps, bnMom=bnMom)

        x = layers.BatchNormalization(axis=-1, epsilon=bnEps, momentum=bnMom)(x)
        x = layers.Activation("relu")(x)
        x = layers.AveragePooling2D((8, 8))(x)
        x = layers.Flatten()(x)
        x = layers.Dense(classes, kernel_regularizer=l2(reg))(x)
        outputs = layers.Activation("softmax", dtype="float32")(x)
        return keras.Model(inputs, outputs, name="resnet")
