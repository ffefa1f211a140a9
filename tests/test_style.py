"""Presenter scale: one factor sizes widget fonts and pyqtgraph's titles, axes and ticks."""
import pyqtgraph as pg
from PySide6.QtGui import QFontInfo
from PySide6.QtWidgets import QApplication, QLabel

from gui import style


def test_factor_scales_role_widgets_the_app_font_and_plots(qtbot):
    label = style.set_role(QLabel("Σ = 3.0"), "equation")
    plain = QLabel("stride")
    plot = pg.PlotWidget(title="Loss")
    plot.setLabel("bottom", "step")
    for w in (label, plain, plot):
        qtbot.addWidget(w)
    try:
        style.set_factor(1.0)
        QApplication.processEvents()        # widgets hear of a new application font by event
        assert QFontInfo(label.font()).pixelSize() == style.ROLE_PX["equation"]
        assert QFontInfo(plain.font()).pixelSize() == style.ROLE_PX["body"] >= 14
        axis = plot.getPlotItem().getAxis("bottom")
        style.polish(plot)
        assert axis.style["tickFont"].pixelSize() == 14
        style.set_factor(1.5)
        QApplication.processEvents()
        assert QFontInfo(label.font()).pixelSize() == round(17 * 1.5)
        assert QFontInfo(plain.font()).pixelSize() == 21
        assert axis.style["tickFont"].pixelSize() == 21
        assert plot.getPlotItem().titleLabel.opts["size"] == "26px"
    finally:
        style.set_factor(1.0)


def test_steps_walk_the_ladder_and_stop_at_its_ends():
    style.set_factor(1.0)
    assert style.step(+1) == 1.15 and style.step(-1) == 0.9
    style.set_factor(2.0)
    assert style.step(+1) == 2.0
    style.set_factor(1.0)
