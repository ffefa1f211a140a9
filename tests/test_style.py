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


def test_a_combo_sized_to_its_items_measures_them_again_in_the_new_font(qtbot):
    """Qt's QComboBox keeps the minimum size it measured in the old font: at 150 % a combo
    sized to its items cut them (the Train page's "one-cycle")."""
    from PySide6.QtWidgets import QComboBox

    def combo():
        c = QComboBox()
        c.addItems(["constant", "one-cycle"])
        c.setSizeAdjustPolicy(QComboBox.AdjustToContents)
        c.setMinimumContentsLength(0)
        qtbot.addWidget(c)
        return c

    try:
        style.set_factor(1.0)
        QApplication.processEvents()
        old = combo()
        old.show()
        at_100 = old.minimumSizeHint().width()
        style.set_factor(1.5)
        QApplication.processEvents()
        fresh = combo()
        assert old.minimumSizeHint().width() == fresh.minimumSizeHint().width() > at_100 + 10
        style.set_factor(1.0)
        QApplication.processEvents()
        assert old.minimumSizeHint().width() == at_100
    finally:
        style.set_factor(1.0)
