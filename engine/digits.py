"""Turning a drawing into the 28x28 input a digit model takes, the way MNIST was made.

MNIST's recipe (LeCun et al.): crop the ink to its bounding box, scale it so the longer side is
20 pixels (aspect kept, anti-aliased), then place it in a 28x28 field so that its centre of mass
sits at the field's centre. `preprocess_stages` keeps each stage for display; `preprocess`
returns just the (1, 28, 28) tensor. The shipped model takes ink in [0, 1] with no further
normalisation (`INPUT_NORMALIZATION`); a checkpoint whose metadata names a "normalize"
(mean, std) gets it applied by `model_input`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

SIZE = 28              # the model's input side
BOX = 20               # the longer side of the digit after scaling
CENTRE = 14.0          # where the centre of mass goes (row, col), as in MNIST
INK_THRESHOLD = 0.05   # fainter pixels do not count for the bounding box
INPUT_NORMALIZATION = None   # the shipped model: raw ink in [0, 1]


@dataclass
class Preprocessed:
    cropped: np.ndarray                    # (h, w) the ink's bounding box at drawing resolution
    scaled: np.ndarray                     # (20, 20) longer side scaled to 20, centred in the box
    centred: np.ndarray                    # (28, 28) centre of mass at (14, 14): what the model sees
    bbox: tuple[int, int, int, int] | None  # (row0, col0, row1, col1) in the drawing, end exclusive
    scale: float                           # scaled pixels per drawing pixel
    empty: bool                            # no ink at all

    def tensor(self) -> torch.Tensor:
        return torch.from_numpy(self.centred.copy())[None]    # (1, 28, 28)


def centre_of_mass(img: np.ndarray) -> tuple[float, float]:
    """(row, col) centre of mass of a 2-D array of non-negative weights; the middle when empty."""
    if not float(np.sum(img, dtype=np.float64)) > 0:
        return (img.shape[0] - 1) / 2, (img.shape[1] - 1) / 2
    row, col = ndimage.center_of_mass(np.asarray(img, np.float64))
    return float(row), float(col)


def _empty() -> Preprocessed:
    z = np.zeros
    return Preprocessed(z((0, 0), np.float32), z((BOX, BOX), np.float32),
                        z((SIZE, SIZE), np.float32), None, 1.0, True)


def preprocess_stages(img: np.ndarray) -> Preprocessed:
    """A drawing (2-D, any size, ink = 1 in [0, 1]) -> each MNIST preprocessing stage."""
    img = np.asarray(img, dtype=np.float32)
    if img.ndim != 2:
        raise ValueError(f"a drawing is a 2-D array, got shape {img.shape}")
    img = np.where(img > 0, np.minimum(img, 1), 0)       # clipped to [0, 1]; NaN -> 0
    # 1. crop to the ink's bounding box
    rows = np.flatnonzero((img > INK_THRESHOLD).any(axis=1))
    cols = np.flatnonzero((img > INK_THRESHOLD).any(axis=0))
    if rows.size == 0:
        return _empty()
    r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    cropped = np.ascontiguousarray(img[r0:r1, c0:c1])
    # 2. scale so the longer side is 20 pixels (aspect kept), anti-aliased like MNIST, and
    #    centre it in a 20x20 box
    h, w = cropped.shape
    scale = BOX / max(h, w)
    sh, sw = max(1, round(h * scale)), max(1, round(w * scale))
    small = F.interpolate(torch.from_numpy(cropped)[None, None], size=(sh, sw),
                          mode="bilinear", antialias=True, align_corners=False)[0, 0]
    scaled = np.zeros((BOX, BOX), np.float32)
    top, left = (BOX - sh) // 2, (BOX - sw) // 2
    scaled[top:top + sh, left:left + sw] = small.clamp(0, 1).numpy()
    # 3. put the box in the middle of a 28x28 field, then shift it (bilinear, sub-pixel) so
    #    its centre of mass lands on (14, 14)
    field = np.zeros((SIZE, SIZE), np.float32)
    margin = (SIZE - BOX) // 2
    field[margin:margin + BOX, margin:margin + BOX] = scaled
    cy, cx = centre_of_mass(field)
    centred = ndimage.shift(field, (CENTRE - cy, CENTRE - cx), order=1, mode="grid-constant")
    return Preprocessed(cropped, scaled, centred.astype(np.float32),
                        (int(r0), int(c0), int(r1), int(c1)), float(scale), False)


def preprocess(img: np.ndarray) -> torch.Tensor:
    """A drawing (2-D float array in [0, 1], ink = 1, any size) -> the (1, 28, 28) model input.

    An empty drawing gives all zeros (the model then sees a blank field)."""
    return model_input(preprocess_stages(img).centred)


def read_mnist_idx(folder, prefix: str = "t10k") -> tuple[np.ndarray, np.ndarray]:
    """MNIST's IDX files (`<prefix>-images-idx3-ubyte[.gz]`, `-labels-idx1-ubyte[.gz]`) in `folder`
    -> ((n, 28, 28) float32 ink in [0, 1], (n,) int64). Raises FileNotFoundError/ValueError."""
    import gzip
    from pathlib import Path

    def read(stem: str, magic: int) -> np.ndarray:
        for name in (stem + ".gz", stem):
            path = Path(folder) / name
            if path.is_file():
                raw = (gzip.open if name.endswith(".gz") else open)(path, "rb").read()
                break
        else:
            raise FileNotFoundError(f"{stem}(.gz) not found in {folder}")
        if len(raw) < 8 or int.from_bytes(raw[:4], "big") != magic:
            raise ValueError(f"{path.name} is not an MNIST IDX file")
        ndim = raw[3]
        dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
        data = np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim)
        if data.size != int(np.prod(dims)):
            raise ValueError(f"{path.name} is truncated")
        return data.reshape(dims)

    images = read(f"{prefix}-images-idx3-ubyte", 0x803).astype(np.float32) / 255.0
    labels = read(f"{prefix}-labels-idx1-ubyte", 0x801).astype(np.int64)
    return images, labels


def model_input(centred: np.ndarray, meta: dict | None = None) -> torch.Tensor:
    """(28, 28) centred ink -> (1, 28, 28) float tensor, normalised as `meta` says (if at all)."""
    x = torch.from_numpy(np.ascontiguousarray(centred, dtype=np.float32))[None]
    norm = (meta or {}).get("normalize", INPUT_NORMALIZATION)
    if norm:
        mean, std = norm
        x = (x - float(mean)) / float(std)
    return x
