"""No attribute of a Qt subclass in gui/ may hide a method of its Qt (or pyqtgraph) base.

`CellNumbers` once set `self.shape = (h, w)`, which hid `QGraphicsItem.shape()`; Qt calls
`shape()` from C++ when a mouse press is delivered, got a tuple, and the process died with a
segmentation fault and no traceback. The same goes for `type`, `rect`, `pos`, `scene`, `font`,
`data`, `update`, ...: any name the base class defines as a method. This test reads every class
of gui/ (ast), imports it, and checks each `self.<name> = ...` and each class-level value against
the methods its non-project bases define.
"""
from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

GUI = Path(__file__).resolve().parent.parent / "gui"


def _modules() -> list[str]:
    return sorted(".".join(p.relative_to(GUI.parent).with_suffix("").parts)
                  for p in GUI.rglob("*.py") if p.name != "__main__.py")


def _assigned_names(node: ast.ClassDef) -> dict[str, int]:
    """Names the class gives a value (not a def): `self.x = ...` in its methods, `x = ...` in
    its body; name -> line."""
    names: dict[str, int] = {}
    for item in node.body:
        targets = []
        if isinstance(item, ast.Assign):
            targets = item.targets
        elif isinstance(item, ast.AnnAssign) and item.value is not None:
            targets = [item.target]
        for t in targets:
            for sub in ast.walk(t):
                if isinstance(sub, ast.Name):
                    names.setdefault(sub.id, item.lineno)
    for fn in (n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
        for sub in ast.walk(fn):
            targets = []
            if isinstance(sub, ast.Assign):
                targets = sub.targets
            elif isinstance(sub, (ast.AugAssign, ast.AnnAssign)):
                targets = [sub.target]
            for t in targets:
                for el in ast.walk(t):
                    if (isinstance(el, ast.Attribute) and isinstance(el.value, ast.Name)
                            and el.value.id == "self"):
                        names.setdefault(el.attr, sub.lineno)
    return names


def _foreign_methods(cls: type) -> dict[str, str]:
    """Methods defined by the bases that are not the project's own: name -> defining class."""
    methods: dict[str, str] = {}
    for base in cls.__mro__[1:]:
        if base is object or base.__module__.split(".")[0] == "gui":
            continue
        for name, value in vars(base).items():
            if name.startswith("__"):
                continue
            if callable(value) or isinstance(value, (staticmethod, classmethod, property)):
                methods.setdefault(name, f"{base.__module__}.{base.__qualname__}")
    return methods


def _qt_classes():
    from PySide6.QtCore import QObject
    from PySide6.QtWidgets import QGraphicsItem
    found = []
    for module_name in _modules():
        module = importlib.import_module(module_name)
        tree = ast.parse(inspect.getsource(module))
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            cls = getattr(module, node.name, None)
            if isinstance(cls, type) and issubclass(cls, (QObject, QGraphicsItem)):
                found.append((module_name, cls, node))
    return found


def test_the_scan_finds_the_project_qt_classes():
    names = {cls.__name__ for _m, cls, _n in _qt_classes()}
    # the scan must see the classes a click reaches, or it proves nothing
    assert {"MatrixView", "CellNumbers", "CellCover", "PixelImage", "MainWindow"} <= names


def test_a_shadowing_attribute_is_found():
    """The check itself: a class that hides QGraphicsItem.shape() is reported."""
    import pyqtgraph as pg
    src = "class Bad:\n    def __init__(self):\n        self.shape = (0, 0)\n        self.ok = 1\n"
    node = ast.parse(src).body[0]
    assigned = _assigned_names(node)
    clashes = set(assigned) & set(_foreign_methods(type("Bad", (pg.GraphicsObject,), {})))
    assert clashes == {"shape"}


@pytest.mark.parametrize("module_name, cls, node",
                         [pytest.param(*c, id=f"{c[0]}.{c[1].__name__}") for c in _qt_classes()])
def test_no_attribute_hides_a_qt_method(module_name, cls, node):
    foreign = _foreign_methods(cls)
    clashes = {name: (line, foreign[name]) for name, line in _assigned_names(node).items()
               if name in foreign}
    assert not clashes, (
        f"{module_name}.{cls.__name__} assigns attributes that hide methods of its Qt base "
        f"(Qt calls them from C++ and crashes): "
        + ", ".join(f"{n} (line {line}, hides {where}.{n})" for n, (line, where) in clashes.items()))
