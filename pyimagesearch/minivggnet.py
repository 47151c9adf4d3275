"""The study's own import, ``from pyimagesearch.minivggnet import MiniVGGNet``: the class
lives in :mod:`pyimagesearch.models.minivggnet`."""
from pyimagesearch.models.minivggnet import MiniVGGNet

__all__ = ["MiniVGGNet"]
