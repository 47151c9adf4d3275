"""``python -m pyimagesearch.wrap``, as grid scripts written before the package was laid
out by concern call it: :mod:`pyimagesearch.program.wrap`."""
import sys

from pyimagesearch.program.wrap import main

if __name__ == "__main__":
    sys.exit(main())
