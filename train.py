"""Train one optimizer on one model and dataset; write its history and test report.

    python train.py --history output/minivggnet_adam_digits.pickle \
        --report output/minivggnet_adam_digits.txt --dataset digits --model minivggnet
"""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out of the log

from pyimagesearch.environment import require_packages  # noqa: E402 (imports nothing heavy)

if __name__ == "__main__":
    require_packages("train.py")  # before anything that needs them: one line, not a traceback

# the command itself: pyimagesearch/commands/train.py (installed: optimizer-train)
from pyimagesearch.commands.train import main, parse_args  # noqa: E402

__all__ = ["main", "parse_args"]  # for tests and notebooks

if __name__ == "__main__":
    sys.exit(main())
