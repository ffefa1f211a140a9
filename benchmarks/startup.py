"""Startup: from process start to the main window painted, and to the first page ready.

Each run is a fresh interpreter (offscreen platform). "Window painted" is the first paint of the
window's page area (the "Loading…" placeholder); the first page (and with it torch) is imported
only after that. Settings go to a temporary folder. The last line is the median time to the
painted window, in ms.
"""
import statistics
import subprocess
import sys

CHILD = r"""
import time, os
t0 = time.perf_counter()
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication
app = QApplication([])
from gui.settings import use_temporary_settings
use_temporary_settings()          # the user's real settings (last page, geometry) stay untouched
from gui.app import MainWindow
marks = {}
w = MainWindow(start_page="convolution")
w.show()
def poll():
    if "convolution" in w._pages:
        marks["page"] = time.perf_counter() - t0
        app.quit()
timer = QTimer(); timer.timeout.connect(poll); timer.start(5)
app.exec()
print(f"{(w.loading.first_painted_at - t0)*1000:.0f} {marks['page']*1000:.0f}")
"""


def main(runs: int = 5) -> None:
    painted, page = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                             check=True).stdout.split()
        painted.append(float(out[0]))
        page.append(float(out[1]))
    print(f"window painted: median {statistics.median(painted):.0f} ms, worst {max(painted):.0f} ms")
    print(f"first page (Convolution, with torch) ready: median {statistics.median(page):.0f} ms, "
          f"worst {max(page):.0f} ms")
    print(f"{statistics.median(painted):.0f}")


if __name__ == "__main__":
    main()
