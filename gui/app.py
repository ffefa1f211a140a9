"""The main window: a page list on the left, the current page, menus and a status bar.

Startup stays fast because pages (and with them torch) are imported only when first shown,
after the window is already on screen. Each page sits in a scroll area, so no page can make
the window larger than a projector's screen; the window owns the one `AppState` the pages
share, the presenter scale and each page's stored settings.
"""
from __future__ import annotations

import argparse
import importlib
import inspect
import sys
import time
import traceback
from pathlib import Path

from PySide6.QtCore import QByteArray, QRect, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QGuiApplication, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QApplication, QFrame, QLabel, QListWidget, QListWidgetItem, QMainWindow, QMessageBox,
    QScrollArea, QSplitter, QStackedWidget, QVBoxLayout, QWidget,
)

from gui import gc_guard, settings, style
from gui.bind import StateError
from gui.gc_guard import GcGuard
from gui.pages import PAGES
from gui.settings import app_settings, read_setting  # noqa: F401 (pages not yet moved import them here)
from gui.state import AppState
from gui.style import configure_pyqtgraph  # noqa: F401 (benchmarks import it from here)

ICON = Path(__file__).resolve().parent.parent / "assets" / "icons" / "app.svg"

APP_NAME = "Strides & Gates"
DEFAULT_SIZE = (1280, 800)
LEVEL_STYLES = {
    "info": "",
    "warning": "color: #8a5a00; font-weight: bold;",
    "error": "color: #b00020; font-weight: bold;",
}


class LoadingLabel(QLabel):
    """Shown while a page is imported. The first page is built only after this label has been
    painted, so the window is on screen before torch loads."""

    def __init__(self, then):
        super().__init__("Loading…")
        self.setAlignment(Qt.AlignCenter)
        style.set_role(self, "huge")
        self.setStyleSheet("color: #777;")
        self._then = then
        self.first_painted_at: float | None = None  # time.perf_counter() of the first paint

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if self.first_painted_at is None:
            self.first_painted_at = time.perf_counter()
        if self._then is not None:
            then, self._then = self._then, None
            QTimer.singleShot(0, then)


class PageFrame(QWidget):
    """Holds a page at the scroll area's size, never shorter than the page's minimum size.

    A scroll area sizes a widget whose layout has a height-for-width (any word-wrapped label)
    at that layout's *preferred* height for the width, which scrolls a page that would fit;
    this frame has no layout, so the page scrolls only below its minimum size."""

    def __init__(self, page: QWidget):
        super().__init__()
        self.page = page
        page.setParent(self)

    def minimumSizeHint(self) -> QSize:
        return self.page.minimumSizeHint()

    def sizeHint(self) -> QSize:
        return self.page.minimumSizeHint()

    def resizeEvent(self, event) -> None:
        self.page.setGeometry(self.rect())
        super().resizeEvent(event)


def page_scroller(page: QWidget) -> QScrollArea:
    """A page in a frameless scroll area: below the page's minimum size it scrolls instead of
    forcing the window to grow past the screen."""
    area = QScrollArea()
    area.setObjectName(f"scroll_{getattr(page, 'page_id', 'page')}")
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.NoFrame)
    area.setWidget(PageFrame(page))
    return area


def clamp_to_screen(rect: QRect, available: QRect) -> QRect:
    """`rect` moved and shrunk to lie inside `available` (a saved geometry on a smaller screen)."""
    width, height = min(rect.width(), available.width()), min(rect.height(), available.height())
    left = min(max(rect.left(), available.left()), available.right() - width + 1)
    top = min(max(rect.top(), available.top()), available.bottom() - height + 1)
    return QRect(left, top, width, height)


class MainWindow(QMainWindow):
    def __init__(self, start_page: str | None = None):
        super().__init__()
        self.setWindowTitle(APP_NAME)
        self.settings = app_settings()
        self.app_state = AppState(self)
        self.app_state.message.connect(self.show_message)
        self._pages: dict[str, QWidget] = {}
        self._scrollers: dict[str, QScrollArea] = {}
        self._message_source = ""

        self.page_list = QListWidget()
        self.page_list.setObjectName("pageList")
        for page_id, title, _module, _cls in PAGES:
            item = QListWidgetItem(title)
            item.setData(Qt.UserRole, page_id)
            self.page_list.addItem(item)
        self.stack = QStackedWidget()
        self.splitter = QSplitter()
        self.splitter.addWidget(self.page_list)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(1, False)
        self.setCentralWidget(self.splitter)

        self.status_label = QLabel()
        self.status_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.statusBar().addWidget(self.status_label, 1)
        self._clear_timer = QTimer(self, singleShot=True, timeout=self._clear_message)

        self._build_menus()
        self._restore_settings()
        wanted = start_page or read_setting(settings.WINDOW_PAGE, "convolution")
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
        self.page_list_action = QAction("&Page list", self, shortcut=QKeySequence("F9"),
                                        checkable=True, checked=True,
                                        triggered=self.page_list.setVisible)
        view.addAction(self.page_list_action)
        view.addSeparator()
        view.addAction(QAction("&Larger text", self, shortcut=QKeySequence.ZoomIn,
                               triggered=lambda: self.set_scale(style.step(+1))))
        view.addAction(QAction("&Smaller text", self, shortcut=QKeySequence.ZoomOut,
                               triggered=lambda: self.set_scale(style.step(-1))))
        view.addAction(QAction("&Actual size", self, shortcut=QKeySequence("Ctrl+0"),
                               triggered=lambda: self.set_scale(1.0)))
        view.addSeparator()
        view.addAction(QAction("&Next page", self, shortcut=QKeySequence("Ctrl+PgDown"),
                               triggered=self._next_page))
        view.addAction(QAction("&Previous page", self, shortcut=QKeySequence("Ctrl+PgUp"),
                               triggered=self._previous_page))
        view.addSeparator()
        view.addAction(QAction("&Reset this page", self, triggered=self.reset_current_page))
        view.addAction(QAction("Reset &everything", self, triggered=self.reset_everything))
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(QAction("&Keyboard shortcuts", self, shortcut=QKeySequence.HelpContents,
                                    triggered=self._show_shortcuts))
        help_menu.addAction(QAction("&About Strides & Gates", self, triggered=self._show_about))

    def _toggle_full_screen(self, on: bool) -> None:
        self.showFullScreen() if on else self.showNormal()

    def set_scale(self, factor: float) -> None:
        """The presenter scale (View ▸ Larger / Smaller text), for every page, remembered."""
        style.set_factor(factor)
        self.settings.setValue(settings.VIEW_SCALE, style.factor())
        self.show_message(f"Text size {style.factor():.0%}.", "info", "window")

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
            "  Ctrl++ / Ctrl+- / Ctrl+0  larger / smaller / actual text size\n"
            "  F9  show or hide the page list\n  F11  full screen"))

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
        self.stack.setCurrentWidget(self._scrollers.get(page_id, page))
        self.settings.setValue(settings.WINDOW_PAGE, page_id)
        if hasattr(page, "page_opened"):
            page.page_opened()

    def page(self, page_id: str) -> QWidget:
        """The page with this id, built on first use."""
        if page_id not in self._pages:
            page = self._build_page(page_id)
            self._pages[page_id] = page
            self._scrollers[page_id] = page_scroller(page)
            self.stack.addWidget(self._scrollers[page_id])
        return self._pages[page_id]

    def current_page(self) -> QWidget | None:
        row = self.page_list.currentRow()
        return self._pages.get(PAGES[row][0]) if row >= 0 else None

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
            cls = getattr(importlib.import_module(module_name), class_name)
            if "app_state" in inspect.signature(cls.__init__).parameters:
                page = cls(app_state=self.app_state)
            else:  # a page not yet moved to the shared state: give it the window's afterwards
                page = cls()
                page.app_state = self.app_state
            page.setProperty("app_window", self)
            self._restore_page_state(page_id, page)
            style.polish_all(page)
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
            self.show_message(f"The {title} page could not be opened.", "error", "window")
            return holder
        finally:
            QApplication.restoreOverrideCursor()

    def _restore_page_state(self, page_id: str, page: QWidget) -> None:
        stored = settings.read_page_state(page_id)
        if not stored or not hasattr(page, "apply_state"):
            return
        try:
            page.apply_state(stored)
        except StateError as exc:   # settings of another version: start from the defaults
            settings.forget_page_state(page_id)
            self.show_message(f"{page.title}: stored settings not used ({exc}).", "warning",
                              "window")

    def reset_current_page(self) -> None:
        page = self.current_page()
        if page is not None and hasattr(page, "reset"):
            page.reset()
            settings.forget_page_state(getattr(page, "page_id", ""))
            self.show_message(f"{page.title}: back to its defaults.", "info", "window")

    def reset_everything(self) -> None:
        for page in self._pages.values():
            if hasattr(page, "reset"):
                page.reset()
        settings.forget_page_state()
        self.set_scale(1.0)
        self.show_message("Every page is back to its defaults.", "info", "window")

    # -- the status bar -----------------------------------------------------------------------
    def show_message(self, text: str, level: str = "info", source: str = "") -> None:
        """Show `text`; an empty text (level "clear") from the source of the message on show
        takes it back (an error goes once its cause is fixed)."""
        if not text or level == "clear":
            if source == self._message_source and self.status_label.text():
                self._clear_message()
            return
        self._message_source = source
        self.status_label.setStyleSheet(LEVEL_STYLES.get(level, ""))
        self.status_label.setText(text)
        self._clear_timer.start(15000 if level == "error" else 8000)

    def _clear_message(self) -> None:
        self.status_label.clear()
        self.status_label.setStyleSheet("")
        self._message_source = ""

    # -- settings and closing -----------------------------------------------------------------
    def _restore_settings(self) -> None:
        style.set_factor(read_setting(settings.VIEW_SCALE, 1.0))
        self.resize(*DEFAULT_SIZE)
        geometry = self.settings.value(settings.WINDOW_GEOMETRY)
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        self.fit_to_screen()

    def fit_to_screen(self) -> None:
        """Keep the window inside the screen it is on (a geometry saved on a larger screen, or
        with a larger font, must not reopen wider than this one)."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return
        available = screen.availableGeometry()
        frame = self.frameGeometry()
        if frame.width() < 640 or frame.height() < 400:      # saved tiny (e.g. by a script)
            self.resize(min(DEFAULT_SIZE[0], available.width()),
                        min(DEFAULT_SIZE[1], available.height()))
            frame = self.frameGeometry()
        fitted = clamp_to_screen(frame, available)
        if fitted != frame:
            extra_w, extra_h = frame.width() - self.width(), frame.height() - self.height()
            self.resize(fitted.width() - extra_w, fitted.height() - extra_h)
            self.move(fitted.topLeft())

    def closeEvent(self, event) -> None:
        for page_id, page in self._pages.items():
            if hasattr(page, "shutdown"):
                page.shutdown()
            if hasattr(page, "state"):
                try:
                    settings.write_page_state(page_id, page.state())
                except (TypeError, ValueError):    # a state that is not JSON: not remembered
                    pass
        self.settings.setValue(settings.WINDOW_GEOMETRY, self.saveGeometry())
        super().closeEvent(event)


def _display_problem() -> str | None:
    """Why Qt cannot open a window here, in one line, or None when it can."""
    import os
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if sys.platform.startswith("linux") and not platform and not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return ("strides-gates: no display found (DISPLAY and WAYLAND_DISPLAY are unset). Run it "
                "in a desktop session, or over ssh with -X; on a server, install Xvfb and run "
                "`xvfb-run python -m gui`.")
    return None


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTHxHEIGHT, e.g. 1280x720") from None
    if width < 320 or height < 240:
        raise argparse.ArgumentTypeError(f"{text!r} is smaller than 320x240")
    return width, height


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="strides-gates", description=APP_NAME)
    parser.add_argument("--page", choices=[p[0] for p in PAGES], help="page to open first")
    parser.add_argument("--size", metavar="WxH", type=_size,
                        help="window size in pixels, e.g. 1280x720 (a projector)")
    parser.add_argument("--scale", type=float, help="presenter scale, e.g. 1.5 for 150 %%")
    args, qt_args = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    problem = _display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    app = QApplication.instance() or QApplication([sys.argv[0], *qt_args])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(settings.ORGANISATION)
    app.setWindowIcon(QIcon(str(ICON)))
    GcGuard(parent=app)  # cycles are collected from the event loop only (see gui/gc_guard.py)
    window = MainWindow(start_page=args.page)
    if args.scale:
        window.set_scale(args.scale)
    if args.size:
        window.resize(*args.size)
        window.fit_to_screen()
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
