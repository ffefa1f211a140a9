"""Test setup: headless Qt, and fixtures shared by several test files."""
import gc
import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
MNIST_DIR = SHARED / "data" / "mnist"


@pytest.fixture(autouse=True, scope="session")
def _isolated_settings(tmp_path_factory):
    """Keep QSettings written by tests out of the user's real settings."""
    from PySide6.QtCore import QSettings
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path_factory.mktemp("settings")))
    yield


@pytest.fixture(scope="session", autouse=True)
def _pyqtgraph_config(qapp):
    """As the app starts: pyqtgraph's look, and the fonts of the 100 % presenter scale."""
    from gui import style
    style.configure_pyqtgraph()
    style.set_factor(1.0)
    yield


@pytest.fixture(scope="session", autouse=True)
def _no_automatic_gc():
    """As in the app (gui/gc_guard.py): Python's cycle collector must not run in the middle of
    Qt code (pytest-qt processes events while tearing a test down), where deleting a
    collected pyqtgraph item crashes the process. Collection happens between tests instead."""
    gc.disable()
    yield
    gc.enable()


@pytest.fixture(autouse=True)
def _collect_between_tests():
    gc.collect()
    yield


@pytest.fixture(autouse=True)
def _fresh_settings(_isolated_settings):
    """Every test starts from the app's defaults: pages remember their settings when the window
    closes, and one test's choices must not leak into the next."""
    from gui.app import app_settings
    app_settings().clear()
    yield


@pytest.fixture
def shown(qtbot):
    """`shown(widget, width, height)`: the widget on screen at that size (closed after the test),
    for tests that read what it paints."""
    def show(widget, width: int, height: int):
        qtbot.addWidget(widget)
        widget.resize(width, height)
        widget.show()
        qtbot.waitExposed(widget)
        return widget
    return show


@pytest.fixture
def mnist_dir():
    if not (MNIST_DIR / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip("needs ../shared/data/mnist (the MNIST test digits), absent here")
    return MNIST_DIR
