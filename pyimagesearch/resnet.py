"""The study's own import, ``from pyimagesearch.resnet import ResNet``: the class lives in
:mod:`pyimagesearch.models.resnet`."""
from pyimagesearch.models.resnet import ResNet

__all__ = ["ResNet"]
