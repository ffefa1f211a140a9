"""A monkey that uses the app the way a restless student does: real mouse and key events only.

    python tests/monkey.py --seed 1 --actions 300       (what tests/test_monkey.py runs)
    python tests/monkey.py --seed 1 --soak 20000        (benchmarks/soak.py)

Every action goes through Qt's event delivery (`QTest.mouseClick`, presses, releases, double
clicks, right clicks, drags, wheel events, key presses), never through a widget's methods, so
whatever Qt calls back into Python on a click (`shape()`, `boundingRect()`, event handlers) is
exercised. Targets are the visible controls of the current page and a grid of points inside
every plot, grid and canvas; pages and tabs are switched mid-animation and mid-training. Modal
dialogs and popups are closed by a timer. Downloads are refused at once (no network).

Fails (exit status 1, a JSON summary on the last line of stdout) on: any Python exception (an
excepthook collects them), any Qt warning about threads or timers, resident memory growing
more than `--max-growth-mb` after the warm-up (every page built, then the first third of the
actions: a first training run, the first photo, the first model of each kind allocate once and
are kept; a leak goes on growing through the other two thirds; with `--repeat` the same seeded
actions run twice and only the second pass is measured: it finds nothing new to allocate once),
or an action keeping the GUI thread busy over
`--slow-s` of CPU. A crash (segfault, abort) ends the process with a signal, which the caller
sees as a failure; the last actions are flushed to stderr before each is taken.
"""
from __future__ import annotations

import argparse
import faulthandler
import json
import os
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

THREAD_WARNINGS = ("thread", "timer", "QBasicTimer", "moveToThread", "Cannot create children",
                   "QObject::", "QPainter::begin", "destroyed while")
KEYS = ["Space", "Right", "Left", "Home", "End", "Plus", "Minus", "PageDown", "PageUp", "Up",
        "Down", "Tab", "Return", "Escape", "Delete", "Backspace", "0", "1", "5", "9", "a", "x",
        "Period", "F1", "F11"]
TEXTS = ["", "nan", "1e400", "-3", "0", "2.5", "the film was not good", "x" * 80, "héllo ☃",
         "1,2;3", "1 2\n3 4", "nan nan\n1 2", "a b c"]


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _setup_environment() -> str:
    """Headless Qt, and settings, caches and downloads kept away from the user's own."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    tmp = tempfile.mkdtemp(prefix="sg-monkey-")
    os.environ["STRIDES_GATES_CACHE"] = os.path.join(tmp, "cache")
    from PySide6.QtCore import QSettings
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, os.path.join(tmp, "settings"))
    import urllib.error
    import urllib.request

    def offline(*_a, **_k):
        raise urllib.error.URLError("no network in the monkey test")
    urllib.request.urlopen = offline
    return tmp


class Monkey:
    def __init__(self, seed: int, slow_s: float, page: str | None = None):
        from PySide6.QtCore import QTimer, qInstallMessageHandler
        from PySide6.QtWidgets import QApplication
        self.rng = random.Random(seed)
        self.slow_s = slow_s
        self.page = page              # stay on this page (a soak aimed at one page's widgets)
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self.slow: list[str] = []
        self.actions = 0
        self.counts: dict[str, int] = {}
        sys.excepthook = self._excepthook
        qInstallMessageHandler(self._qt_message)
        self.app = QApplication.instance() or QApplication(["monkey"])
        from gui.app import MainWindow
        self.window = MainWindow(start_page=page or "convolution")
        self.window.resize(1280, 720)
        self.window.show()
        self.closer = QTimer(interval=60, timeout=self._close_modals)
        self.closer.start()

    # -- what counts as a failure --------------------------------------------------------------
    def _excepthook(self, kind, value, tb) -> None:
        self.errors.append("".join(traceback.format_exception(kind, value, tb))[-1500:])
        print(self.errors[-1], file=sys.stderr, flush=True)

    def _qt_message(self, mode, _context, message: str) -> None:
        from PySide6.QtCore import QtMsgType
        if mode in (QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg):
            print(f"Qt {mode.name}: {message}", file=sys.stderr, flush=True)
        if any(w.lower() in message.lower() for w in THREAD_WARNINGS):
            self.warnings.append(message)
            print("Qt warning:", message, file=sys.stderr, flush=True)

    def _close_modals(self) -> None:
        from PySide6.QtWidgets import QApplication
        for w in (QApplication.activePopupWidget(), QApplication.activeModalWidget()):
            if w is not None and w is not self.window:
                w.close()

    # -- the actions ---------------------------------------------------------------------------
    def _targets(self):
        """(kind, widget) for every visible, enabled thing on the current page worth poking."""
        import pyqtgraph as pg
        from PySide6.QtWidgets import (
            QAbstractButton, QAbstractSlider, QAbstractSpinBox, QComboBox, QGraphicsView,
            QLineEdit, QListWidget, QPlainTextEdit, QTabBar, QTableWidget, QTextEdit, QWidget,
        )
        page = self.window.current_page() or self.window
        out = []
        for w in page.findChildren(QWidget):
            if not (w.isVisible() and w.isEnabled()) or w.width() < 4 or w.height() < 4:
                continue
            if isinstance(w, QAbstractButton):
                if "download" in w.text().lower():
                    continue
                out.append(("button", w))
            elif isinstance(w, (QComboBox, QAbstractSpinBox, QAbstractSlider, QTabBar)):
                out.append(("control", w))
            elif isinstance(w, (QLineEdit, QPlainTextEdit, QTextEdit)):
                out.append(("text", w))
            elif isinstance(w, (QGraphicsView, pg.GraphicsView)):
                out.append(("view", w))
            elif isinstance(w, (QListWidget, QTableWidget)):
                out.append(("view", w))
            elif type(w).__module__.startswith("gui.") and any(
                    name in type(w).__dict__ for name in
                    ("mousePressEvent", "mouseMoveEvent", "wheelEvent", "paintEvent")):
                out.append(("view", w))          # the project's own canvases
        return out

    def _point(self, w):
        from PySide6.QtCore import QPoint
        # a grid of points inside the widget (5x5 cells), jittered
        gx, gy = self.rng.randrange(5), self.rng.randrange(5)
        x = int((gx + 0.2 + 0.6 * self.rng.random()) / 5 * w.width())
        y = int((gy + 0.2 + 0.6 * self.rng.random()) / 5 * w.height())
        return QPoint(min(max(x, 1), w.width() - 2), min(max(y, 1), w.height() - 2))

    def _receiver(self, w):
        from PySide6.QtWidgets import QAbstractScrollArea
        return w.viewport() if isinstance(w, QAbstractScrollArea) else w

    def _mouse(self, w) -> str:
        from PySide6.QtCore import QPointF, Qt
        from PySide6.QtGui import QWheelEvent
        from PySide6.QtTest import QTest
        from PySide6.QtWidgets import QApplication
        r = self._receiver(w)
        p = self._point(r)
        kind = self.rng.choice(["click", "click", "click", "double", "right", "drag", "drag",
                                "wheel", "press-release"])
        mod = Qt.ShiftModifier if self.rng.random() < 0.1 else Qt.NoModifier
        if kind == "click":
            QTest.mouseClick(r, Qt.LeftButton, mod, p)
        elif kind == "double":
            QTest.mouseDClick(r, Qt.LeftButton, mod, p)
        elif kind == "right":
            QTest.mouseClick(r, Qt.RightButton, mod, p)
        elif kind == "press-release":
            QTest.mousePress(r, Qt.LeftButton, mod, p)
            QApplication.processEvents()
            QTest.mouseRelease(r, Qt.LeftButton, mod, p)
        elif kind == "drag":
            button = Qt.RightButton if self.rng.random() < 0.2 else Qt.LeftButton
            QTest.mousePress(r, button, mod, p)
            q = self._point(r)
            for k in range(1, 6):
                QTest.mouseMove(r, p + (q - p) * (k / 5), 5)
            QTest.mouseRelease(r, button, mod, q)
        else:
            delta = self.rng.choice([120, -120, 360, -360])
            pos = QPointF(p)
            event = QWheelEvent(pos, QPointF(r.mapToGlobal(p)), QPointF(0, 0).toPoint(),
                                QPointF(0, delta).toPoint(), Qt.NoButton, mod,
                                Qt.NoScrollPhase, False)
            QApplication.sendEvent(r, event)
        return kind

    def _type(self, w) -> str:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest
        r = self._receiver(w)
        QTest.mouseClick(r, Qt.LeftButton, Qt.NoModifier, self._point(r))
        QTest.keyClick(w, Qt.Key_A, Qt.ControlModifier)          # select all, then type over
        self._type_text(w, self.rng.choice(TEXTS))
        QTest.keyClick(w, Qt.Key_Return)
        return "type"

    @staticmethod
    def _type_text(w, text: str) -> None:
        """Key events for each character (QTest.keyClicks asserts on non-ASCII text)."""
        from PySide6.QtCore import QEvent, Qt
        from PySide6.QtGui import QKeyEvent
        from PySide6.QtWidgets import QApplication
        for ch in text:
            key = Qt.Key_Return if ch == "\n" else (ord(ch.upper()) if ch.isascii() else 0)
            for kind in (QEvent.KeyPress, QEvent.KeyRelease):
                QApplication.sendEvent(w, QKeyEvent(kind, key, Qt.NoModifier, ch))

    def _key(self) -> str:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest
        from PySide6.QtWidgets import QApplication
        name = self.rng.choice(KEYS)
        key = getattr(Qt, f"Key_{name}") if len(name) > 1 else getattr(Qt, f"Key_{name.upper()}")
        target = QApplication.focusWidget() or self.window
        mod = Qt.ControlModifier if self.rng.random() < 0.05 else Qt.NoModifier
        QTest.keyClick(target, key, mod)
        return f"key {name}"

    def _switch_page(self) -> str:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest
        lst = self.window.page_list
        row = self.rng.randrange(lst.count())
        if self.page is not None:
            row = lst.currentRow()
        rect = lst.visualItemRect(lst.item(row))
        QTest.mouseClick(lst.viewport(), Qt.LeftButton, Qt.NoModifier, rect.center())
        return f"page {row}"

    def act(self) -> None:
        from PySide6.QtWidgets import QApplication
        targets = self._targets()
        roll = self.rng.random()
        start = time.thread_time()
        if roll < 0.04 or not targets:
            what = self._switch_page()
        elif roll < 0.12:
            what = self._key()
        else:
            kind, w = self.rng.choice(targets)
            label = f"{type(w).__name__} {w.objectName() or getattr(w, 'text', lambda: '')()!r}"
            print(f"[{self.actions}] {kind} {label}", file=sys.stderr, flush=True)
            what = self._type(w) if kind == "text" and self.rng.random() < 0.6 else self._mouse(w)
            what = f"{what} {label}"
        print(f"[{self.actions}] {what}", file=sys.stderr, flush=True)
        QApplication.processEvents()
        if self.rng.random() < 0.1:                     # let timers run: animation, training
            from PySide6.QtTest import QTest
            QTest.qWait(self.rng.choice([30, 100, 250]))
        spent = time.thread_time() - start
        if spent > self.slow_s:
            self.slow.append(f"{what}: {spent:.1f} s")
        self.actions += 1
        self.counts[what.split()[0]] = self.counts.get(what.split()[0], 0) + 1

    def visit_every_page(self) -> None:
        """Build every page once (the warm-up before memory is measured)."""
        from PySide6.QtTest import QTest
        from gui.pages import PAGES
        for page_id, *_ in PAGES:
            self.window.show_page(page_id)
            QTest.qWait(50)
        if self.page is not None:
            self.window.show_page(self.page)

    def close(self) -> None:
        from PySide6.QtTest import QTest
        self.closer.stop()
        self.window.close()
        QTest.qWait(100)


def main(argv=None) -> int:
    faulthandler.enable()   # a segfault prints the Python stack of every thread to stderr
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--actions", type=int, default=300)
    parser.add_argument("--soak", type=int, default=None, help="a long run of N actions")
    parser.add_argument("--repeat", action="store_true",
                        help="run the seeded actions twice; measure memory over the second pass")
    parser.add_argument("--max-growth-mb", type=float, default=100.0)
    parser.add_argument("--slow-s", type=float, default=2.0)
    parser.add_argument("--page", default=None, help="stay on this page id (e.g. convolution)")
    args = parser.parse_args(argv)
    n = args.soak or args.actions
    _setup_environment()
    import torch
    torch.manual_seed(args.seed)
    monkey = Monkey(args.seed, args.slow_s, args.page)
    started = time.perf_counter()
    monkey.visit_every_page()
    rss_start = _rss_mb()
    if args.repeat:
        for _ in range(n):
            monkey.act()
        rss_before = _rss_mb()
        monkey.rng = random.Random(args.seed)     # the same actions again
        for _ in range(n):
            monkey.act()
    else:
        warm_up = n // 3
        for k in range(n):
            if k == warm_up:
                rss_before = _rss_mb()
            monkey.act()
    rss_after = _rss_mb()
    monkey.close()
    summary = {
        "actions": monkey.actions, "exceptions": len(monkey.errors),
        "qt_warnings": len(monkey.warnings), "slow_actions": monkey.slow,
        "rss_start_mb": round(rss_start), "rss_before_mb": round(rss_before),
        "rss_after_mb": round(rss_after),
        "seconds": round(time.perf_counter() - started, 1), "kinds": monkey.counts,
        "first_errors": monkey.errors[:3], "first_warnings": monkey.warnings[:5],
    }
    ok = (not monkey.errors and not monkey.warnings and not monkey.slow
          and rss_after - rss_before <= args.max_growth_mb)
    summary["ok"] = ok
    print(json.dumps(summary))
    sys.stdout.flush()
    os._exit(0 if ok else 1)   # no teardown races after the verdict is out


if __name__ == "__main__":
    main()
