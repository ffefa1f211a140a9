"""Readers for the standard dataset files: IDX (MNIST, Fashion-MNIST) and CIFAR-10 python batches.

They read the very files torchvision downloads (same names, same folder layout), but also the
flat folders other tools use (Debian's /usr/share/datasets/fashion-mnist, a folder holding only
the t10k files). Every problem with a file becomes a `DatasetError` saying which file and what to
do, never a bare struct/zlib/pickle exception.
"""
from __future__ import annotations

import gzip
import io
import pickle
import struct
import zlib
from pathlib import Path

import numpy as np


class DatasetError(Exception):
    """A dataset that cannot be loaded; the message names what is missing and how to get it."""


IDX_DTYPE = 0x08  # unsigned byte: the only element type MNIST-style files use


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (optionally .gz) as a uint8 array, e.g. (N, 28, 28) images or (N,) labels."""
    path = Path(path)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                raw = f.read()
        else:
            raw = path.read_bytes()
    except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError; truncation EOFError
        raise DatasetError(f"{path} is damaged ({exc}). Delete it and download it again.") from exc
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != IDX_DTYPE or not 1 <= raw[3] <= 4:
        raise DatasetError(f"{path} is not an IDX file of bytes (its header is wrong). "
                           "Delete it and download it again.")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DatasetError(f"{path} is cut short (no complete header). Download it again.")
    dims = struct.unpack(">" + "I" * ndim, raw[4:header])
    expected = int(np.prod(dims))
    if len(raw) - header != expected:
        raise DatasetError(f"{path} holds {len(raw) - header} bytes of data, but its header "
                           f"promises {expected} {dims}. Delete it and download it again.")
    return np.frombuffer(raw, np.uint8, count=expected, offset=header).reshape(dims)


def idx_length(path: Path) -> int:
    """The first dimension (number of items) from an IDX file's header, without reading the rest."""
    opener = gzip.open if Path(path).suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            head = f.read(8)
    except (OSError, EOFError, zlib.error) as exc:
        raise DatasetError(f"{path} is damaged ({exc}). Delete it and download it again.") from exc
    if len(head) < 8 or head[:3] != bytes((0, 0, IDX_DTYPE)):
        raise DatasetError(f"{path} is not an IDX file of bytes (its header is wrong). "
                           "Delete it and download it again.")
    return struct.unpack(">I", head[4:8])[0]


def find_file(folder: Path, name: str) -> Path | None:
    """`name` or `name.gz` inside `folder`, whichever exists."""
    for candidate in (folder / (name + ".gz"), folder / name):
        if candidate.is_file():
            return candidate
    return None


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles CIFAR batches (dicts of numpy arrays, lists, bytes) and nothing else, so a
    tampered file cannot run code."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"), ("numpy", "dtype"),
        ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    }

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def read_cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One CIFAR-10 python batch: (N, 3, 32, 32) uint8 images and (N,) int64 labels."""
    try:
        with open(path, "rb") as f:
            blob = _ArrayUnpickler(io.BytesIO(f.read()), encoding="latin1").load()
        data = np.asarray(blob["data"], dtype=np.uint8)
        labels = np.asarray(blob["labels"], dtype=np.int64)
        images = data.reshape(-1, 3, 32, 32)
    except (OSError, EOFError, KeyError, TypeError, ValueError, pickle.UnpicklingError) as exc:
        raise DatasetError(f"{path} is not a readable CIFAR-10 batch ({type(exc).__name__}: "
                           f"{exc}). Delete the folder and download CIFAR-10 again.") from exc
    if len(images) != len(labels):
        raise DatasetError(f"{path} has {len(images)} images but {len(labels)} labels. "
                           "Download CIFAR-10 again.")
    return images, labels
