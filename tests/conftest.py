"""Test setup: headless Qt, and fixtures shared by several test files."""
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
def _pyqtgraph_config():
    from gui.app import configure_pyqtgraph
    configure_pyqtgraph()
    yield


@pytest.fixture
def mnist_dir():
    if not (MNIST_DIR / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip("needs ../shared/data/mnist (the MNIST test digits), absent here")
    return MNIST_DIR
