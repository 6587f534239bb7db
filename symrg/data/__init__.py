"""Data sets: sphere sampling, the bundled digits / MNIST subsets and user files (:mod:`.loaders`)."""
from .loaders import (Dataset, class_pair, load_digits, load_file, load_mnist, normalize_rows, one_vs_rest,
                      read_idx, sample_sphere)

__all__ = ["Dataset", "sample_sphere", "normalize_rows", "load_digits", "load_mnist", "load_file", "read_idx",
           "one_vs_rest", "class_pair"]
