"""Write scikit-learn's bundled digits as a folder of PNG images, one folder per class:
the layout ``train.py --dataset folder:PATH`` reads (Keras' image_dataset_from_directory).

    python examples/digits_to_folder.py examples/digits_png
    # -> examples/digits_png/train/<class>/*.png and examples/digits_png/test/<class>/*.png
"""
import argparse
import os
import sys

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from pyimagesearch.data import datasets  # noqa: E402

NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def write(folder, images, labels):
    for index, (image, label) in enumerate(zip(images, labels)):
        class_dir = os.path.join(folder, NAMES[label])
        os.makedirs(class_dir, exist_ok=True)
        cv2.imwrite(os.path.join(class_dir, f"{index:04d}.png"), image)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", help="where to write train/ and test/")
    args = ap.parse_args(argv)
    if os.path.exists(args.folder) and os.listdir(args.folder):
        print(f"digits_to_folder.py: error: {args.folder} exists and is not empty", file=sys.stderr)
        return 2
    data = datasets.load_digits()  # the project's 80/20 split of the 1,797 digits
    write(os.path.join(args.folder, "train"), data.train_x, data.train_y)
    write(os.path.join(args.folder, "test"), data.test_x, data.test_y)
    print(f"[INFO] wrote {len(data.train_x)} training and {len(data.test_x)} test PNGs "
          f"({np.unique(data.train_y).size} classes) to {args.folder}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
