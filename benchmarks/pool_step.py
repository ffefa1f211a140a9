"""One Pooling-page animation step (compute + repaint, offscreen) on a 64x64 input, 2x2 stride 2
max pooling, marks on: the per-step latency a lecturer sees while it plays. Prints p95 in ms last."""
import os
import time

from gui_bench import gui_app  # (first: it puts the project on sys.path)

import numpy as np  # noqa: E402

from gui.pages.pooling import PoolingPage  # noqa: E402
from gui.pages.pooling.pool_panel import FEATURE_MAP  # noqa: E402
from gui.state import AppState  # noqa: E402


def main() -> None:
    app = gui_app()
    state = AppState()
    page = PoolingPage(app_state=state)
    page.resize(1200, 800)
    page.show()
    # a 64x64 input: a feature map as the Convolution page publishes it through AppState
    state.set_feature_map(np.random.default_rng(0).random((64, 64)).astype(np.float32))
    panel = page.panel
    assert panel.input_box.choose(FEATURE_MAP)
    assert page.current_output().shape == (32, 32) and panel.settings.mode == "max"
    app.processEvents()
    os_load = os.getloadavg()[0]
    total, compute = [], []
    for k in range(0, 600):  # past the point where per-window marks stop
        t0 = time.perf_counter()
        panel.player.go_to(k)
        t1 = time.perf_counter()
        app.processEvents()   # paint what changed, as the event loop does (see conv_step.py)
        t2 = time.perf_counter()
        compute.append((t1 - t0) * 1000)
        total.append((t2 - t0) * 1000)
    total, compute = np.array(total[20:]), np.array(compute[20:])
    print(f"load average at start: {os_load:.1f} on {os.cpu_count()} cores")
    print(f"steps timed: {total.size}; page update only (no paint): p95 {np.percentile(compute, 95):.2f} ms")
    print(f"median {np.median(total):.2f} ms, max {total.max():.2f} ms")
    print(f"pool step p95 (64x64 input, 2x2/2 max, compute + repaint): {np.percentile(total, 95):.2f} ms")


if __name__ == "__main__":
    main()
