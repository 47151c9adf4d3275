"""``python -m pyimagesearch.progress``, as grid scripts written before the package was
laid out by concern call it: :mod:`pyimagesearch.launch.progress`."""
import sys

from pyimagesearch.launch.progress import main

if __name__ == "__main__":
    sys.exit(main())
