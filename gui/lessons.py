"""Running a lesson in the window: the slide's page with its state, its notes beside it, and
Page Down / Page Up (what a presentation clicker sends) moving between slides.

`LessonRunner(window)` opens a lesson file (gui/lesson_file.py), checks every slide's state
against its page before showing any (a bad value names the file, the slide and the field, and
nothing changes), then shows slide after slide: the page, `reset()` then `apply_state(state)`
(once, merged: so a saved slide reopens exactly), the controls it hides, and its title and notes in the
`LessonPanel` that takes the page list's place. While a lesson is open, Page Down / Page Up
belong to the lesson; every other key of a page keeps working.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QApplication, QHBoxLayout, QLabel, QListWidget, QPushButton, QTextBrowser, QVBoxLayout,
    QWidget,
)

from gui import style
from gui.bind import StateError
from gui.lesson_file import Lesson, LessonError, Slide, append_slide, read_lesson
from gui.pages import PAGES

PAGE_IDS = [p[0] for p in PAGES]
LESSON_KEYS = {Qt.Key_PageDown: +1, Qt.Key_PageUp: -1}


def merged(base: dict, top: dict) -> dict:
    """`base` with `top`'s values on top, tables merged key by key (a slide's partial state)."""
    out = dict(base)
    for key, value in top.items():
        out[key] = merged(out[key], value) if isinstance(value, dict) and isinstance(
            out.get(key), dict) else value
    return out


class LessonPanel(QWidget):
    """The lesson's title, its slides (click one to go there), the slide's notes."""

    slideChosen = Signal(int)
    closeRequested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.title = style.set_role(QLabel(), "title", bold=True)
        self.title.setWordWrap(True)
        self.slides = QListWidget()
        self.slides.setToolTip("The lesson's slides: Page Down / Page Up move between them")
        self.slides.currentRowChanged.connect(lambda row: row >= 0 and self.slideChosen.emit(row))
        self.notes = QTextBrowser()
        self.notes.setToolTip("The slide's notes")
        style.set_role(self.notes, "body")
        self.position = QLabel()
        self.close_button = QPushButton("Close lesson")
        self.close_button.setToolTip("Back to the page list")
        self.close_button.clicked.connect(self.closeRequested)
        row = QHBoxLayout()
        row.addWidget(self.position, 1)
        row.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.slides, 1)
        layout.addWidget(self.notes, 2)
        layout.addLayout(row)

    def show_lesson(self, lesson: Lesson) -> None:
        self.title.setText(lesson.title)
        self.slides.blockSignals(True)
        self.slides.clear()
        for k, slide in enumerate(lesson.slides):
            self.slides.addItem(f"{k + 1}. {slide.title or slide.page}")
        self.slides.blockSignals(False)

    def show_slide(self, index: int, slide: Slide, count: int) -> None:
        self.slides.blockSignals(True)
        self.slides.setCurrentRow(index)
        self.slides.blockSignals(False)
        self.notes.setPlainText(slide.notes)
        self.position.setText(f"slide {index + 1} / {count}")


class LessonRunner(QObject):
    """Opens lessons in `window` (a gui.app.MainWindow) and moves between their slides."""

    changed = Signal(bool)       # a lesson is open (True) or closed

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.lesson: Lesson | None = None
        self.index = -1
        self._hidden: list[QWidget] = []
        self._defaults: dict[str, dict] = {}      # each page's state after reset()
        self.panel = LessonPanel()
        self.panel.slideChosen.connect(self.go_to)
        self.panel.closeRequested.connect(self.close)

    # -- opening --------------------------------------------------------------------------------
    def open(self, path) -> bool:
        """Open a lesson at its first slide; a message and False when it cannot be used."""
        try:
            lesson = read_lesson(path, PAGE_IDS)
            self._check(lesson)
        except LessonError as exc:
            self.window.app_state.notify(f"Lesson not opened: {exc}", "error", "lesson")
            return False
        self.close()
        self.lesson = lesson
        self.panel.show_lesson(lesson)
        QApplication.instance().installEventFilter(self)
        self.changed.emit(True)
        self.go_to(0)
        note = "; ".join(lesson.skipped)
        self.window.app_state.notify(f"Lesson '{lesson.title}': {len(lesson.slides)} slides"
                                 + (f" ({note})" if note else "") + ". Page Down: next slide.",
                                 "warning" if note else "info", "lesson")
        return True

    def _check(self, lesson: Lesson) -> None:
        """Every slide's state applied to its page, and the page put back as it was."""
        for k, slide in enumerate(lesson.slides):
            page = self.window.page(slide.page)
            if not hasattr(page, "apply_state"):
                raise LessonError(lesson.path, "this page could not be opened", k, "page")
            before = page.state()
            try:
                page.reset()
                self._defaults.setdefault(slide.page, page.state())
                page.apply_state(slide.state)
            except StateError as exc:
                raise LessonError(lesson.path, str(exc), k, f"state.{exc.field}") from exc
            finally:
                page.reset()
                page.apply_state(before)
            unknown = [name for name in slide.hide if name not in page.controls()]
            if unknown:
                raise LessonError(lesson.path, f"'{unknown[0]}' is not a control of this page",
                                  k, "hide")

    # -- moving ---------------------------------------------------------------------------------
    def go_to(self, index: int) -> None:
        if self.lesson is None or not 0 <= index < len(self.lesson.slides):
            return
        self._show_hidden()
        slide = self.lesson.slides[index]
        self.index = index
        page = self.window.show_page(slide.page)
        # the page's defaults with the slide's settings on top, applied at once: the same as
        # reset() then apply_state(), without recomputing the page twice
        page.apply_state(merged(self._defaults[slide.page], slide.state))
        controls = page.controls()
        self._hidden = [controls[name] for name in slide.hide]
        for widget in self._hidden:
            widget.hide()
        self.panel.show_slide(index, slide, len(self.lesson.slides))

    def next(self) -> None:
        self.go_to(self.index + 1)

    def previous(self) -> None:
        self.go_to(self.index - 1)

    def close(self) -> None:
        if self.lesson is None:
            return
        self._show_hidden()
        self.lesson, self.index = None, -1
        QApplication.instance().removeEventFilter(self)
        self.changed.emit(False)

    def _show_hidden(self) -> None:
        for widget in self._hidden:
            widget.show()
        self._hidden = []

    def eventFilter(self, obj, event) -> bool:
        """Page Down / Page Up move between slides (before any page's shortcut sees them)."""
        kind = event.type()
        if kind in (QEvent.ShortcutOverride, QEvent.KeyPress) and self.lesson is not None:
            step = LESSON_KEYS.get(event.key())
            if step is not None and event.modifiers() in (Qt.NoModifier, Qt.KeypadModifier):
                if kind == QEvent.ShortcutOverride:
                    event.accept()           # no shortcut takes it: it comes as a key press
                elif not event.isAutoRepeat():
                    self.go_to(self.index + step)
                return True
        return super().eventFilter(obj, event)

    # -- saving ---------------------------------------------------------------------------------
    def save_slide(self, path, title: str = "", notes: str = "") -> bool:
        """Append the current page's state to a lesson file (made when missing)."""
        page = self.window.current_page()
        if page is None or not hasattr(page, "state"):
            return False
        slide = Slide(page.page_id, title or page.title, notes, page.state())
        try:
            lesson = append_slide(path, slide, PAGE_IDS)
        except (LessonError, OSError) as exc:
            self.window.app_state.notify(f"Slide not saved: {exc}", "error", "lesson")
            return False
        self.window.app_state.notify(f"Saved as slide {len(lesson.slides)} of {path}.", "info",
                                 "lesson")
        return True
