"""Inputs for the Convolution and Pooling pages: small numeric grids, sample photos, image files.

Every loader returns float32 values in [0, 1]: (H, W) in grayscale, (3, H, W) in RGB (channels
first, the layout `conv2d` wants). Files go through Pillow; anything it cannot read becomes an
`ImageLoadError` with a message fit for the status bar. Large images are shrunk to `MAX_SIDE`
pixels on their longer side, and the result says so (`notice`).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAX_SIDE = 512  # longer side, in pixels, an image is shrunk to (keeps a photo's convolution < 50 ms)


class ImageLoadError(ValueError):
    """An image file that cannot be used (missing, unreadable, corrupt, not an image)."""


@dataclass
class LoadedImage:
    pixels: np.ndarray           # (H, W) gray or (3, H, W) RGB, float32 in [0, 1]
    original_size: tuple[int, int]  # (height, width) before any shrinking
    notice: str = ""             # e.g. "shrunk from 4000×3000 to 512×384"


# -- numeric grids ----------------------------------------------------------------------------
def _grid(rows) -> np.ndarray:
    return np.array(rows, dtype=np.float32)


WORKED_EXAMPLE = _grid([[.5, .2, .1, .7], [.1, .6, .9, .5], [0, .8, .2, .7], [.2, .4, 0, .4]])
WORKED_KERNEL = _grid([[.1, .2, .6], [.4, .3, .5], [.9, .8, .7]])


def _vertical_edge(n: int = 6) -> np.ndarray:
    g = np.full((n, n), 0.1, np.float32)
    g[:, n // 2:] = 0.9
    return g


def _diagonal(n: int = 7) -> np.ndarray:
    g = np.zeros((n, n), np.float32)
    np.fill_diagonal(g, 1.0)
    g[1:, :-1] += 0.5 * np.eye(n - 1, dtype=np.float32)  # a softer line below the diagonal
    return g


def _digit_seven() -> np.ndarray:
    g = np.zeros((8, 8), np.float32)
    g[1, 1:7] = 1.0
    for r, c in [(2, 6), (3, 5), (4, 4), (5, 4), (6, 3)]:
        g[r, c] = 1.0
        g[r, c - 1] = 0.4
    return g


def _checkerboard(n: int = 6) -> np.ndarray:
    return (np.indices((n, n)).sum(axis=0) % 2).astype(np.float32)


SAMPLE_GRIDS: dict[str, np.ndarray] = {
    "worked example 4×4": WORKED_EXAMPLE,
    "vertical edge 6×6": _vertical_edge(),
    "horizontal edge 6×6": _vertical_edge().T.copy(),
    "diagonal line 7×7": _diagonal(),
    "digit seven 8×8": _digit_seven(),
    "checkerboard 6×6": _checkerboard(),
    "gradient 5×5": np.round(np.add.outer(np.arange(5), np.arange(5)) / 8, 3).astype(np.float32),
}


def gray_to_rgb_grid(g: np.ndarray) -> np.ndarray:
    """Three distinct channels from one grid, so a numeric RGB example has different sums per
    channel: R the grid, G it mirrored left-right, B its complement. (3, H, W)"""
    return np.stack([g, g[:, ::-1], 1.0 - g]).astype(np.float32)


def sample_grid(name: str, rgb: bool = False) -> np.ndarray:
    g = SAMPLE_GRIDS[name]
    return gray_to_rgb_grid(g) if rgb else g.copy()


# -- photos -----------------------------------------------------------------------------------
# label -> scikit-image data function (all ship inside scikit-image, no download)
SAMPLE_PHOTOS: dict[str, str] = {
    "camera man": "camera",
    "astronaut": "astronaut",
    "coins": "coins",
    "coffee": "coffee",
    "cat (Chelsea)": "chelsea",
    "rocket": "rocket",
    "moon": "moon",
    "text": "text",
    "brick": "brick",
}


def to_gray(rgb: np.ndarray) -> np.ndarray:
    """(3, H, W) -> (H, W) luminance (ITU-R 601 weights, as Pillow's "L")."""
    return (0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]).astype(np.float32)


def _from_hwc(arr: np.ndarray, rgb: bool) -> np.ndarray:
    """uint8/bool/float (H, W) or (H, W, 3|4) -> our layout in [0, 1]."""
    a = np.asarray(arr)
    if a.dtype == bool:
        a = a.astype(np.float32)
    elif np.issubdtype(a.dtype, np.integer):
        a = a.astype(np.float32) / float(np.iinfo(a.dtype).max)
    a = a.astype(np.float32)
    if a.ndim == 3:
        a = np.moveaxis(a[..., :3], -1, 0)  # (3, H, W)
        return np.ascontiguousarray(a) if rgb else to_gray(a)
    return np.stack([a, a, a]) if rgb else a


def _shrink(pil_image, max_side: int):
    from PIL import Image
    w, h = pil_image.size
    if max(w, h) <= max_side:
        return pil_image, ""
    scale = max_side / max(w, h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = pil_image.resize(size, Image.Resampling.LANCZOS)
    return small, f"shrunk from {w}×{h} to {size[0]}×{size[1]} pixels"


def sample_photo(name: str, rgb: bool = False, max_side: int = MAX_SIDE) -> LoadedImage:
    """One of `SAMPLE_PHOTOS` (label or scikit-image name), shrunk to `max_side` if larger."""
    import skimage.data
    from PIL import Image
    func = SAMPLE_PHOTOS.get(name, name)
    arr = getattr(skimage.data, func)()
    h, w = arr.shape[:2]
    img = Image.fromarray(arr if arr.dtype == np.uint8 else (arr * 255).astype(np.uint8))
    img, notice = _shrink(img, max_side)
    return LoadedImage(_from_hwc(np.asarray(img), rgb), (h, w), notice)


def load_image(path, rgb: bool = False, max_side: int = MAX_SIDE) -> LoadedImage:
    """An image file (PNG, JPEG, BMP, ... anything Pillow reads) in our layout.

    Raises ImageLoadError with a readable reason for a missing, empty, corrupt, truncated,
    absurdly large or non-image file.
    """
    from PIL import Image, UnidentifiedImageError
    path = Path(path)
    if not path.exists():
        raise ImageLoadError(f"{path.name}: no such file")
    if path.is_dir():
        raise ImageLoadError(f"{path.name} is a folder, not an image file")
    if path.stat().st_size == 0:
        raise ImageLoadError(f"{path.name} is empty (0 bytes)")
    try:
        with Image.open(path) as img:
            size = img.size
            img.draft("RGB", (max_side, max_side))  # JPEG: decode at reduced scale, much faster
            img.load()
            img = _normalise_mode(img)
    except Image.DecompressionBombError:
        raise ImageLoadError(f"{path.name} is too large to open safely") from None
    except UnidentifiedImageError:
        raise ImageLoadError(f"{path.name} is not an image file this app can read "
                             "(try PNG or JPEG)") from None
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        raise ImageLoadError(f"{path.name} could not be read; the file looks damaged ({e})") from None
    except MemoryError:
        raise ImageLoadError(f"{path.name} is too large to fit in memory") from None
    img, notice = _shrink(img, max_side)
    pixels = _from_hwc(np.asarray(img), rgb)
    if notice:
        notice = f"{path.name} was {notice}"
    return LoadedImage(pixels, (size[1], size[0]), notice)


def _normalise_mode(img):
    """Any Pillow mode -> "L" or "RGB" (transparent pixels over white; 16-bit scaled)."""
    from PIL import Image
    if img.mode in ("L", "RGB"):
        return img
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        a = np.asarray(img, dtype=np.float32)
        top = 65535.0 if img.mode.startswith("I;16") or a.max() > 255 else 255.0
        return Image.fromarray((np.clip(a / top, 0, 1) * 255).astype(np.uint8), "L")
    if "A" in img.mode or img.mode == "P" and "transparency" in img.info:
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return img.convert("RGB")
