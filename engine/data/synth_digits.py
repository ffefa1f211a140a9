"""Generated handwritten-looking digits: unlimited, offline, 28x28, centred the way MNIST was.

Each class has a few pen-stroke skeletons (a 7 with and without a bar, a closed and an open 4,
a 1 with and without a flag and foot, ...). Every digit jitters its control points, bends them
with a smooth elastic field, slants, rotates and stretches them, then draws the strokes with a
random pen width (anti-aliased distance-to-segment rendering, batched in torch). Like MNIST, the
ink is fitted into a 20x20 box (aspect kept) and moved so its centre of mass sits at (14, 14),
then nudged by a small random shift.

    x, y = make_synth_digits(60000, seed=0)   # (60000, 1, 28, 28) float32 in [0, 1], (60000,) int64
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

SIZE = 28        # output side, pixels
BOX = 20.0       # MNIST fits the ink into a 20x20 box ...
CENTRE = 14.0    # ... and puts its centre of mass here (row, col)


@dataclass
class SynthConfig:
    width: tuple[float, float] = (1.6, 3.6)      # pen width in output pixels
    jitter: float = 0.035                        # control point noise, fraction of the digit height
    elastic: float = 0.045                       # amplitude of the smooth bending field
    slant: tuple[float, float] = (-0.2, 0.45)    # shear: x += slant * (0.5 - y); > 0 leans right
    rotation: float = 10.0                       # degrees, uniform in +-rotation
    aspect: tuple[float, float] = (0.75, 1.3)    # horizontal stretch before fitting the box
    scale: tuple[float, float] = (0.82, 1.0)     # box side = 20 * scale (MNIST is exactly 1.0)
    shift: float = 1.0                           # random shift after centring, pixels (+-)


def _arc(cx, cy, rx, ry, a0, a1, n=9):
    """Points on an ellipse arc, angles in degrees counter-clockwise on screen (y points down)."""
    a = np.radians(np.linspace(a0, a1, n))
    return np.stack([cx + rx * np.cos(a), cy - ry * np.sin(a)], 1)


def _pts(*xy):
    return np.asarray(xy, dtype=np.float64)


# class -> variants -> strokes; a stroke is ("L", polyline) or ("C", Catmull-Rom control points),
# in a unit box with x to the right and y down.
SKELETONS: dict[int, list[list[tuple[str, np.ndarray]]]] = {
    0: [
        [("C", _arc(0.5, 0.5, 0.3, 0.48, 100, 100 + 372, 10))],
        [("C", _arc(0.5, 0.5, 0.4, 0.48, 70, 70 + 360, 10))],
        [("C", _arc(0.5, 0.5, 0.24, 0.5, 95, 95 + 385, 11))],
    ],
    1: [
        [("L", _pts([0.5, 0.0], [0.5, 1.0]))],
        [("L", _pts([0.28, 0.22], [0.55, 0.0], [0.55, 1.0]))],
        [("L", _pts([0.28, 0.22], [0.55, 0.0], [0.55, 1.0])), ("L", _pts([0.3, 1.0], [0.8, 1.0]))],
    ],
    2: [
        [("C", _pts([0.2, 0.25], [0.35, 0.05], [0.6, 0.02], [0.78, 0.2], [0.72, 0.45], [0.45, 0.72],
                    [0.18, 1.0])),
         ("L", _pts([0.18, 1.0], [0.85, 0.98]))],
        [("C", _pts([0.2, 0.22], [0.4, 0.02], [0.68, 0.05], [0.75, 0.3], [0.5, 0.65], [0.22, 0.92],
                    [0.18, 0.8], [0.32, 0.8], [0.55, 0.97], [0.88, 0.95]))],
        [("C", _pts([0.15, 0.18], [0.45, 0.0], [0.78, 0.15], [0.7, 0.45], [0.2, 0.98])),
         ("L", _pts([0.2, 0.98], [0.5, 0.96], [0.85, 1.0]))],
    ],
    3: [
        [("C", _pts([0.2, 0.15], [0.45, 0.0], [0.72, 0.08], [0.74, 0.28], [0.42, 0.46])),
         ("C", _pts([0.42, 0.46], [0.75, 0.58], [0.8, 0.82], [0.52, 1.0], [0.18, 0.88]))],
        [("L", _pts([0.2, 0.02], [0.8, 0.02], [0.45, 0.4])),
         ("C", _pts([0.45, 0.4], [0.75, 0.52], [0.8, 0.8], [0.52, 1.0], [0.18, 0.88]))],
    ],
    4: [
        [("L", _pts([0.62, 0.0], [0.12, 0.66], [0.9, 0.66])), ("L", _pts([0.62, 0.0], [0.62, 1.0]))],
        [("L", _pts([0.22, 0.0], [0.18, 0.6], [0.88, 0.6])), ("L", _pts([0.68, 0.22], [0.68, 1.0]))],
        [("L", _pts([0.3, 0.0], [0.12, 0.62], [0.85, 0.6])), ("L", _pts([0.65, 0.02], [0.62, 1.0]))],
    ],
    5: [
        [("L", _pts([0.8, 0.0], [0.3, 0.0], [0.25, 0.45])),
         ("C", _pts([0.25, 0.45], [0.5, 0.36], [0.75, 0.5], [0.78, 0.78], [0.55, 0.98], [0.18, 0.9]))],
        [("L", _pts([0.3, 0.02], [0.24, 0.45])),
         ("C", _pts([0.24, 0.45], [0.45, 0.38], [0.72, 0.45], [0.8, 0.72], [0.6, 0.97], [0.2, 0.92])),
         ("L", _pts([0.3, 0.02], [0.82, 0.0]))],
    ],
    6: [
        [("C", _pts([0.72, 0.0], [0.45, 0.15], [0.25, 0.5], [0.25, 0.82], [0.45, 1.0], [0.7, 0.92],
                    [0.75, 0.68], [0.5, 0.52], [0.27, 0.65]))],
        [("C", _pts([0.6, 0.0], [0.35, 0.4], [0.25, 0.75], [0.4, 1.0], [0.68, 0.95], [0.72, 0.7],
                    [0.48, 0.56], [0.28, 0.72]))],
    ],
    7: [
        [("L", _pts([0.15, 0.02], [0.85, 0.0], [0.38, 1.0]))],
        [("L", _pts([0.15, 0.02], [0.85, 0.0], [0.4, 1.0])), ("L", _pts([0.35, 0.52], [0.8, 0.48]))],
        [("L", _pts([0.12, 0.05], [0.85, 0.0])),
         ("C", _pts([0.85, 0.0], [0.65, 0.35], [0.5, 0.7], [0.46, 1.0]))],
    ],
    8: [
        [("C", _pts([0.7, 0.12], [0.5, 0.0], [0.28, 0.12], [0.32, 0.32], [0.5, 0.46], [0.74, 0.64],
                    [0.72, 0.9], [0.5, 1.0], [0.26, 0.9], [0.27, 0.66], [0.5, 0.46], [0.68, 0.32],
                    [0.7, 0.12]))],
        [("C", _arc(0.5, 0.24, 0.22, 0.24, 270, 270 + 365, 9)),
         ("C", _arc(0.5, 0.74, 0.28, 0.26, 90, 90 + 365, 9))],
    ],
    9: [
        [("C", _pts([0.75, 0.22], [0.55, 0.42], [0.3, 0.38], [0.25, 0.18], [0.45, 0.0], [0.7, 0.05],
                    [0.75, 0.22])),
         ("L", _pts([0.75, 0.22], [0.68, 1.0]))],
        [("C", _arc(0.48, 0.24, 0.25, 0.24, 0, 370, 9)),
         ("C", _pts([0.73, 0.24], [0.72, 0.6], [0.65, 0.88], [0.45, 1.0]))],
    ],
}


def _catmull_rom(p: np.ndarray, per_span: int) -> np.ndarray:
    """(B, K, 2) control points -> (B, (K-1)*per_span + 1, 2) points on the spline through them."""
    first = 2 * p[:, :1] - p[:, 1:2]
    last = 2 * p[:, -1:] - p[:, -2:-1]
    q = np.concatenate([first, p, last], 1)                       # (B, K+2, 2)
    t = np.linspace(0, 1, per_span, endpoint=False)[:, None]      # (per_span, 1)
    # Catmull-Rom basis: rows are weights of P(i-1), P(i), P(i+1), P(i+2)
    w = 0.5 * np.concatenate([-t**3 + 2 * t**2 - t, 3 * t**3 - 5 * t**2 + 2,
                              -3 * t**3 + 4 * t**2 + t, t**3 - t**2], 1)   # (per_span, 4)
    k = p.shape[1]
    spans = np.stack([q[:, i:i + k - 1] for i in range(4)], 2)    # (B, K-1, 4, 2)
    pts = np.einsum("sj,bkjd->bksd", w, spans).reshape(p.shape[0], -1, 2)
    return np.concatenate([pts, p[:, -1:]], 1)


def _variant_segments(strokes, n: int, cfg: SynthConfig, rng: np.random.Generator) -> np.ndarray:
    """(n, S, 2, 2) segments (start, end) of `n` jittered copies of one skeleton, unit box."""
    segs = []
    for kind, ctrl in strokes:
        p = ctrl[None] + rng.normal(0, cfg.jitter, (n, *ctrl.shape))
        if kind == "C":
            p = _catmull_rom(p, 4)
        else:  # split each straight edge into pieces of <= 0.08 (a couple of pixels)
            pieces = [max(1, int(np.ceil(np.linalg.norm(e) / 0.08))) for e in np.diff(ctrl, axis=0)]
            p = np.concatenate([p[:, i:i + 1] + np.linspace(0, 1, m, endpoint=False)[None, :, None]
                                * (p[:, i + 1:i + 2] - p[:, i:i + 1]) for i, m in enumerate(pieces)]
                               + [p[:, -1:]], 1)
        segs.append(np.stack([p[:, :-1], p[:, 1:]], 2))
    return np.concatenate(segs, 1)


def _transform(segs: np.ndarray, cfg: SynthConfig, rng: np.random.Generator) -> np.ndarray:
    """Elastic bend, slant, stretch and rotation of (n, S, 2, 2) unit-box segments, per digit."""
    n = segs.shape[0]
    x, y = segs[..., 0], segs[..., 1]
    r = lambda shape=(n,): rng.uniform(size=shape)  # noqa: E731  (uniform draws, one per digit)
    b = (slice(None), None, None)  # broadcast a per-digit value over (S, 2)
    # a smooth random displacement field (two low-frequency waves per axis): handwriting wobble
    fx, fy, ph = 0.5 + 1.2 * r((n, 2)), 0.5 + 1.2 * r((n, 2)), 2 * np.pi * r((n, 2))
    ax = cfg.elastic * (2 * r((n, 2)) - 1)
    ay = cfg.elastic * (2 * r((n, 2)) - 1)
    dx = sum(ax[:, i][b] * np.sin(2 * np.pi * fy[:, i][b] * y + ph[:, i][b]) for i in range(2))
    dy = sum(ay[:, i][b] * np.sin(2 * np.pi * fx[:, i][b] * x + ph[:, 1 - i][b]) for i in range(2))
    x, y = x + dx, y + dy
    slant = rng.uniform(*cfg.slant, n)[b]
    x = x + slant * (0.5 - y)
    x = x * rng.uniform(*cfg.aspect, n)[b]
    a = np.radians(rng.uniform(-cfg.rotation, cfg.rotation, n))[b]
    x, y = x * np.cos(a) - y * np.sin(a), x * np.sin(a) + y * np.cos(a)
    return np.stack([x, y], -1)


def _fit_box(segs: np.ndarray, width: np.ndarray, cfg: SynthConfig,
             rng: np.random.Generator) -> np.ndarray:
    """Scale each digit so skeleton plus pen fits a 20x20 box; its estimated centre of mass to 14,14."""
    n = segs.shape[0]
    pts = segs.reshape(n, -1, 2)
    lo, hi = pts.min(1), pts.max(1)                                 # (n, 2)
    extent = np.maximum((hi - lo).max(1), 1e-3)
    side = BOX * rng.uniform(*cfg.scale, n)
    k = np.maximum(side - width, 4.0) / extent                      # pixels per unit
    segs = (segs - lo[:, None, None]) * k[:, None, None, None]
    # ink mass ~ segment length: the length-weighted midpoint is the centre of mass
    mid = segs.mean(2)                                              # (n, S, 2)
    length = np.linalg.norm(segs[:, :, 1] - segs[:, :, 0], axis=-1) + 1e-6
    com = (mid * length[..., None]).sum(1) / length.sum(1)[:, None]
    return segs + (CENTRE - com)[:, None, None]


def render_segments(segs: np.ndarray, width: np.ndarray, chunk: int = 2048) -> np.ndarray:
    """(n, S, 2, 2) segments in pixel coordinates (x=col, y=row) -> (n, 28, 28) ink in [0, 1].

    Ink is 1 within the pen's radius of the path, fading over one pixel (anti-aliasing). Each
    segment only touches a small K x K window of pixels, so distances are computed there and
    merged with a scatter-max: ~10x less work than every pixel against every segment."""
    n = segs.shape[0]
    half = np.asarray(width, np.float64) / 2 + 0.5                  # inked where distance < half
    extent = np.abs(segs[:, :, 1] - segs[:, :, 0]).max()
    k = int(np.ceil(extent + 2 * half.max() + 2))
    offs = torch.arange(k, dtype=torch.float32)
    out = torch.zeros(n * SIZE * SIZE + 1)                          # last cell: off-canvas sink
    for s in range(0, n, chunk):
        seg = torch.from_numpy(segs[s:s + chunk]).float()            # (b, S, 2, 2)
        b = seg.shape[0]
        h = torch.from_numpy(half[s:s + chunk]).float()[:, None, None, None]   # (b, 1, 1, 1)
        a, v = seg[:, :, 0], seg[:, :, 1] - seg[:, :, 0]              # (b, S, 2)
        lo = torch.ceil(torch.minimum(seg[:, :, 0], seg[:, :, 1]) - h[..., 0])   # window origin
        px = lo[..., 0, None, None] + offs[None, :]                   # (b, S, 1, K) columns
        py = lo[..., 1, None, None] + offs[:, None]                   # (b, S, K, 1) rows
        wx, wy = px - a[..., 0, None, None], py - a[..., 1, None, None]
        vx, vy = v[..., 0, None, None], v[..., 1, None, None]
        t = ((wx * vx + wy * vy) / (vx * vx + vy * vy + 1e-9)).clamp_(0, 1)   # (b, S, K, K)
        d = ((wx - t * vx).square_() + (wy - t * vy).square_()).sqrt_()
        ink = (h - d).clamp_(0, 1)
        inside = (px >= 0) & (px < SIZE) & (py >= 0) & (py < SIZE)
        digit = torch.arange(s, s + b)[:, None, None, None]
        idx = torch.where(inside, digit * SIZE * SIZE + py.long() * SIZE + px.long(),
                          n * SIZE * SIZE)
        out.scatter_reduce_(0, idx.reshape(-1), ink.reshape(-1), "amax")
    return out[:-1].reshape(n, SIZE, SIZE).numpy()


def _centre_of_mass(images: np.ndarray) -> np.ndarray:
    """(n, H, W) -> (n, 2) centre of mass as (x=col, y=row)."""
    r = np.arange(images.shape[-1], dtype=np.float64)
    mass = images.sum((1, 2)) + 1e-9
    return np.stack([(images.sum(1) * r).sum(1) / mass, (images.sum(2) * r).sum(1) / mass], 1)


def make_synth_digits(n: int, seed: int = 0, config: SynthConfig | None = None
                      ) -> tuple[np.ndarray, np.ndarray]:
    """`n` digits, classes balanced and shuffled: ((n, 1, 28, 28) float32 in [0, 1], (n,) int64).

    Deterministic for a given seed and config."""
    cfg = config or SynthConfig()
    rng = np.random.default_rng(seed)
    threads = torch.get_num_threads()
    # many small element-wise ops: one thread is faster than two that spin-wait on a busy CPU
    torch.set_num_threads(1)
    try:
        return _make(n, cfg, rng)
    finally:
        torch.set_num_threads(threads)


def _make(n: int, cfg: SynthConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    labels = np.arange(n, dtype=np.int64) % 10
    rng.shuffle(labels)
    images = np.zeros((n, SIZE, SIZE), np.float32)
    for digit in range(10):
        idx = np.flatnonzero(labels == digit)
        variants = SKELETONS[digit]
        which = rng.integers(0, len(variants), idx.size)
        for v, strokes in enumerate(variants):
            sel = idx[which == v]
            if sel.size == 0:
                continue
            segs = _variant_segments(strokes, sel.size, cfg, rng)
            segs = _transform(segs, cfg, rng)
            width = rng.uniform(*cfg.width, sel.size)
            segs = _fit_box(segs, width, cfg, rng)
            # the length-weighted guess is close; a second pass puts the real centre of mass at
            # (14, 14), plus the random shift
            move = CENTRE - _centre_of_mass(render_segments(segs, width))
            move += rng.uniform(-cfg.shift, cfg.shift, (sel.size, 2))
            images[sel] = render_segments(segs + move[:, None, None], width)
    return images[:, None], labels
