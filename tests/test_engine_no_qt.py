"""engine/ must never import Qt: import every engine module with Qt made unimportable."""
import pkgutil
import subprocess
import sys
from pathlib import Path

import engine

ROOT = Path(__file__).resolve().parent.parent

BLOCKER = r"""
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('PySide6', 'PyQt5', 'PyQt6', 'PySide2', 'pyqtgraph', 'shiboken6'):
            raise ImportError('engine must not import Qt: ' + name)
sys.meta_path.insert(0, Block())
import importlib
for name in sys.argv[1:]:
    importlib.import_module(name)
print('imported', len(sys.argv) - 1)
"""


def engine_modules() -> list[str]:
    names = ["engine"]
    for info in pkgutil.walk_packages(engine.__path__, "engine."):
        names.append(info.name)
    return names


def test_every_engine_module_imports_without_qt():
    names = engine_modules()
    assert "engine.train" in names and "engine.models" in names
    proc = subprocess.run([sys.executable, "-c", BLOCKER, *names], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"imported {len(names)}" in proc.stdout


def test_blocker_really_blocks_qt():
    proc = subprocess.run([sys.executable, "-c", BLOCKER, "PySide6.QtCore"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "engine must not import Qt" in proc.stderr
