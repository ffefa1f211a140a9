"""The main window: a page list on the left, the current page, menus and a status bar.

Startup stays fast because pages (and with them torch) are imported only when first shown,
after the window is already on screen.
"""
from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QApplication, QLabel, QListWidget, QListWidgetItem, QMainWindow, QMessageBox, QSplitter,
    QStackedWidget, QVBoxLayout, QWidget,
)

from gui import gc_guard
from gui.gc_guard import GcGuard
from gui.pages import PAGES

ICON = Path(__file__).resolve().parent.parent / "assets" / "icons" / "app.svg"

APP_NAME = "Strides & Gates"
LEVEL_STYLES = {
    "info": "",
    "warning": "color: #8a5a00; font-weight: bold;",
    "error": "color: #b00020; font-weight: bold;",
}


def app_settings() -> QSettings:
    """The app's settings (an INI file in the user's config folder; tests redirect it)."""
    return QSettings(QSettings.IniFormat, QSettings.UserScope, "StridesGates", "StridesGates")


def read_setting(key: str, default):
    """A stored setting converted to the type of `default`; the default when the value is
    missing or unreadable (a hand-edited or corrupt settings file must not break a page)."""
    value = app_settings().value(key, None)
    if value is None:
        return default
    try:
        if isinstance(default, bool):
            if isinstance(value, str):
                if value.lower() not in ("true", "false", "1", "0"):
                    return default
                return value.lower() in ("true", "1")
            return bool(value)
        return type(default)(value)
    except (TypeError, ValueError):
        return default


def configure_pyqtgraph() -> None:
    """Global pyqtgraph look: light background for projectors, row-major images.

    Called before the first page is built (not at startup: importing pyqtgraph takes ~0.6 s)."""
    import pyqtgraph as pg
    pg.setConfigOptions(background="w", foreground="k", antialias=True, imageAxisOrder="row-major")


class LoadingLabel(QLabel):
    """Shown while a page is imported. The first page is built only after this label has been
    painted, so the window is on screen before torch loads."""

    def __init__(self, then):
        super().__init__("Loading…")
        self.setAlignment(Qt.AlignCenter)
        self.setStyleSheet("color: #777; font-size: 18pt;")
        self._then = then
        self.first_painted_at: float | None = None  # time.perf_counter() of the first paint

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if self.first_painted_at is None:
            self.first_painted_at = time.perf_counter()
        if self._then is not None:
            then, self._then = self._then, None
            QTimer.singleShot(0, then)


class MainWindow(QMainWindow):
    def __init__(self, start_page: str | None = None):
        super().__init__()
        self.setWindowTitle(APP_NAME)
        self.settings = app_settings()
        self._pages: dict[str, QWidget] = {}

        self.page_list = QListWidget()
        self.page_list.setObjectName("pageList")
        self.page_list.setMinimumWidth(170)
        self.page_list.setMaximumWidth(240)
        for page_id, title, _module, _cls in PAGES:
            item = QListWidgetItem(title)
            item.setData(Qt.UserRole, page_id)
            self.page_list.addItem(item)
        self.stack = QStackedWidget()
        splitter = QSplitter()
        splitter.addWidget(self.page_list)
        splitter.addWidget(self.stack)
        splitter.setStretchFactor(1, 1)
        self.setCentralWidget(splitter)

        self.status_label = QLabel()
        self.statusBar().addWidget(self.status_label, 1)
        self._clear_timer = QTimer(self, singleShot=True, timeout=self._clear_message)

        self._build_menus()
        self._restore_settings()
        wanted = start_page or self.settings.value("window/page", "convolution", type=str)
        ids = [p[0] for p in PAGES]
        # Select the start page before connecting (a list taking focus would otherwise build
        # row 0 at once); it is built only after the window has painted a Loading placeholder.
        self.page_list.setCurrentRow(ids.index(wanted) if wanted in ids else 0)
        self.page_list.currentRowChanged.connect(self._on_page_row_changed)
        self.loading = LoadingLabel(then=self._open_current_page)
        self.stack.addWidget(self.loading)

    # -- menus -------------------------------------------------------------------------------
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(QAction("&Quit", self, shortcut=QKeySequence.Quit,
                                    triggered=self.close))
        view = self.menuBar().addMenu("&View")
        view.addAction(QAction("&Full screen", self, shortcut=QKeySequence.FullScreen,
                               checkable=True, triggered=self._toggle_full_screen))
        view.addAction(QAction("&Larger text", self, shortcut=QKeySequence.ZoomIn,
                               triggered=self._larger_text))
        view.addAction(QAction("&Smaller text", self, shortcut=QKeySequence.ZoomOut,
                               triggered=self._smaller_text))
        view.addSeparator()
        view.addAction(QAction("&Next page", self, shortcut=QKeySequence("Ctrl+PgDown"),
                               triggered=self._next_page))
        view.addAction(QAction("&Previous page", self, shortcut=QKeySequence("Ctrl+PgUp"),
                               triggered=self._previous_page))
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(QAction("&Keyboard shortcuts", self, shortcut=QKeySequence.HelpContents,
                                    triggered=self._show_shortcuts))
        help_menu.addAction(QAction("&About Strides & Gates", self, triggered=self._show_about))

    def _toggle_full_screen(self, on: bool) -> None:
        self.showFullScreen() if on else self.showNormal()

    def _set_font_size(self, size: float) -> None:
        size = max(8.0, min(28.0, size))
        font = QApplication.font()
        font.setPointSizeF(size)
        QApplication.setFont(font)
        self.settings.setValue("view/font_size", size)

    def _larger_text(self) -> None:
        self._set_font_size(QApplication.font().pointSizeF() + 1)

    def _smaller_text(self) -> None:
        self._set_font_size(QApplication.font().pointSizeF() - 1)

    def _next_page(self) -> None:
        self.page_list.setCurrentRow((self.page_list.currentRow() + 1) % self.page_list.count())

    def _previous_page(self) -> None:
        self.page_list.setCurrentRow((self.page_list.currentRow() - 1) % self.page_list.count())

    def _show_shortcuts(self) -> None:
        QMessageBox.information(self, "Keyboard shortcuts", (
            "Step players (Convolution, Pooling, RNN, gates):\n"
            "  Space  play / pause\n  Right or Page Down  step forward\n"
            "  Left or Page Up  step back\n  Home / End  first / last step\n"
            "  + / -  faster / slower\n\n"
            "Window:\n  Ctrl+Page Down / Ctrl+Page Up  next / previous page\n"
            "  Ctrl++ / Ctrl+-  larger / smaller text\n  F11  full screen"))

    def _show_about(self) -> None:
        QMessageBox.about(self, f"About {APP_NAME}", (
            f"<b>{APP_NAME}</b><p>Convolutional and recurrent neural networks made visible. "
            "Every number on screen is computed by PyTorch.</p>"))

    # -- pages -------------------------------------------------------------------------------
    def _open_current_page(self) -> None:
        self._on_page_row_changed(self.page_list.currentRow())

    def _on_page_row_changed(self, row: int) -> None:
        if row < 0:
            return
        page_id = PAGES[row][0]
        page = self.page(page_id)
        self.stack.setCurrentWidget(page)
        self.settings.setValue("window/page", page_id)
        if hasattr(page, "page_opened"):
            page.page_opened()

    def page(self, page_id: str) -> QWidget:
        """The page with this id, built on first use."""
        if page_id not in self._pages:
            self._pages[page_id] = self._build_page(page_id)
            self.stack.addWidget(self._pages[page_id])
        return self._pages[page_id]

    def show_page(self, page_id: str) -> QWidget:
        """Make a page the visible one (building it if needed) and return it."""
        row = [p[0] for p in PAGES].index(page_id)
        if self.page_list.currentRow() == row:
            self._on_page_row_changed(row)  # selected but maybe not built yet (startup)
        else:
            self.page_list.setCurrentRow(row)
        return self._pages[page_id]

    def _build_page(self, page_id: str) -> QWidget:
        _id, title, module_name, class_name = next(p for p in PAGES if p[0] == page_id)
        QApplication.setOverrideCursor(Qt.WaitCursor)
        try:
            configure_pyqtgraph()
            page = getattr(importlib.import_module(module_name), class_name)()
            page.message.connect(self.show_message)
            page.setProperty("app_window", self)
            QTimer.singleShot(0, gc_guard.settle)  # the page's objects live as long as the app
            return page
        except Exception:  # a broken page must not take the app down with it
            detail = traceback.format_exc()
            print(detail, file=sys.stderr)
            holder = QWidget()
            lay = QVBoxLayout(holder)
            label = QLabel(f"<h3>{title}</h3><p>This page could not be opened:</p>"
                           f"<pre>{detail.splitlines()[-1]}</pre>")
            label.setTextInteractionFlags(Qt.TextSelectableByMouse)
            lay.addWidget(label, 0, Qt.AlignTop)
            self.show_message(f"The {title} page could not be opened.", "error")
            return holder
        finally:
            QApplication.restoreOverrideCursor()

    def show_message(self, text: str, level: str = "info") -> None:
        self.status_label.setStyleSheet(LEVEL_STYLES.get(level, ""))
        self.status_label.setText(text)
        self._clear_timer.start(15000 if level == "error" else 8000)

    def _clear_message(self) -> None:
        self.status_label.clear()
        self.status_label.setStyleSheet("")

    # -- settings and closing -----------------------------------------------------------------
    def _restore_settings(self) -> None:
        self.resize(1440, 900)
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
            if self.width() < 800 or self.height() < 550:  # a window saved tiny (e.g. by a script)
                self.resize(1440, 900)
        size = self.settings.value("view/font_size", 0.0, type=float)
        if size:
            self._set_font_size(size)

    def closeEvent(self, event) -> None:
        for page in self._pages.values():
            if hasattr(page, "shutdown"):
                page.shutdown()
        self.settings.setValue("window/geometry", self.saveGeometry())
        super().closeEvent(event)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="strides-gates", description=APP_NAME)
    parser.add_argument("--page", choices=[p[0] for p in PAGES], help="page to open first")
    args, qt_args = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    app = QApplication.instance() or QApplication([sys.argv[0], *qt_args])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName("StridesGates")
    app.setWindowIcon(QIcon(str(ICON)))
    GcGuard(parent=app)  # cycles are collected from the event loop only (see gui/gc_guard.py)
    window = MainWindow(start_page=args.page)
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
