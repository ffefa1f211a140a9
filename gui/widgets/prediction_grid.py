"""`PredictionGrid`: sample images with the model's guess over each, right in green, wrong in red.

A tick or cross goes with the colour so it reads without colour vision too; a wrong guess also
names the true class. Images are set once per run (`set_samples`); each snapshot only changes
the captions and frame colours (`set_predictions`), and only the tiles whose caption changed
are repainted.

One widget paints every tile with QPainter. It used to be a pyqtgraph layout of 16 view boxes
and 16 labels: each snapshot's new label texts re-laid the grid out, and its two repaints took
10-17 ms of the GUI thread, the longest stalls of the window while a model trained (measured
with benchmarks/train_overhead.py). Now new captions only ask for one repaint of about a
millisecond, and nothing is laid out again.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPen
from PySide6.QtWidgets import QToolTip, QWidget

from gui.widgets.pixel_image import rgb_to_argb32
from gui.widgets.static_texts import StaticTexts

RIGHT_COLOR = "#1a9850"
WRONG_COLOR = "#d73027"
WAITING_COLOR = "#444444"
BACKGROUND = "#ffffff"
PAD = 4          # pixels between tiles and around the grid
FRAME = 3        # width of the coloured frame around a predicted image


def images_to_argb32(images: np.ndarray) -> np.ndarray:
    """(N, C, H, W) floats in [0, 1], C = 1 or 3 -> (N, H, W) uint32 opaque ARGB (what the
    raster painter draws without converting)."""
    bytes_ = np.round(np.clip(np.nan_to_num(images), 0.0, 1.0) * 255).astype(np.uint32)
    if bytes_.shape[1] == 1:
        return np.ascontiguousarray(bytes_[:, 0] * np.uint32(0x010101) | np.uint32(0xFF000000))
    return np.ascontiguousarray(rgb_to_argb32(np.moveaxis(bytes_, 1, -1)))


class PredictionGrid(QWidget):
    def __init__(self, parent=None, columns: int = 4):
        super().__init__(parent)
        self.columns = columns
        self.setMinimumSize(200, 160)
        self.setAttribute(Qt.WA_OpaquePaintEvent)   # paintEvent fills every pixel
        self._pixels = np.zeros((0, 1, 1), np.uint32)
        self._qimages: list[QImage] = []
        self._truth = np.zeros(0, np.int64)
        self._classes: list[str] = []
        # per tile: (colour, first caption line, second line, framed)
        self._captions: list[tuple[str, str, str, bool]] = []
        self._tips: list[str] = []
        self._texts: list[str] = []
        self._font = QFont(self.font())
        self._font.setPointSizeF(8)
        self._bold = QFont(self._font)
        self._bold.setBold(True)
        self._metrics = QFontMetricsF(self._font)
        # captions laid out once, by (text, bold, tile width): they recur from snapshot to
        # snapshot ("✓ 7", "98%"), and laying out 32 texts took most of a repaint
        self._layouts = StaticTexts(2000)

    # -- data -------------------------------------------------------------------------------
    def set_samples(self, images: np.ndarray, truth: np.ndarray, classes: list[str]) -> None:
        """images: (N, C, H, W) in [0, 1] with C = 1 or 3; truth: (N,) class indices."""
        images = np.asarray(images, dtype=np.float32)
        self._pixels = images_to_argb32(images)
        n, h, w = self._pixels.shape
        # QImage over the array's memory: the array lives as long as the grid shows it
        self._qimages = [QImage(self._pixels[k].data, w, h, 4 * w,
                                QImage.Format_ARGB32_Premultiplied) for k in range(n)]
        self._truth = np.asarray(truth, dtype=np.int64)
        self._classes = list(classes)
        self._texts = [f"true {self._name(t)}" for t in self._truth[:n]]
        self._captions = [(WAITING_COLOR, text, "", False) for text in self._texts]
        self._tips = [f"true class: {self._name(t)}" for t in self._truth[:n]]
        self.update()

    def set_predictions(self, predicted: np.ndarray, probability: np.ndarray) -> None:
        """predicted: (N,) class indices; probability: (N,) the softmax of the predicted class."""
        captions, texts, tips = [], [], []
        for k, (p, prob) in enumerate(zip(predicted, probability)):
            if k >= len(self._qimages):
                break
            right = k < len(self._truth) and int(p) == int(self._truth[k])
            mark = "✓" if right else "✗"
            percent = f"{100 * float(prob):.0f}%"
            truth = self._name(self._truth[k]) if k < len(self._truth) else "?"
            captions.append((RIGHT_COLOR if right else WRONG_COLOR, f"{mark} {self._name(p)}",
                             percent if right else f"{percent} · is {truth}", True))
            texts.append(f"{mark} {self._name(p)} {percent}")
            tips.append(f"true class: {truth}; predicted {self._name(p)} with probability "
                        f"{percent}")
        changed = [k for k, caption in enumerate(captions)
                   if k >= len(self._captions) or caption != self._captions[k]]
        if len(captions) != len(self._captions):
            self.update()
        else:  # only the tiles whose caption or colour changed (a trained model's few)
            for k in changed:
                self.update(self.tile_rect(k).toAlignedRect())
        self._captions = captions
        self._texts, self._tips = texts, tips

    def _name(self, k) -> str:
        k = int(k)
        return self._classes[k] if 0 <= k < len(self._classes) else str(k)

    def texts(self) -> list[str]:
        """The captions as shown, one line each (for tests)."""
        return list(self._texts)

    def caption(self, k: int) -> tuple[str, str]:
        """The two caption lines over tile `k`, as painted (before eliding)."""
        return self._captions[k][1:3]

    @property
    def count(self) -> int:
        return len(self._qimages)

    # -- geometry ---------------------------------------------------------------------------
    def sizeHint(self) -> QSize:
        # room for two rows of images a projector shows from the back of the room
        return QSize(640, 260)

    def _caption_height(self) -> float:
        return 2 * self._metrics.lineSpacing() + 2

    def tile_rect(self, k: int) -> QRectF:
        """Where tile `k` sits in the widget: its caption above, its image below."""
        n = max(len(self._qimages), 1)
        cols = max(1, min(self.columns, n))
        rows = -(-n // cols)
        cell_w = (self.width() - PAD * (cols + 1)) / cols
        cell_h = (self.height() - PAD * (rows + 1)) / rows
        row, col = divmod(k, cols)
        return QRectF(PAD + col * (cell_w + PAD), PAD + row * (cell_h + PAD), cell_w, cell_h)

    def image_rect(self, k: int) -> QRectF:
        """The image of tile `k`: as large as fits under the caption, square pixels, centred."""
        cell = self.tile_rect(k)
        if not self._qimages:
            return QRectF()
        h, w = self._pixels.shape[1:]
        room_w = cell.width() - 2 * FRAME
        room_h = cell.height() - self._caption_height() - 2 * FRAME
        scale = max(min(room_w / w, room_h / h), 0.0)
        x = cell.x() + (cell.width() - w * scale) / 2
        y = cell.y() + self._caption_height() + FRAME
        return QRectF(x, y, w * scale, h * scale)

    def tile_at(self, x: float, y: float) -> int | None:
        for k in range(len(self._qimages)):
            if self.tile_rect(k).contains(QPointF(x, y)):
                return k
        return None

    # -- painting ---------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(BACKGROUND))
        painter.setRenderHint(QPainter.SmoothPixmapTransform, False)   # crisp pixels
        painter.setRenderHint(QPainter.TextAntialiasing, True)
        line = self._metrics.lineSpacing()
        region = event.region()     # the changed tiles (their bounding rect may cover them all)
        for k, qimage in enumerate(self._qimages):
            cell = self.tile_rect(k)
            if not region.intersects(cell.toAlignedRect()):
                continue
            color, first, second, framed = (self._captions[k] if k < len(self._captions)
                                            else (WAITING_COLOR, "", "", False))
            target = self.image_rect(k)
            painter.drawImage(target, qimage)
            painter.setPen(QColor(color))
            for row, (text, bold) in enumerate(((first, True), (second, False))):
                if not text:
                    continue
                font = self._bold if bold else self._font
                static = self._layouts.get(text, font, elide=int(cell.width()))
                painter.setFont(font)
                left = cell.x() + (cell.width() - static.size().width()) / 2
                painter.drawStaticText(QPointF(left, cell.y() + row * line), static)
            if framed:
                frame = QPen(QColor(color), FRAME)
                frame.setJoinStyle(Qt.MiterJoin)
                painter.setPen(frame)
                painter.setBrush(Qt.NoBrush)
                half = FRAME / 2
                painter.drawRect(target.adjusted(-half, -half, half, half))
        painter.end()

    def event(self, event) -> bool:
        if event.type() == QEvent.ToolTip:
            k = self.tile_at(event.pos().x(), event.pos().y())     # a QHelpEvent
            if k is not None and k < len(self._tips):
                QToolTip.showText(event.globalPos(), self._tips[k], self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)
