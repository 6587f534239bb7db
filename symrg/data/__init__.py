"""Data sets: the container and sphere map (:mod:`.dataset`), user files (:mod:`.loaders`), built-in
sets and the ``--data`` resolver (:mod:`.builtin`), targets, pools and held-out rows (:mod:`.targets`)."""
from .builtin import (BUILTIN_DATASETS, FASHION_DIR, FASHION_PACKAGE, fashion_dir, load_builtin, load_digits,
                      load_fashion, load_mnist, resolve_dataset)
from .dataset import Dataset, normalize_rows, sample_sphere
from .loaders import load_file, read_idx
from .targets import PoolData, class_pair, held_out, make_target, one_vs_rest, pool_data, select_pool

__all__ = ["Dataset", "sample_sphere", "normalize_rows", "load_digits", "load_mnist", "load_fashion", "fashion_dir",
           "load_builtin", "resolve_dataset", "BUILTIN_DATASETS", "FASHION_DIR", "FASHION_PACKAGE", "load_file",
           "read_idx", "make_target", "select_pool", "held_out", "pool_data", "PoolData", "one_vs_rest",
           "class_pair"]
