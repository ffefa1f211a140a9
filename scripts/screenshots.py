"""The README's screenshots: every page in the real window at 1280×720, at 100 % and at the
presenter scale of 150 %, into assets/screenshots/ (PAGE.png and PAGE@150.png).

    xvfb-run -s "-screen 0 1600x1000x24" .venv/bin/python scripts/screenshots.py

Under Xvfb (or any X display) this is the app as a user sees it; without a display it falls back
to Qt's offscreen platform (same layout, no window frame) and says so. Settings go to a
temporary folder, so the user's own are never touched. Animated pages are shown a few steps in.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "assets" / "screenshots"
STEPS_IN = 4          # how far an animation is stepped before the shot


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--pages", nargs="*", help="page ids (default: all)")
    args = parser.parse_args(argv)
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        print("no X display: using Qt's offscreen platform (run under xvfb-run for the real "
              "window)", file=sys.stderr)
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance() or QApplication([])
    from gui import style
    from gui.settings import use_temporary_settings
    use_temporary_settings()
    from gui.app import MainWindow
    from gui.pages import PAGES
    from gui.window_tools import player_of
    args.out.mkdir(parents=True, exist_ok=True)
    window = MainWindow(start_page="convolution")
    window.resize(1280, 720)
    window.show()
    QTest.qWait(300)
    wanted = args.pages or [p[0] for p in PAGES]
    for scale, suffix in ((1.0, ""), (1.5, "@150")):
        style.set_factor(scale)
        for page_id in wanted:
            page = window.show_page(page_id)
            player = player_of(page)
            if player is not None and player.count > STEPS_IN:
                player.go_to(STEPS_IN)
            QTest.qWait(400)
            path = args.out / f"{page_id}{suffix}.png"
            window.grab().save(str(path))
            print(f"{path.relative_to(ROOT)}  {window.width()}x{window.height()}")
    style.set_factor(1.0)
    window.close()
    sys.stdout.flush()
    os._exit(0)     # every file is written: no interpreter teardown racing Qt's (it can crash)


if __name__ == "__main__":
    main()
