"""The app's garbage-collection guard: no automatic collection, cycles collected on its timer."""
import gc
import weakref

from gui.gc_guard import GcGuard


class _Node:
    pass


def test_guard_disables_automatic_collection_and_collects_on_its_timer(qtbot):
    gc.enable()
    guard = GcGuard(interval_ms=10)
    try:
        assert not gc.isenabled()
        a, b = _Node(), _Node()
        a.other, b.other = b, a            # a cycle only the collector can free
        alive = weakref.ref(a)
        del a, b
        kept = [[] for _ in range(gc.get_threshold()[0] + 10)]  # enough to trigger a collection
        assert alive() is not None          # ... which did not happen on its own
        qtbot.waitUntil(lambda: alive() is None, timeout=5000)
    finally:
        guard.stop()
    assert len(kept) > gc.get_threshold()[0]
    assert gc.isenabled()
    gc.disable()                             # the test session keeps automatic collection off
