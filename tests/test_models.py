"""Each architecture's output shape and trainable-parameter count, derived from SPEC."""
import numpy as np
import pytest

from pyimagesearch.models.minigooglenet import MiniGoogLeNet
from pyimagesearch.models.minivggnet import MiniVGGNet
from pyimagesearch.registry import MODELS
from pyimagesearch.models.resnet import ResNet


def conv(k, cin, cout, bias=True):
    return k * k * cin * cout + (cout if bias else 0)


def bn(c):  # gamma and beta are trainable; the moving statistics are not
    return 2 * c


def dense(nin, nout):
    return nin * nout + nout


def trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def minivggnet_count(c, classes):
    n = conv(3, c, 32) + bn(32) + conv(3, 32, 32) + bn(32)
    n += conv(3, 32, 64) + bn(64) + conv(3, 64, 64) + bn(64)
    return n + dense(64 * 8 * 8, 512) + bn(512) + dense(512, classes)


def googlenet_count(c, classes):
    def module(cin, k, size):
        return conv(size, cin, k) + bn(k)

    total, ch = module(c, 96, 3), 96

    def inception(a, b):
        nonlocal total, ch
        total += module(ch, a, 1) + module(ch, b, 3)
        ch = a + b

    def down(k):
        nonlocal total, ch
        total += module(ch, k, 3)
        ch = k + ch  # the max-pool branch keeps its channels

    inception(32, 32); inception(32, 48); down(80)
    inception(112, 48); inception(96, 64); inception(80, 80); inception(48, 96); down(96)
    inception(176, 160); inception(176, 160)
    return total + dense(ch, classes)


def resnet_count(c, classes, stages=(9, 9, 9), filters=(64, 64, 128, 256)):
    total = bn(c) + conv(3, c, filters[0], bias=False)
    ch = filters[0]
    for i, blocks in enumerate(stages):
        k = filters[i + 1]
        for j in range(blocks):
            total += bn(ch) + conv(1, ch, k // 4, False) + bn(k // 4) + conv(3, k // 4, k // 4, False)
            total += bn(k // 4) + conv(1, k // 4, k, False)
            if j == 0:
                total += conv(1, ch, k, False)  # the reducing shortcut
            ch = k
    return total + bn(ch) + dense(ch, classes)


@pytest.mark.parametrize("depth,classes", [(1, 10), (3, 100)])
def test_minivggnet(depth, classes):
    model = MiniVGGNet.build(32, 32, depth, classes)
    assert model.output_shape == (None, classes)
    assert trainable(model) == minivggnet_count(depth, classes)


@pytest.mark.parametrize("depth,classes", [(1, 10), (3, 100)])
def test_minigooglenet(depth, classes):
    model = MiniGoogLeNet.build(32, 32, depth, classes)
    assert model.output_shape == (None, classes)
    assert trainable(model) == googlenet_count(depth, classes)


@pytest.mark.parametrize("depth,classes", [(1, 10), (3, 100)])
def test_resnet(depth, classes):
    model = ResNet.build(32, 32, depth, classes, (9, 9, 9), (64, 64, 128, 256), reg=0.0005)
    assert model.output_shape == (None, classes)
    assert trainable(model) == resnet_count(depth, classes)


def test_resnet_follows_spec_settings():
    import keras
    model = MODELS["resnet"].build((32, 32, 3), 10)
    norms = [l for l in model.layers if isinstance(l, keras.layers.BatchNormalization)]
    assert norms and all(l.epsilon == 2e-5 and l.momentum == 0.9 for l in norms)
    convs = [l for l in model.layers if isinstance(l, keras.layers.Conv2D)]
    assert all(not l.use_bias for l in convs)
    # 1 stem conv + 27 modules of 3 convs + 3 reducing shortcuts
    assert len(convs) == 1 + 27 * 3 + 3


def test_resnet_l2_as_the_study_ran_it():
    """reg=0.0005 on the stem convolution and the final Dense; the residual modules'
    convolutions, shortcuts included, keep the module's default 0.0001."""
    import keras
    model = MODELS["resnet"].build((32, 32, 3), 10)
    convs = [l for l in model.layers if isinstance(l, keras.layers.Conv2D)]
    dense = [l for l in model.layers if isinstance(l, keras.layers.Dense)]
    assert float(convs[0].kernel_regularizer.l2) == pytest.approx(0.0005)  # the stem
    assert len(dense) == 1 and float(dense[0].kernel_regularizer.l2) == pytest.approx(0.0005)
    modules = convs[1:]
    assert len(modules) == 27 * 3 + 3
    assert all(float(l.kernel_regularizer.l2) == pytest.approx(0.0001) for l in modules)
