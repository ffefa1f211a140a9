"""`StageStrip`: MNIST's preprocessing stages side by side (crop, 20x20, 28x28) and the 28x28
again under a Grad-CAM or saliency overlay, in one graphics view.

Every image keeps a fixed size, so its view range is set once: the crop (whose ink box grows
with every stroke) is resampled into a fixed square by `fit_square`.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF

from engine.digits import BOX, SIZE
from gui.widgets.pixel_image import PixmapImage, crisp_pixels, gray8, to_argb32

CROP_SIDE = 192           # the ink box is shown resampled into a square of this many pixels
HEAT_ALPHA = 170          # peak opacity of the heat overlay (of 255)
EMPTY_GRAY = 232          # a stage with nothing drawn yet: light, not the black of "no ink"
SIDES = (CROP_SIDE, BOX, SIZE, SIZE)   # each stage's image side, in pixels


def heat_lut() -> np.ndarray:
    """(256,) uint32 premultiplied ARGB32 for heat levels 0..255: the colour (dark red ->
    yellow) and an opacity growing to HEAT_ALPHA, so an overlay is one lookup per stroke."""
    rgb = pg.colormap.get("CET-L3").getLookupTable(0.0, 1.0, 256, alpha=False).astype(np.uint8)
    rgba = np.empty((256, 4), np.uint8)
    rgba[:, :3] = rgb
    rgba[:, 3] = (np.arange(256) / 255 * HEAT_ALPHA).astype(np.uint8)
    return to_argb32(rgba[None])[0]          # (as a 1 x 256 RGBA image)


def fit_square(gray: np.ndarray, side: int, pad: int = 255) -> np.ndarray:
    """uint8 (H, W) -> (side, side): scaled (nearest) so the longer side fills the square,
    centred, the margins `pad`."""
    h, w = gray.shape
    k = side / max(h, w, 1)
    sh, sw = max(1, min(side, round(h * k))), max(1, min(side, round(w * k)))
    rows = np.minimum(((np.arange(sh) + 0.5) / k).astype(np.intp), h - 1)
    cols = np.minimum(((np.arange(sw) + 0.5) / k).astype(np.intp), w - 1)
    out = np.full((side, side), pad, np.uint8)
    top, left = (side - sh) // 2, (side - sw) // 2
    out[top:top + sh, left:left + sw] = gray[rows][:, cols]
    return out


class StageStrip(pg.GraphicsLayoutWidget):
    """Four captioned images in a row; the last one has a heat overlay (`show_heat`)."""

    def __init__(self, captions: list[str], parent=None):
        super().__init__(parent)
        self.ci.layout.setContentsMargins(2, 2, 2, 2)
        crisp_pixels(self)
        self.captions: list[pg.LabelItem] = []
        self.boxes: list[pg.ViewBox] = []
        self.images: list[PixmapImage] = []
        self._values = [np.zeros((0, 0), np.float32) for _ in captions]
        for col, (text, side) in enumerate(zip(captions, SIDES)):
            self.captions.append(self.ci.addLabel(text, row=0, col=col, size="9pt"))
            self.ci.layout.setColumnStretchFactor(col, 1)
            box = self.ci.addViewBox(row=1, col=col, lockAspect=True, invertY=True,
                                     enableMouse=False, enableMenu=False)
            box.setRange(QRectF(0, 0, side, side), padding=0.03)
            image = PixmapImage()
            box.addItem(image)
            self.boxes.append(box)
            self.images.append(image)
        self.overlay = PixmapImage()          # ARGB heat over the last image
        self.overlay.setZValue(1)
        self.boxes[-1].addItem(self.overlay)
        self._lut = heat_lut()
        self.setMinimumHeight(110)
        self.setMaximumHeight(170)     # four squares side by side need no more

    def set_stage(self, index: int, values: np.ndarray, dim: float = 1.0) -> None:
        """Show ink `values` (H, W) in [0, 1] as gray (ink white, as the model's input is
        drawn); `dim` < 1 darkens it (under the overlay). The crop (index 0) is fitted into its
        fixed square, the margins white like the page."""
        self._values[index] = values
        gray = gray8(values * dim)
        if index == 0:
            gray = fit_square(gray, CROP_SIDE)
        self.images[index].set_pixels(gray)

    def set_empty(self) -> None:
        """Nothing drawn: every stage a light square (all-black squares read as "broken"),
        no heat overlay."""
        for k, (image, side) in enumerate(zip(self.images, SIDES)):
            self._values[k] = np.zeros((side, side), np.float32)
            image.set_pixels(np.full((side, side), EMPTY_GRAY, np.uint8))
        self.overlay.hide()

    def show_heat(self, heat: np.ndarray | None) -> None:
        """The heat map (28, 28) >= 0 over the last image, scaled to its peak; None hides it
        (hidden, not cleared: the next heat map reuses the image)."""
        if heat is None:
            self.overlay.hide()
            return
        peak = float(heat.max())
        level = heat / peak if peak > 0 else heat
        self.overlay.set_pixels(self._lut[(level * 255).astype(np.uint8)])
        self.overlay.show()

    def set_caption(self, index: int, text: str) -> None:
        if self.captions[index].text != text:
            self.captions[index].setText(text)

    def values(self, index: int) -> np.ndarray:
        """The ink values last shown at stage `index`."""
        return self._values[index]
