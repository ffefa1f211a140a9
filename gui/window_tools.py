"""What the window offers for any page: its explanation beside it, the keyboard sheet, and
exports for slides and notes (PNG at 1× or 2×, the step player's animation as a GIF, the
curves on screen as CSV).

Every file is written through `engine.files.atomic_write` (a temporary file, then a rename):
a failed export leaves the previous file as it was and raises FileWriteError with one sentence.
"""
from __future__ import annotations

import csv
import html
import math
import re
from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QApplication, QTextBrowser, QWidget

from engine.files import FileWriteError, atomic_write
from gui import style

MAX_GIF_FRAMES = 300          # a longer trace is sampled evenly
WINDOW_KEYS = [
    ("F1", "this sheet"), ("F2", "show or hide the page's explanation"),
    ("F9", "show or hide the page list"), ("F11", "full screen"),
    ("Ctrl+Page Down / Ctrl+Page Up", "next / previous page"),
    ("Ctrl++ / Ctrl+- / Ctrl+0", "larger / smaller / actual text size"),
    ("Ctrl+O", "open a lesson"), ("Ctrl+Shift+S", "save this page as a lesson slide"),
    ("Page Down / Page Up", "next / previous slide (a lesson is open)"),
    ("Ctrl+E / Ctrl+Shift+E", "export the page as PNG at 1× / 2×"),
    ("Ctrl+Shift+C", "export the curves on screen as CSV"),
]
PLAYER_KEYS = [("Space", "play / pause"), ("Right / Left", "step forward / back"),
               ("Page Down / Page Up", "step forward / back (no lesson open)"),
               ("Home / End", "first / last step"), ("+ / -", "faster / slower")]


class ExplanationPanel(QTextBrowser):
    """The current page's explanation for students (Page.explanation, HTML)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setOpenExternalLinks(False)
        self.setToolTip("What this page shows (F2 hides it)")
        style.set_role(self, "body")

    def show_page(self, page) -> None:
        title = html.escape(getattr(page, "title", ""))
        text = getattr(page, "explanation", "") or "<p>No explanation for this page yet.</p>"
        self.setHtml(f"<h3>{title}</h3>{text}")


def player_of(page):
    """The step player of the page's visible animation (its shown StepPlayerBar), or None."""
    from gui.widgets.step_player import StepPlayerBar
    bars = [bar for bar in page.findChildren(StepPlayerBar) if bar.isVisible()]
    return bars[0].player if bars else None


def shortcuts_html(page) -> str:
    """The keyboard sheet: the current page's own keys, the step player's, the window's."""
    rows = []

    def section(name, keys):
        rows.append(f"<tr><td colspan=2><b>{html.escape(name)}</b></td></tr>")
        rows.extend(f"<tr><td>{html.escape(k)}&nbsp;&nbsp;</td><td>{html.escape(v)}</td></tr>"
                    for k, v in keys)

    own = list(getattr(page, "shortcuts", []) or [])
    if own:
        section(f"This page ({getattr(page, 'title', '')})", own)
    if page is not None and player_of(page) is not None:
        section("The step player", PLAYER_KEYS)
    section("The window", WINDOW_KEYS)
    return "<table>" + "".join(rows) + "</table>"


def _png_bytes(image: QImage) -> bytes:
    buffer = QBuffer()
    buffer.open(QIODevice.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise FileWriteError("The image could not be encoded as PNG.")
    return bytes(buffer.data())


def render(widget: QWidget, scale: int = 1) -> QImage:
    """The widget as it is on screen, at `scale` times its pixel size (2 for crisp slides)."""
    pixmap = QPixmap(widget.size() * scale)
    pixmap.setDevicePixelRatio(scale)
    pixmap.fill(Qt.white)
    widget.render(pixmap)
    return pixmap.toImage()


def export_png(widget: QWidget, path, scale: int = 1) -> QImage:
    """Write the widget as a PNG at 1× or 2×; returns the image written."""
    if scale not in (1, 2):
        raise ValueError("The scale is 1 or 2.")
    image = render(widget, scale)
    data = _png_bytes(image)
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))
    return image


def export_gif(page, path, scale: int = 1) -> int:
    """The page's step-player animation as a GIF, one frame per step at the player's speed;
    the player is put back where it was. Returns the number of frames."""
    from PIL import Image
    player = player_of(page)
    if player is None or player.count < 1:
        raise ValueError("This page has no animation to export.")
    was, count = player.index, player.count
    steps = range(count) if count <= MAX_GIF_FRAMES else [
        round(k * (count - 1) / (MAX_GIF_FRAMES - 1)) for k in range(MAX_GIF_FRAMES)]
    frames = []
    try:
        for step in steps:
            player.go_to(step)
            QApplication.processEvents()
            image = render(page, scale).convertToFormat(QImage.Format_RGB888)
            frames.append(Image.frombuffer("RGB", (image.width(), image.height()),
                                           bytes(image.constBits()), "raw", "RGB",
                                           image.bytesPerLine(), 1).copy())
    finally:
        player.go_to(was)
    duration = max(20, int(1000 / max(player.speed, 0.1)))

    def write(tmp):
        frames[0].save(tmp, format="GIF", save_all=True, append_images=frames[1:],
                       duration=duration, loop=0)

    atomic_write(path, write)
    return len(frames)


CSV_HEADER = ("plot", "curve", "x axis", "x", "y")


def _plain(text: str) -> str:
    """A pyqtgraph label's HTML as plain text ("‖∂L/∂h<sub>t</sub>‖" -> "‖∂L/∂ht‖")."""
    return html.unescape(re.sub(r"<[^>]+>", "", text or "")).strip()


def curve_rows(page) -> list[tuple]:
    """Every point of every curve the page shows (views on screen only), one row each:
    (plot title, curve name, x axis label, x, y); a gap (NaN) is an empty y. A curve's name is
    its legend entry, else its objectName (earlier runs set it), else "curve N"."""
    import pyqtgraph as pg
    rows = []
    for view in page.findChildren(pg.GraphicsView):
        if not view.isVisible() or view.scene() is None:
            continue
        plots = [item for item in view.scene().items() if isinstance(item, pg.PlotItem)]
        for plot_number, plot in enumerate(reversed(plots), 1):   # scene order is top first
            title = _plain(plot.titleLabel.text) or _plain(plot.getAxis("left").labelText) \
                or f"plot {plot_number}"
            x_axis = _plain(plot.getAxis("bottom").labelText)
            for k, item in enumerate(plot.listDataItems(), 1):
                if not isinstance(item, pg.PlotDataItem) or not item.isVisible():
                    continue
                x, y = item.getOriginalDataset()
                if x is None or not len(x):
                    continue
                name = item.name() or item.objectName() or f"curve {k}"
                rows.extend((title, name, x_axis, f"{a:.7g}", f"{b:.7g}" if math.isfinite(b)
                             else "") for a, b in zip(x, y))
    return rows


def export_csv(page, path) -> int:
    """Write the page's curves (`curve_rows`) as CSV with a header row; returns the number
    of data rows. A page with no curve on screen raises ValueError."""
    rows = curve_rows(page)
    if not rows:
        raise ValueError("This page shows no curve to export.")

    def write(tmp):
        with open(tmp, "w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow(CSV_HEADER)
            out.writerows(rows)

    atomic_write(path, write)
    return len(rows)
