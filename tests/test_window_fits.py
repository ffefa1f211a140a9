"""Every page fits a projector: the window never asks for more than 1024×720, a saved geometry
is clamped to the screen, and at 1280×720 no two visible sibling widgets overlap."""
import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QApplication, QTabWidget, QWidget

from gui.app import MainWindow, clamp_to_screen
from gui.pages import PAGES


def _all_tabs(page):
    """Every (tab widget, index) inside a page, outer tabs first."""
    return [(tabs, i) for tabs in page.findChildren(QTabWidget) for i in range(tabs.count())]


@pytest.fixture(scope="module")
def window(qapp):
    w = MainWindow(start_page="convolution")
    w.resize(1280, 720)
    w.show()
    for page_id, *_ in PAGES:
        w.show_page(page_id)
        QApplication.processEvents()
    yield w
    w.close()


def test_minimum_size_after_every_page_is_built_fits_1024x720(window):
    hint = window.minimumSizeHint()
    assert hint.width() <= 1024 and hint.height() <= 720, hint


def _overlaps(root: QWidget) -> list[str]:
    found = []
    for parent in [root, *root.findChildren(QWidget)]:
        if not parent.isVisible():
            continue
        kids = [c for c in parent.children() if isinstance(c, QWidget) and c.isVisible()
                and not c.isWindow() and c.width() > 0 and c.height() > 0
                and type(c).__name__ not in ("QScrollBar", "QSizeGrip", "QFocusFrame")]
        for i, a in enumerate(kids):
            for b in kids[i + 1:]:
                inter = a.geometry().intersected(b.geometry())
                if inter.width() > 2 and inter.height() > 2:
                    found.append(f"{type(parent).__name__}: {type(a).__name__} "
                                 f"{a.objectName()!r} {a.geometry().getRect()} overlaps "
                                 f"{type(b).__name__} {b.objectName()!r} {b.geometry().getRect()}")
    return found


@pytest.mark.parametrize("page_id", [p[0] for p in PAGES])
def test_no_visible_siblings_overlap_at_1280x720(window, page_id):
    page = window.show_page(page_id)
    problems = []
    for tabs, i in [(None, None), *_all_tabs(page)]:
        if tabs is not None:
            tabs.setCurrentIndex(i)
        QApplication.processEvents()
        problems += _overlaps(page)
    assert not problems, "\n".join(sorted(set(problems))[:20])


def test_a_saved_geometry_is_clamped_to_the_screen():
    available = QRect(0, 0, 1600, 900)
    assert clamp_to_screen(QRect(100, 50, 1733, 950), available) == QRect(0, 0, 1600, 900)
    assert clamp_to_screen(QRect(1500, 800, 800, 600), available) == QRect(800, 300, 800, 600)
    assert clamp_to_screen(QRect(10, 20, 800, 600), available) == QRect(10, 20, 800, 600)


def test_window_reopens_inside_the_screen(qtbot):
    w = MainWindow(start_page="convolution")
    qtbot.addWidget(w)
    w.resize(4000, 3000)
    w.settings.setValue("window/geometry", w.saveGeometry())
    again = MainWindow(start_page="convolution")
    qtbot.addWidget(again)
    screen = again.screen().availableGeometry()
    assert again.frameGeometry().width() <= screen.width()
    assert again.frameGeometry().height() <= screen.height()


@pytest.mark.parametrize("page_id", [p[0] for p in PAGES])
def test_every_tab_fits_1280x720_without_scrolling(window, page_id):
    """At 1280×720 a page (each of its tabs) needs no scrollbar: nothing is off-screen."""
    from PySide6.QtWidgets import QScrollArea
    page = window.show_page(page_id)
    area = page.parentWidget()
    while not isinstance(area, QScrollArea):
        area = area.parentWidget()
    for tabs, i in [(None, None), *_all_tabs(page)]:
        if tabs is not None:
            tabs.setCurrentIndex(i)
        QApplication.processEvents()
        where = page_id if tabs is None else f"{page_id}, tab {tabs.tabText(i)!r}"
        assert not area.verticalScrollBar().isVisible(), f"{where} scrolls vertically"
        assert not area.horizontalScrollBar().isVisible(), f"{where} scrolls sideways"


def test_no_visible_siblings_overlap_at_1024x768(window):
    """A 4:3 projector: pages may scroll sideways there, but nothing lies on top of anything."""
    window.resize(1024, 768)
    try:
        problems = []
        for page_id, *_ in PAGES:
            page = window.show_page(page_id)
            for tabs, i in [(None, None), *_all_tabs(page)]:
                if tabs is not None:
                    tabs.setCurrentIndex(i)
                QApplication.processEvents()
                problems += [f"{page_id}: {p}" for p in _overlaps(page)]
        assert not problems, "\n".join(sorted(set(problems))[:20])
    finally:
        window.resize(1280, 720)
        QApplication.processEvents()


def test_the_train_pages_controls_fit_1280x720_without_scrolling(window):
    """Data, Model and Training (down to the notes' recipe) all in view at 1280×720: the layer
    table lives in its own tab, not in this column."""
    from PySide6.QtWidgets import QScrollArea
    page = window.show_page("train_cnn")
    QApplication.processEvents()
    column = next(a for a in page.findChildren(QScrollArea) if a.widget() is page.form)
    assert not column.verticalScrollBar().isVisible()
    button = page.form.notes_button
    bottom = button.mapTo(column.viewport(), button.rect().bottomLeft()).y()
    assert button.isVisible() and bottom <= column.viewport().height()


def test_the_convolution_controls_fit_1280x720_without_scrolling(window):
    """Input, kernels and the stride / padding / dilation form with its H_out and W_out
    formula all in view at 1280×720 (the activation's choice sits under its curve)."""
    from PySide6.QtWidgets import QScrollArea
    from PySide6.QtWidgets import QTabWidget
    page = window.show_page("convolution")
    panel = page.conv2d
    for tabs in page.findChildren(QTabWidget):          # the 2-D tab (a test before may not be)
        for i in range(tabs.count()):
            if tabs.widget(i) is panel or tabs.widget(i).isAncestorOf(panel):
                tabs.setCurrentIndex(i)
    QApplication.processEvents()
    column = next(a for a in page.findChildren(QScrollArea)
                  if a.widget() is not None and a.widget().isAncestorOf(panel.geometry_form))
    assert not column.verticalScrollBar().isVisible()
    form = panel.geometry_form
    bottom = form.mapTo(column.viewport(), form.rect().bottomLeft()).y()
    assert bottom <= column.viewport().height()
    assert panel.activation_combo.isVisible()


@pytest.mark.parametrize("page_id", ["convolution", "pooling"])
def test_each_output_size_formula_line_fits_on_one_line_at_1280x720(window, page_id):
    """H_out = ⌊(6 − 2 + 2·0) / 2⌋ + 1 = 3 reads as one line, not with "= 3" wrapped below,
    at 100 % and at 150 % text."""
    from gui.widgets.geometry_form import GeometryForm
    page = window.show_page(page_id)
    try:
        for factor in (1.0, 1.5):
            window.set_scale(factor)
            for _ in range(3):
                QApplication.processEvents()
            forms = [f for f in page.findChildren(GeometryForm) if f.isVisible()]
            assert forms
            for form in forms:
                label = form.formula
                metrics = label.fontMetrics()
                for line in label.text().split("\n"):
                    assert metrics.horizontalAdvance(line) <= label.contentsRect().width(), \
                        (factor, line)
    finally:
        window.set_scale(1.0)


def test_at_150_percent_the_gate_maps_are_whole(window):
    """A larger presenter scale widens the maps' axes and titles: the heatmap grid then asks
    for that room (the page may scroll sideways) instead of cutting off its last column."""
    from PySide6.QtCore import Qt
    page = window.show_page("gates")
    try:
        for factor in (1.5, 1.0):
            window.set_scale(factor)
            for _ in range(3):
                QApplication.processEvents()
            grid = page.heatmaps
            need = grid.ci.effectiveSizeHint(Qt.MinimumSize).width()
            assert grid.viewport().width() >= need, (factor, grid.viewport().width(), need)
    finally:
        window.set_scale(1.0)


@pytest.mark.parametrize("factor", [1.0, 1.5])
def test_no_column_that_never_scrolls_sideways_cuts_its_controls(window, factor):
    """A column scrolling only vertically (gui.page_frame.ControlsColumn) is at least as wide
    as its controls, at 100 % and at 150 % text (1280×720): wider ones would be cut at its
    right edge with no way to reach them."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QScrollArea
    problems = []
    try:
        window.set_scale(factor)
        for page_id, *_ in PAGES:
            page = window.show_page(page_id)
            for _ in range(3):    # (a layout request may post another)
                QApplication.processEvents()
            for area in page.findChildren(QScrollArea):
                if (area.isVisible() and area.widget() is not None
                        and area.horizontalScrollBarPolicy() == Qt.ScrollBarAlwaysOff
                        and area.widget().width() > area.viewport().width()):
                    problems.append(f"{page_id}: {type(area.widget()).__name__} is "
                                    f"{area.widget().width()} px wide in a "
                                    f"{area.viewport().width()} px column")
    finally:
        window.set_scale(1.0)
        QApplication.processEvents()
    assert not problems, "\n".join(problems)
