"""Time from process start to the main window painted on screen (offscreen platform).

Runs `python -c ...` fresh several times (each a cold interpreter) and reports the median and
the worst; the last line is the median in ms. The first page (and torch) loads after the window
is up, so this measures what the user waits for before seeing the app.
"""
import statistics
import subprocess
import sys

CHILD = r"""
import time, os
t0 = time.perf_counter()
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtWidgets import QApplication
from PySide6.QtCore import QTimer
app = QApplication([])
from gui.app import MainWindow
w = MainWindow()
w.show()
app.processEvents()
shown = time.perf_counter() - t0
loaded = {}
def done():
    loaded['t'] = time.perf_counter() - t0
    app.quit()
QTimer.singleShot(0, lambda: QTimer.singleShot(0, done))
app.exec()
print(f"{shown*1000:.0f} {loaded['t']*1000:.0f} {'torch' in __import__('sys').modules}")
"""


def main(runs: int = 5) -> None:
    shown, first_page = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", CHILD],
                             capture_output=True, text=True, check=True).stdout.split()
        shown.append(float(out[0]))
        first_page.append(float(out[1]))
    print(f"window shown: median {statistics.median(shown):.0f} ms, worst {max(shown):.0f} ms")
    print(f"first page (with torch) ready: median {statistics.median(first_page):.0f} ms")
    print(f"{statistics.median(shown):.0f}")


if __name__ == "__main__":
    main()
