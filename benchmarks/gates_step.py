"""One step of the LSTM & GRU gates page: compute + repaint, offscreen.

A step is what the Right key does: the step player advances, the six heatmaps reveal one more
column, the prediction curve, the unit line, the value panel and both token strips update, and
the event loop repaints what changed (app.processEvents() with the page shown). Reports wall and
CPU time per step, and for comparison a full repaint of the whole page (grab()) per step and a
newly typed sentence (trace + all views). Last line: p95 wall ms of a step (target: under 16 ms).
"""
import statistics
import time

from gui_bench import gui_app  # (first: it puts the project on sys.path)

SENTENCE = ("although the service was really slow at first, the food was great and the staff "
            "were never rude, not bad at all")


def p95(values):
    return sorted(values)[int(0.95 * (len(values) - 1))]


def main():
    app = gui_app()
    from gui.pages.gates import GatesPage
    page = GatesPage()      # its own defaults: the window's stored settings are not read
    page.resize(1440, 860)
    page.show()
    page.set_sentence(SENTENCE)
    app.processEvents()
    T = len(page.view.ids)
    wall, cpu, full = [], [], []
    for rep in range(6):
        page.player.first()
        app.processEvents()
        for _ in range(T - 1):
            t, c = time.perf_counter(), time.process_time()
            page.player.step_forward()
            app.processEvents()
            if rep:  # the first pass warms up
                wall.append((time.perf_counter() - t) * 1000)
                cpu.append((time.process_time() - c) * 1000)
    for _ in range(2):
        page.player.first()
        for _ in range(T - 1):
            t = time.perf_counter()
            page.player.step_forward()
            page.grab()
            full.append((time.perf_counter() - t) * 1000)
    retrace = []
    for k in range(20):
        t = time.perf_counter()
        page.set_sentence(f"the film was {'never' if k % 2 else 'not'} boring, it was great")
        app.processEvents()
        retrace.append((time.perf_counter() - t) * 1000)
    print(f"{T}-token sentence, LSTM {page.model().model.rnn.hidden_size} units, page 1440x860")
    print(f"step (compute + repaint of what changed): median {statistics.median(wall):.1f} ms, "
          f"p95 {p95(wall):.1f} ms wall; median {statistics.median(cpu):.1f} ms CPU")
    print(f"step + full repaint of the whole page (grab): median {statistics.median(full):.1f} ms")
    print(f"new sentence (trace + all views): median {statistics.median(retrace):.1f} ms")
    print(f"{p95(wall):.1f}")


if __name__ == "__main__":
    main()
