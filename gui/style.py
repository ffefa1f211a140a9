"""Presenter scale: one factor that sizes everything a student reads, Qt's and pyqtgraph's alike.

Text comes in a few roles (body text, titles, tick labels, numbers in cells, code), each with a
pixel size at 100 %. At 100 % nothing a student must read is under 14 px on a 1280×720
projector; View ▸ Larger text (Ctrl++), Smaller text (Ctrl+-) and Actual size (Ctrl+0) step the
factor, and the window remembers it.

How text follows the factor:
- Qt widgets take the application font (body size) unless they ask for a role with
  `set_role(widget, role)`; those are found again by a property when the factor changes.
- pyqtgraph items (titles, axes and ticks, labels, legends, text items) are restyled by
  `polish(view)`, which walks a view's scene; the window polishes every view when the factor
  changes and when a page is built, and widgets that make plots later polish them themselves.
- Items that paint their own text (numbers in cells, chips, bars) call `px(role)` when they
  paint and repaint on `presenter().scaleChanged`.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication, QComboBox, QWidget

# pixel sizes at 100 %
ROLE_PX = {
    "body": 14,      # controls, labels, tables
    "small": 14,     # captions under maps (never smaller: the back row reads them too)
    "title": 17,     # plot and panel titles
    "tick": 14,      # axis tick labels
    "code": 14,      # the PyTorch code panels (monospace)
    "equation": 17,  # the Σ line, products and equations spelled out
    "big": 22,       # verdicts, the current value
    "huge": 30,      # the one number a page is about
    "cell_max": 26,  # largest number drawn in a grid cell (a smaller cell shows a smaller
                     # one, down to MIN_READABLE_PX; below that it shows none)
}
MIN_READABLE_PX = 14   # no text a student must read is drawn smaller, at any scale
STEPS = (0.8, 0.9, 1.0, 1.15, 1.3, 1.5, 1.75, 2.0)   # View ▸ Larger / Smaller text
ROLE_PROPERTY = "sg_font_role"


class Presenter(QObject):
    """The current factor; `scaleChanged(factor)` after it changes."""

    scaleChanged = Signal(float)

    def __init__(self):
        super().__init__()
        self.factor = 1.0


_presenter: Presenter | None = None


def presenter() -> Presenter:
    global _presenter
    if _presenter is None:
        _presenter = Presenter()
    return _presenter


def factor() -> float:
    return presenter().factor


def px(role: str) -> int:
    """The pixel size of a role at the current factor."""
    return max(1, round(ROLE_PX[role] * presenter().factor))


def font(role: str = "body", bold: bool = False, mono: bool = False) -> QFont:
    f = QFontDatabase.systemFont(QFontDatabase.FixedFont) if mono or role == "code" else QFont(
        QApplication.font())
    f.setPixelSize(px(role))
    f.setBold(bold)
    return f


def set_role(widget: QWidget, role: str, bold: bool = False) -> QWidget:
    """Give a widget a role's font now and at every later factor; returns the widget."""
    widget.setProperty(ROLE_PROPERTY, f"{role}:{int(bold)}")
    widget.setFont(font(role, bold))
    return widget


def _restyle_widget(widget: QWidget) -> None:
    value = widget.property(ROLE_PROPERTY)
    if value:
        role, bold = str(value).split(":")
        widget.setFont(font(role, bold == "1"))
    if isinstance(widget, QComboBox):
        # a combo keeps the minimum size it measured in the old font (one sized to its items
        # then cut them at 150 %); a style change is what makes it measure again
        QApplication.sendEvent(widget, QEvent(QEvent.StyleChange))


def polish(view) -> None:
    """Restyle the pyqtgraph text of one view (a GraphicsView or a PlotItem's scene)."""
    import pyqtgraph as pg
    scene = view.scene() if hasattr(view, "scene") else None
    if scene is None:
        return
    tick = font("tick")
    for item in scene.items():
        if isinstance(item, pg.AxisItem):
            item.setTickFont(tick)
            if item.labelText or item.labelUnits:
                item.setLabel(item.labelText, item.labelUnits, **{"font-size": f"{px('tick')}px"})
        elif isinstance(item, pg.PlotItem):
            title = item.titleLabel
            if title.isVisible() and title.text:
                title.setText(title.text, size=f"{px('title')}px")
        elif isinstance(item, pg.LegendItem):
            item.setLabelTextSize(f"{px('body')}px")
        elif isinstance(item, pg.LabelItem):
            if item.text and item.parentItem() is not None and not isinstance(
                    item.parentItem(), pg.PlotItem):
                item.setText(item.text, size=f"{px(item.opts.get('role', 'small'))}px")
        elif isinstance(item, pg.TextItem):
            item.setFont(font("small"))


def polish_all(root: QWidget) -> None:
    """Polish every pyqtgraph view inside `root` (a page just built)."""
    import pyqtgraph as pg
    for view in root.findChildren(pg.GraphicsView):
        polish(view)


def configure_pyqtgraph() -> None:
    """Global pyqtgraph look: light background for projectors, row-major images.

    Called before the first page is built (not at startup: importing pyqtgraph is slow)."""
    import pyqtgraph as pg
    pg.setConfigOptions(background="w", foreground="k", antialias=True, imageAxisOrder="row-major")


def set_factor(value: float) -> None:
    """Change the factor: the application font, every role widget and every plot follow."""
    value = min(max(float(value), STEPS[0]), STEPS[-1])
    p = presenter()
    p.factor = value
    app = QApplication.instance()
    if app is not None:
        base = QFont(app.font())
        base.setPixelSize(px("body"))
        app.setFont(base)
        # the font changes it posted, now: the combos below must measure in the new font
        QApplication.sendPostedEvents(None, QEvent.ApplicationFontChange)
        import sys
        pg = sys.modules.get("pyqtgraph")
        for widget in app.allWidgets():
            _restyle_widget(widget)
            if pg is not None and isinstance(widget, pg.GraphicsView):
                polish(widget)
    p.scaleChanged.emit(value)


def step(direction: int) -> float:
    """The next factor up (+1) or down (-1) the STEPS ladder."""
    current = factor()
    if direction > 0:
        bigger = [s for s in STEPS if s > current + 1e-6]
        return bigger[0] if bigger else STEPS[-1]
    smaller = [s for s in STEPS if s < current - 1e-6]
    return smaller[-1] if smaller else STEPS[0]
