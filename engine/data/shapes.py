"""Hand-drawn-looking outline shapes: the small target task for transfer learning, offline.

Eight classes (circle, square, triangle, diamond, plus, cross, star, arrow) drawn as white
strokes on black at 28x28, like MNIST digits, so a backbone trained on digits sees the same kind
of image (thin bright strokes) but a different task. Every shape is jittered (its corner points
move), scaled, rotated a little (at most 15 degrees: more would turn a square into a diamond and
a plus into a cross), moved, drawn with a random pen width and given some pixel noise.

Rendering is numpy only: each pixel's distance to the nearest stroke segment, turned into ink
with an anti-aliased edge (no PIL needed, the same on every machine).

    train, test, classes = make_shapes(n_train=300, n_test=2000, seed=0)
    train.tensors[0].shape   # (300, 1, 28, 28) float32 in [0, 1]; labels int64 (300,)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import TensorDataset

SIZE = 28  # output side, pixels
SHAPE_CLASSES = ["circle", "square", "triangle", "diamond", "plus", "cross", "star", "arrow"]
TEST_SEED_OFFSET = 1_000_003  # the test set comes from another random stream than the train set


@dataclass
class ShapeStyle:
    scale: tuple[float, float] = (0.55, 0.95)   # half-size of the shape, fraction of 14 px
    rotation: float = 15.0                      # degrees, uniform in +-rotation
    shift: float = 3.0                          # centre moved up to this many pixels (+-)
    jitter: float = 0.06                        # corner noise, fraction of the shape's size
    width: tuple[float, float] = (1.4, 3.2)     # pen width, pixels
    noise: float = 0.08                         # std of the Gaussian pixel noise (then clipped)


def _polygon(angles_deg, radii=1.0) -> np.ndarray:
    """Closed polyline (K+1, 2) through points at the given angles (0 = right, y points down)."""
    a = np.radians(np.asarray(angles_deg, dtype=np.float64))
    r = np.broadcast_to(np.asarray(radii, dtype=np.float64), a.shape)
    pts = np.stack([r * np.cos(a), -r * np.sin(a)], 1)
    return np.concatenate([pts, pts[:1]])


def _outlines(name: str) -> list[np.ndarray]:
    """The strokes of one shape in unit coordinates (about [-1, 1]^2), each a polyline (K, 2)."""
    if name == "circle":
        return [_polygon(np.linspace(0, 360, 25)[:-1])]
    if name == "square":
        return [_polygon([45, 135, 225, 315], np.sqrt(2) * 0.8)]
    if name == "triangle":
        return [_polygon([90, 210, 330])]
    if name == "diamond":
        return [_polygon([0, 90, 180, 270])]
    if name == "plus":
        return [np.array([[-1.0, 0.0], [1.0, 0.0]]), np.array([[0.0, -1.0], [0.0, 1.0]])]
    if name == "cross":
        d = np.sqrt(0.5)
        return [np.array([[-d, -d], [d, d]]), np.array([[-d, d], [d, -d]])]
    if name == "star":
        return [_polygon(90 + np.arange(10) * 36, np.tile([1.0, 0.42], 5))]
    if name == "arrow":
        return [np.array([[-1.0, 0.0], [1.0, 0.0]]),
                np.array([[0.45, -0.5], [1.0, 0.0], [0.45, 0.5]])]
    raise ValueError(f"unknown shape {name!r}: choose one of {', '.join(SHAPE_CLASSES)}")


def _segments(strokes: list[np.ndarray]) -> np.ndarray:
    """(S, 2, 2) start and end points of every segment of every stroke."""
    return np.concatenate([np.stack([s[:-1], s[1:]], 1) for s in strokes])


def _render(segments: np.ndarray, width: np.ndarray) -> np.ndarray:
    """(N, SIZE, SIZE) ink in [0, 1] from (N, S, 2, 2) segments and (N,) pen widths: 1 within
    width/2 of a segment, then a one-pixel soft edge (anti-aliasing). Computed in torch, which
    runs these broadcasts several times faster than numpy."""
    seg = torch.from_numpy(np.ascontiguousarray(segments, dtype=np.float32))
    yy, xx = torch.meshgrid(torch.arange(SIZE) + 0.5, torch.arange(SIZE) + 0.5, indexing="ij")
    px, py = xx.reshape(1, -1, 1), yy.reshape(1, -1, 1)               # (1, P, 1)
    ax, ay = seg[:, None, :, 0, 0], seg[:, None, :, 0, 1]             # (N, 1, S)
    dx, dy = seg[:, None, :, 1, 0] - ax, seg[:, None, :, 1, 1] - ay
    t = (((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy).clamp_min(1e-9)).clamp_(0, 1)
    dist = torch.hypot(px - ax - t * dx, py - ay - t * dy).amin(-1)  # (N, P)
    w = torch.from_numpy(np.asarray(width, dtype=np.float32))[:, None]
    ink = (w / 2 + 0.5 - dist).clamp_(0, 1)
    return ink.reshape(-1, SIZE, SIZE).numpy()


def shape_segments(label: int, rng: np.random.Generator,
                   style: ShapeStyle = ShapeStyle()) -> np.ndarray:
    """The (S, 2, 2) pixel-space segments of one augmented shape of class `label`."""
    strokes = _outlines(SHAPE_CLASSES[label])
    half = rng.uniform(*style.scale) * SIZE / 2
    angle = np.radians(rng.uniform(-style.rotation, style.rotation))
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    centre = SIZE / 2 + rng.uniform(-style.shift, style.shift, size=2)
    placed = []
    for s in strokes:
        closed = len(s) > 2 and np.array_equal(s[0], s[-1])
        s = s + rng.normal(0, style.jitter, size=s.shape)
        if closed:  # keep closed outlines closed after the jitter
            s[-1] = s[0]
        placed.append(s @ rot.T * half + centre)
    return _segments(placed)


MAX_SEGMENTS = 24  # the circle's; shorter lists are padded by repeating their last segment
CHUNK = 256        # images rendered per numpy call (bounds the (N, P, S) temporaries)


def _padded(segments: np.ndarray) -> np.ndarray:
    extra = np.repeat(segments[-1:], MAX_SEGMENTS - len(segments), axis=0)
    return np.concatenate([segments, extra])  # a repeated segment leaves the minimum distance


def shape_images(n: int, seed: int, style: ShapeStyle = ShapeStyle()) -> TensorDataset:
    """n shapes, classes balanced (n // 8 of each, the rest spread) and shuffled, seeded."""
    if n < len(SHAPE_CLASSES):
        raise ValueError(f"A shapes set needs at least {len(SHAPE_CLASSES)} images (one per "
                         f"class); {n} were asked for.")
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % len(SHAPE_CLASSES))
    segments = np.stack([_padded(shape_segments(int(k), rng, style)) for k in labels])
    widths = rng.uniform(*style.width, size=n)
    images = np.concatenate([_render(segments[i:i + CHUNK].astype(np.float32),
                                     widths[i:i + CHUNK].astype(np.float32))
                             for i in range(0, n, CHUNK)])
    images = np.clip(images + rng.normal(0, style.noise, size=images.shape), 0, 1)
    return TensorDataset(torch.from_numpy(images.astype(np.float32)).unsqueeze(1),  # (N, 1, 28, 28)
                         torch.from_numpy(labels.astype(np.int64)))                 # (N,)


def draw_shape(label: int, seed: int = 0, style: ShapeStyle = ShapeStyle()) -> np.ndarray:
    """One augmented shape of class `label` as a (28, 28) float32 image in [0, 1]."""
    rng = np.random.default_rng(seed)
    segments = shape_segments(label, rng, style)[None].astype(np.float32)
    image = _render(segments, np.array([rng.uniform(*style.width)], np.float32))[0]
    return np.clip(image + rng.normal(0, style.noise, size=image.shape), 0, 1).astype(np.float32)


def make_shapes(n_train: int = 300, n_test: int = 2000, seed: int = 0,
                style: ShapeStyle = ShapeStyle()) -> tuple[TensorDataset, TensorDataset, list[str]]:
    """(train, test, class names): a small labelled training set and a larger test set drawn
    from different random streams of the same seed."""
    train = shape_images(n_train, seed, style)
    test = shape_images(n_test, seed + TEST_SEED_OFFSET, style)
    return train, test, list(SHAPE_CLASSES)
