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
        kept = [[] for _ in range(gc.get_threshold()[0] + 10)]  # enough to trigger a collection
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


def test_settle_freezes_what_survives_so_later_collections_skip_it(qtbot):
    import gui.gc_guard as gc_guard
    gc_guard.settle()                        # no guard active (as in tests): nothing frozen
    assert gc.get_freeze_count() == 0
    guard = GcGuard(interval_ms=250)
    try:
        garbage = _garbage_cycle()
        kept = _Node()
        gc_guard.settle()
        assert garbage() is None             # collected first, not frozen
        assert gc.get_freeze_count() > 1000  # the interpreter's modules, Qt wrappers, ...
        assert not any(o is kept for o in gc.get_objects())   # frozen: collections skip it
    finally:
        guard.stop()
    assert gc.get_freeze_count() == 0        # stop() gives every object back to the collector
    gc.disable()
