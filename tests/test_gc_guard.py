"""The app's garbage-collection guard: no automatic collection, cycles collected by its timer."""
import gc
import weakref

from gui.gc_guard import GcGuard


class _Node:
    pass


def _garbage_cycle() -> weakref.ref:
    a, b = _Node(), _Node()
    a.other, b.other = b, a            # a cycle only the collector can free
    return weakref.ref(a)


def test_guard_disables_automatic_collection_and_its_check_collects(qtbot):
    gc.enable()
    guard = GcGuard(interval_ms=250)
    try:
        assert not gc.isenabled()
        assert guard._timer.isActive() and guard._timer.interval() == 250
        alive = _garbage_cycle()
        kept = [[] for _ in range(gc.get_threshold()[0] * 2)]  # enough to trigger a collection
        assert alive() is not None          # ... which did not happen on its own
        assert guard.check() >= 2           # the timer's slot: generation 0 is over its threshold
        assert alive() is None
        assert len(kept) > gc.get_threshold()[0]
        alive = _garbage_cycle()
        assert guard.check() == 0 and alive() is not None   # under the threshold: nothing yet
    finally:
        guard.stop()
    assert gc.isenabled()
    gc.disable()                             # the test session keeps automatic collection off


def test_settle_collects_only_while_a_guard_is_active(qtbot):
    import gui.gc_guard as gc_guard
    garbage = _garbage_cycle()
    gc_guard.settle()                        # no guard active (as in tests): nothing collected
    assert garbage() is not None
    guard = GcGuard(interval_ms=250)
    try:
        gc_guard.settle()
        assert garbage() is None             # a full collection, whatever the counts
        assert gc.get_freeze_count() == 0    # and nothing frozen away from later collections
    finally:
        guard.stop()
    gc.disable()
