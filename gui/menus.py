"""The window's menus and the dialogs behind them (lessons, exports); `window` is the
MainWindow whose actions these are (kept here so gui/app.py stays short)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QInputDialog

from gui import style
from gui.window_tools import export_csv, export_gif, export_png

FILE_TYPES = {"png": "PNG image (*.png)", "gif": "GIF animation (*.gif)",
              "csv": "Comma-separated values (*.csv)"}
LESSONS_DIR = Path(__file__).resolve().parent.parent / "assets" / "lessons"


def build_menus(window) -> None:
    """The File, View and Help menus: every action with its shortcut shown."""
    file_menu = window.menuBar().addMenu("&File")
    file_menu.addAction(QAction("&Open lesson…", window, shortcut=QKeySequence.Open,
                                triggered=lambda: open_lesson_dialog(window)))
    file_menu.addAction(QAction("&Save as lesson slide…", window,
                                shortcut=QKeySequence("Ctrl+Shift+S"),
                                triggered=lambda: save_slide_dialog(window)))
    window.close_lesson_action = QAction("&Close lesson", window, enabled=False,
                                       triggered=window.lessons.close)
    file_menu.addAction(window.close_lesson_action)
    file_menu.addSeparator()
    file_menu.addAction(QAction("&Export page as PNG…", window, shortcut=QKeySequence("Ctrl+E"),
                                triggered=lambda: export_dialog(window, "png", 1)))
    file_menu.addAction(QAction("Export page as PNG at &2×…", window,
                                shortcut=QKeySequence("Ctrl+Shift+E"),
                                triggered=lambda: export_dialog(window, "png", 2)))
    file_menu.addAction(QAction("Export &animation as GIF…", window,
                                triggered=lambda: export_dialog(window, "gif", 1)))
    file_menu.addAction(QAction("Export &curves as CSV…", window,
                                shortcut=QKeySequence("Ctrl+Shift+C"),
                                triggered=lambda: export_dialog(window, "csv", 1)))
    file_menu.addSeparator()
    file_menu.addAction(QAction("&Quit", window, shortcut=QKeySequence.Quit,
                                triggered=window.close))
    view = window.menuBar().addMenu("&View")
    view.addAction(QAction("&Full screen", window, shortcut=QKeySequence.FullScreen,
                           checkable=True, triggered=window._toggle_full_screen))
    window.page_list_action = QAction("&Page list", window, shortcut=QKeySequence("F9"),
                                    checkable=True, checked=True,
                                    triggered=window.page_list.setVisible)
    view.addAction(window.page_list_action)
    window.explanation_action = QAction("&Explanation", window, shortcut=QKeySequence("F2"),
                                      checkable=True, triggered=window.show_explanation)
    view.addAction(window.explanation_action)
    view.addSeparator()
    view.addAction(QAction("&Larger text", window, shortcut=QKeySequence.ZoomIn,
                           triggered=lambda: window.set_scale(style.step(+1))))
    view.addAction(QAction("&Smaller text", window, shortcut=QKeySequence.ZoomOut,
                           triggered=lambda: window.set_scale(style.step(-1))))
    view.addAction(QAction("&Actual size", window, shortcut=QKeySequence("Ctrl+0"),
                           triggered=lambda: window.set_scale(1.0)))
    view.addSeparator()
    view.addAction(QAction("&Next page", window, shortcut=QKeySequence("Ctrl+PgDown"),
                           triggered=window._next_page))
    view.addAction(QAction("&Previous page", window, shortcut=QKeySequence("Ctrl+PgUp"),
                           triggered=window._previous_page))
    view.addSeparator()
    view.addAction(QAction("&Reset this page", window, triggered=window.reset_current_page))
    view.addAction(QAction("Reset &everything", window, triggered=window.reset_everything))
    help_menu = window.menuBar().addMenu("&Help")
    sheet = QAction("&Keyboard shortcuts", window, triggered=window._show_shortcuts)
    sheet.setShortcuts([QKeySequence(QKeySequence.HelpContents), QKeySequence("?")])
    help_menu.addAction(sheet)
    help_menu.addAction(QAction("&About Strides & Gates", window, triggered=window._show_about))


def open_lesson_dialog(window) -> None:
    path, _ = QFileDialog.getOpenFileName(window, "Open lesson", str(LESSONS_DIR),
                                          "Lessons (*.json)")
    if path:
        window.lessons.open(path)


def save_slide_dialog(window) -> None:
    path, _ = QFileDialog.getSaveFileName(window, "Save as lesson slide (added at the end)",
                                          str(Path.home()), "Lessons (*.json)",
                                          options=QFileDialog.DontConfirmOverwrite)
    if not path:
        return
    page = window.current_page()
    title, ok = QInputDialog.getText(window, "Slide title", "Title of the slide:",
                                     text=getattr(page, "title", ""))
    if ok:
        window.lessons.save_slide(path, title)


def export_dialog(window, kind: str, scale: int) -> None:
    page = window.current_page()
    name = f"{getattr(page, 'page_id', 'page')}.{kind}"
    path, _ = QFileDialog.getSaveFileName(window, "Export", str(Path.home() / name),
                                          FILE_TYPES[kind])
    if path:
        window.export(kind, path, scale)


def export(window, kind: str, path, scale: int = 1) -> bool:
    """Write the current page as PNG, its animation as GIF or its curves as CSV; a message
    either way."""
    page = window.current_page()
    try:
        if kind == "png":
            export_png(page, path, scale)
            what = f"{page.width() * scale}×{page.height() * scale} PNG"
        elif kind == "csv":
            what = f"CSV of {export_csv(page, path)} points"
        else:
            what = f"GIF of {export_gif(page, path, scale)} frames"
    except (OSError, ValueError) as exc:
        window.app_state.notify(f"Not exported: {exc}", "error", "export")
        return False
    window.app_state.notify(f"Exported a {what} to {path}.", "info", "export")
    return True
