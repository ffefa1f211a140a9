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
import traceback
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import (
    QApplication, QLabel, QListWidget, QListWidgetItem, QMainWindow, QMessageBox, QScrollArea,
    QSplitter, QStackedWidget, QVBoxLayout, QWidget,
)

from gui import gc_guard, menus, settings, style
from gui.bind import StateError
from gui.gc_guard import GcGuard
from gui.lessons import LessonRunner
from gui.page_frame import LoadingLabel, clamp_to_screen, page_scroller  # noqa: F401
from gui.pages import PAGES
from gui.settings import app_settings, read_setting  # noqa: F401 (pages not yet moved import them here)
from gui.state import AppState
from gui.style import configure_pyqtgraph  # noqa: F401 (benchmarks import it from here)
from gui.window_tools import ExplanationPanel, shortcuts_html

ICON = Path(__file__).resolve().parent.parent / "assets" / "icons" / "app.svg"

APP_NAME = "Strides & Gates"
DEFAULT_SIZE = (1280, 800)
LEVEL_STYLES = {
    "info": "",
    "warning": "color: #8a5a00; font-weight: bold;",
    "error": "color: #b00020; font-weight: bold;",
}


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
        self.explanation = ExplanationPanel()
        self.explanation.hide()
        self.lessons = LessonRunner(self)
        self.lessons.panel.hide()
        self.lessons.changed.connect(self._on_lesson_changed)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.page_list, 2)
        side_layout.addWidget(self.lessons.panel, 3)
        side_layout.addWidget(self.explanation, 3)
        self.splitter = QSplitter()
        self.splitter.addWidget(side)
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
        menus.build_menus(self)

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
        QMessageBox.information(self, "Keyboard shortcuts", shortcuts_html(self.current_page()))

    def show_explanation(self, on: bool) -> None:
        """F2: the current page's explanation beside it (in the left column)."""
        self.explanation_action.setChecked(on)
        self.explanation.setVisible(on)
        if on:
            self.explanation.show_page(self.current_page())

    def _on_lesson_changed(self, open_: bool) -> None:
        self.lessons.panel.setVisible(open_)
        self.page_list.setVisible(not open_ and self.page_list_action.isChecked())
        self.close_lesson_action.setEnabled(open_)

    def export(self, kind: str, path, scale: int = 1) -> bool:
        """Write the current page as PNG, or its animation as GIF; a message either way."""
        return menus.export(self, kind, path, scale)

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
        if self.explanation.isVisible():
            self.explanation.show_page(page)
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
            from gui import torch_threads   # (torch arrives with the first page, not before)
            torch_threads.for_gui_thread()
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
        self.lessons.close()          # its key filter is the application's, not the window's
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
    parser.add_argument("--lesson", metavar="FILE", help="open a lesson (assets/lessons/*.json)")
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
    if args.lesson:
        QTimer.singleShot(0, lambda: window.lessons.open(args.lesson))
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
