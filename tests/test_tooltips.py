"""Every control on every page has a tooltip: buttons, check boxes, spin boxes, combos, sliders
and line edits say what they do (issue 18). One real window for the module, each page shown in
it; Qt's own internals (tab-bar scroll buttons, a table's corner button, the text-less tool
buttons inside other widgets, the line edit inside a combo or spin box) are not controls."""
import pytest
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit, QPushButton, QSlider, QSpinBox,
    QTabBar, QToolButton, QVBoxLayout, QWidget,
)

from gui.app import MainWindow
from gui.pages import PAGES

PAGE_IDS = [p[0] for p in PAGES]
CONTROL_CLASSES = (QAbstractButton, QAbstractSpinBox, QComboBox, QSlider, QLineEdit)


def is_control(widget) -> bool:
    """A control a student uses, not a piece of another widget's insides."""
    if isinstance(widget.parent(), QTabBar):
        return False
    if widget.objectName() == "qt_tableview_cornerbutton":
        return False
    if type(widget) is QToolButton and not widget.text():
        return False
    if isinstance(widget, QLineEdit) and isinstance(widget.parent(), (QComboBox, QAbstractSpinBox)):
        return False
    return True


def controls(root: QWidget) -> list:
    found = []
    for cls in CONTROL_CLASSES:
        for w in root.findChildren(cls):
            if is_control(w) and w not in found:
                found.append(w)
    return found


def describe(widget) -> str:
    text = widget.text() if hasattr(widget, "text") else ""
    if isinstance(widget, QComboBox):
        text = widget.currentText()
    return f"{type(widget).__name__} {text!r}" + (f" ({widget.objectName()})"
                                                   if widget.objectName() else "")


@pytest.fixture(scope="module")
def window(qapp):
    w = MainWindow(start_page=PAGE_IDS[0])
    w.resize(1280, 720)
    w.show()
    assert QTest.qWaitForWindowExposed(w)
    yield w
    w.close()
    w.deleteLater()
    qapp.processEvents()


def test_the_finder_reports_a_control_without_a_tooltip(qtbot):
    box = QWidget()
    qtbot.addWidget(box)
    layout = QVBoxLayout(box)
    bare, tipped, spin = QPushButton("Go"), QPushButton("Stop"), QSpinBox()
    tipped.setToolTip("Stop it")
    for w in (bare, tipped, spin):
        layout.addWidget(w)
    found = controls(box)
    assert bare in found and tipped in found and spin in found
    assert spin.lineEdit() not in found          # the spin box's own line edit is its insides
    assert [w for w in found if not w.toolTip()] == [bare, spin]


@pytest.mark.parametrize("page_id", PAGE_IDS)
def test_every_control_has_a_tooltip(window, qapp, page_id):
    page = window.show_page(page_id)
    qapp.processEvents()
    found = controls(page)
    assert found, f"{page_id}: no controls found (the finder is broken)"
    missing = [describe(w) for w in found if not w.toolTip().strip()]
    assert not missing, (f"{page_id}: {len(missing)} control(s) without a tooltip:\n  "
                         + "\n  ".join(missing))
