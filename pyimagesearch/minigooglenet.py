"""The study's own import, ``from pyimagesearch.minigooglenet import MiniGoogLeNet``: the
class lives in :mod:`pyimagesearch.models.minigooglenet`."""
from pyimagesearch.models.minigooglenet import MiniGoogLeNet

__all__ = ["MiniGoogLeNet"]
