"""`StateParts`: one page (or panel) state made of the states of its parts.

A part is anything with `state() -> dict`, `apply_state(dict)` (raising `StateError`, changing
nothing, on a bad value), `reset()` and `controls() -> dict`: a shared widget (the input box,
the kernel editor, the geometry form), a panel, or `BoundPart(bindings)` for a page's own
settings. Applying a state applies each part in order; when a later part refuses its value, the
parts already applied get their previous state back, so a bad lesson slide changes nothing.
"""
from __future__ import annotations

from gui.bind import Bindings, StateError


class BoundPart:
    """A `Bindings` as a part."""

    def __init__(self, bind: Bindings):
        self.bind = bind

    def state(self) -> dict:
        return self.bind.to_dict()

    def apply_state(self, state: dict) -> None:
        if not isinstance(state, dict):
            raise StateError("settings", "needs a table of settings")
        self.bind.apply(state)

    def reset(self) -> None:
        self.bind.reset()

    def controls(self) -> dict:
        return self.bind.widgets()


class StateParts:
    def __init__(self, parts: dict[str, object]):
        self.parts = parts          # name -> part, applied in this order

    def state(self) -> dict:
        return {name: part.state() for name, part in self.parts.items()}

    def apply_state(self, state: dict) -> None:
        """Apply the parts named in `state`; StateError("part.field", ...) and nothing changed
        when one of them cannot be applied."""
        if not isinstance(state, dict):
            raise StateError("state", "needs a table of settings")
        for name in state:
            if name not in self.parts:
                raise StateError(name, "is not a part of this page (a newer version?)")
        before = self.state()
        done = []
        try:
            for name, part in self.parts.items():
                if name in state:
                    if not isinstance(state[name], dict):
                        raise StateError(name, f"needs a table of settings, got {state[name]!r}")
                    part.apply_state(state[name])
                    done.append(name)
        except StateError as e:
            failed = name
            for done_name in reversed(done):
                self.parts[done_name].apply_state(before[done_name])
            field = e.field if e.field == failed or e.field.startswith(f"{failed}.") else \
                f"{failed}.{e.field}"
            raise StateError(field, e.message) from None

    def reset(self) -> None:
        for part in self.parts.values():
            part.reset()

    def controls(self) -> dict:
        return {f"{name}.{key}": widget for name, part in self.parts.items()
                for key, widget in part.controls().items()}


class PartsState:
    """`state()` / `apply_state()` / `reset()` / `controls()` of a panel through its
    `self.parts` (a StateParts). While the parts change, `self._quiet` is True, so the panel's
    own change handlers wait; then `refresh_after_state(restored)` updates it once (restored:
    a state was applied, False: back to the defaults). List it before the Qt base class."""

    _quiet = False

    def state(self) -> dict:
        return self.parts.state()

    def apply_state(self, state: dict) -> None:
        self._changing(lambda: self.parts.apply_state(state), restored=True)

    def reset(self) -> None:
        self._changing(self.parts.reset, restored=False)

    def controls(self) -> dict:
        return self.parts.controls()

    def _changing(self, change, restored: bool) -> None:
        self._quiet = True
        try:
            change()
        finally:
            self._quiet = False
            self.refresh_after_state(restored)

    def refresh_after_state(self, restored: bool) -> None:
        raise NotImplementedError

