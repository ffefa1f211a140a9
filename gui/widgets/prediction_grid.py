"""`PredictionGrid`: sample images with the model's guess under each, right in green, wrong in red.

A tick or cross goes with the colour so it reads without colour vision too. Images are set once
per run (`set_samples`); each snapshot only changes label texts and frame colours
(`set_predictions`).
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsRectItem

from gui.widgets.matrix_view import COLORMAPS

RIGHT_COLOR = "#1a9850"
WRONG_COLOR = "#d73027"


class PredictionGrid(pg.GraphicsLayoutWidget):
    def __init__(self, parent=None, columns: int = 4):
        super().__init__(parent)
        self.columns = columns
        self.setMinimumSize(200, 160)
        self._images: list[pg.ImageItem] = []
        self._labels: list[pg.LabelItem] = []
        self._frames: list[QGraphicsRectItem] = []
        self._truth = np.zeros(0, np.int64)
        self._classes: list[str] = []
        self._texts: list[str] = []
        self._lut = COLORMAPS["gray"]().getLookupTable(nPts=256)

    def set_samples(self, images: np.ndarray, truth: np.ndarray, classes: list[str]) -> None:
        """images: (N, C, H, W) in [0, 1] with C = 1 or 3; truth: (N,) class indices."""
        images = np.asarray(images, dtype=np.float32)
        if len(images) != len(self._images):
            self._rebuild(len(images))
        self._truth = np.asarray(truth, dtype=np.int64)
        self._classes = list(classes)
        for k, (img, im) in enumerate(zip(self._images, images)):
            shown = np.ascontiguousarray(im[0] if im.shape[0] == 1 else im.transpose(1, 2, 0))
            img.setLookupTable(self._lut if shown.ndim == 2 else None)
            img.setImage(shown, levels=(0.0, 1.0), autoLevels=False)
            h, w = shown.shape[:2]
            self._frames[k].setRect(QRectF(-0.5, -0.5, w + 1, h + 1))
            self._frames[k].setVisible(False)
            self._labels[k].setText(f"true {self._name(self._truth[k])}", size="8pt", color="#444")
        self._texts = [f"true {self._name(t)}" for t in self._truth]

    def _name(self, k) -> str:
        k = int(k)
        return self._classes[k] if 0 <= k < len(self._classes) else str(k)

    def _rebuild(self, count: int) -> None:
        self.clear()
        self._images, self._labels, self._frames = [], [], []
        for k in range(count):
            if k and k % self.columns == 0:
                self.nextRow()
            cell = self.addLayout()
            label = cell.addLabel("", size="8pt")
            cell.nextRow()
            box = cell.addViewBox(lockAspect=True, invertY=True, enableMouse=False)
            img = pg.ImageItem(axisOrder="row-major")
            box.addItem(img)
            frame = QGraphicsRectItem()
            frame.setZValue(2)
            box.addItem(frame)
            cell.layout.setContentsMargins(0, 0, 0, 0)
            cell.layout.setSpacing(0)
            self._images.append(img)
            self._labels.append(label)
            self._frames.append(frame)
        self.ci.layout.setContentsMargins(2, 2, 2, 2)
        self.ci.layout.setSpacing(4)

    def set_predictions(self, predicted: np.ndarray, probability: np.ndarray) -> None:
        """predicted: (N,) class indices; probability: (N,) the softmax of the predicted class."""
        self._texts = []
        for k, (p, prob) in enumerate(zip(predicted, probability)):
            if k >= len(self._labels):
                break
            right = k < len(self._truth) and int(p) == int(self._truth[k])
            color = RIGHT_COLOR if right else WRONG_COLOR
            text = f"{'✓' if right else '✗'} {self._name(p)} {100 * float(prob):.0f}%"
            # two lines keep long class names ("T-shirt/top") from widening the grid
            html = f"{'✓' if right else '✗'} {self._name(p)}<br>{100 * float(prob):.0f}%"
            if self._labels[k].text != html:  # setText re-lays out the grid: skip if unchanged
                self._labels[k].setText(html, size="8pt", color=color, bold=True)
            self._labels[k].setToolTip(f"true class: {self._name(self._truth[k])}")
            pen = QPen(QColor(color))
            pen.setWidthF(3)
            pen.setCosmetic(True)
            self._frames[k].setPen(pen)
            self._frames[k].setVisible(True)
            self._texts.append(text)

    def texts(self) -> list[str]:
        """The labels as shown (for tests)."""
        return list(self._texts)
