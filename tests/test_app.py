"""The main window: every page opens, menus exist, closing is clean."""
import pytest

from gui.app import MainWindow
from gui.pages import PAGES


def test_window_lists_pages_in_order(qtbot):
    w = MainWindow(start_page="convolution")
    qtbot.addWidget(w)
    assert [w.page_list.item(i).text() for i in range(w.page_list.count())] == [p[1] for p in PAGES]


@pytest.mark.parametrize("page_id", [p[0] for p in PAGES])
def test_each_page_builds(qtbot, page_id):
    w = MainWindow(start_page=page_id)
    qtbot.addWidget(w)
    w.show()
    page = w.show_page(page_id)
    from gui.pages.base import Page
    assert isinstance(page, Page), f"{page_id} fell back to the error placeholder"
    assert w.current_page() is page and w.stack.currentWidget().widget().page is page
    w.close()


def test_status_messages(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.show_message("Kernel cell (1, 2) is not a number.", "error")
    assert "not a number" in w.status_label.text()
    assert "b00020" in w.status_label.styleSheet()


def test_start_page_is_built_only_after_the_window_paints(qtbot):
    """The window appears before torch-heavy pages load: a Loading placeholder paints first."""
    w = MainWindow(start_page="pooling")
    qtbot.addWidget(w)
    assert w._pages == {}                       # nothing built at construction
    assert w.page_list.currentItem().text() == "Pooling"
    w.show()
    qtbot.waitUntil(lambda: "pooling" in w._pages, timeout=20000)
    assert w.loading.first_painted_at is not None
    assert list(w._pages) == ["pooling"]        # row 0 was not built on the way
    assert w.current_page() is w._pages["pooling"]


def test_read_setting_converts_and_falls_back():
    from gui.app import app_settings, read_setting
    store = app_settings()
    store.setValue("t/n", "7")
    store.setValue("t/bad", "seven")
    store.setValue("t/flag", "true")
    store.setValue("t/odd_flag", "maybe")
    store.setValue("t/x", 0.25)
    assert read_setting("t/n", 1) == 7
    assert read_setting("t/bad", 1) == 1
    assert read_setting("t/missing", "none") == "none"
    assert read_setting("t/flag", False) is True
    assert read_setting("t/odd_flag", False) is False
    assert read_setting("t/x", 0.1) == 0.25
