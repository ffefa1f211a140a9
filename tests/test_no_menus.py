"""No plot of the app makes pyqtgraph's view-box context menu, not even for a moment.

The app's plots offer no context menu (a map is not for panning), and a menu made and then
switched off (`setMenuEnabled(False)` after the constructor) is destroyed at once. In PySide6
6.11 destroying one segfaulted now and then (gdb: Shiboken's releaseWrapper, freeing a
ViewBoxMenu's actions); the Convolution page's soak hit it on the Grey / RGB toggle, which makes
the products' grids. So every plot is made with `enableMenu=False` and the colour bars are the
app's own (`gui.widgets.colour_bar`). This test builds every page and clicks the controls that
build plots while the app runs (radio buttons: RGB input, the Gates page's cell types; "+": a
filter), counting the menus made."""
import importlib

import pytest

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QRadioButton, QToolButton

from gui.app import MainWindow
from gui.pages import PAGES


def _click_all(page, kind, text=None) -> int:
    clicked = 0
    for button in page.findChildren(kind):
        if button.isVisible() and button.isEnabled() and (text is None or button.text() == text):
            QTest.mouseClick(button, Qt.LeftButton)
            clicked += 1
    return clicked


@pytest.mark.slow
def test_no_page_makes_a_view_box_menu(qtbot, monkeypatch):
    module = importlib.import_module("pyqtgraph.graphicsItems.ViewBox.ViewBox")
    made = []

    class Recorded(module.ViewBoxMenu):
        def __init__(self, view):
            made.append(type(view.parentItem()).__name__ if view.parentItem() else "ViewBox")
            super().__init__(view)

    monkeypatch.setattr(module, "ViewBoxMenu", Recorded)
    window = MainWindow(start_page="convolution")
    qtbot.addWidget(window)
    window.resize(1280, 720)
    window.show()
    radios = 0
    for page_id, *_ in PAGES:
        window.show_page(page_id)
        page = window.current_page()
        radios += _click_all(page, QRadioButton)
        _click_all(page, QToolButton, "+")
        qtbot.wait(20)
    assert radios >= 5                       # Grey / RGB, RNN / LSTM / GRU at least
    assert made == []
