"""engine.files.atomic_write: a failed write leaves the previous file exactly as it was."""
import os
import stat
import tempfile

import pytest

from engine.files import FileWriteError, atomic_write


def write_text(text):
    def write(path):
        path.write_text(text)
    return write


def test_writes_and_replaces(tmp_path):
    target = tmp_path / "a.txt"
    assert atomic_write(target, write_text("one")) == target
    assert target.read_text() == "one"
    atomic_write(target, write_text("two"))
    assert target.read_text() == "two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]   # no temporary left


def test_new_file_gets_the_usual_permissions(tmp_path):
    umask = os.umask(0)
    os.umask(umask)
    target = atomic_write(tmp_path / "b.txt", write_text("x"))
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


def test_failing_write_keeps_the_previous_file(tmp_path):
    target = tmp_path / "c.txt"
    target.write_text("precious")

    def half_then_fail(path):
        path.write_text("half")
        raise OSError(28, "No space left on device")

    with pytest.raises(FileWriteError) as info:
        atomic_write(target, half_then_fail)
    assert target.read_text() == "precious"
    assert str(info.value) == ("Could not write c.txt: no space left on device "
                               "(the previous file is unchanged).")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.txt"]


def make_read_only(folder, monkeypatch):
    """chmod the folder read-only; as root (who may write anyway) also refuse new files in it
    the way the kernel would for anyone else."""
    folder.chmod(0o555)
    if os.geteuid() == 0:
        real = tempfile.mkstemp

        def refused(*args, dir=None, **kwargs):
            if dir is not None and os.path.samefile(dir, folder):
                raise PermissionError(13, "Permission denied", str(folder))
            return real(*args, dir=dir, **kwargs)
        monkeypatch.setattr(tempfile, "mkstemp", refused)


def test_read_only_folder(tmp_path, monkeypatch):
    folder = tmp_path / "ro"
    folder.mkdir()
    target = folder / "d.txt"
    target.write_text("precious")
    make_read_only(folder, monkeypatch)
    try:
        with pytest.raises(FileWriteError) as info:
            atomic_write(target, write_text("new"))
    finally:
        folder.chmod(0o755)
    assert target.read_text() == "precious"
    assert str(info.value) == (f"Could not write d.txt in {folder}: permission denied "
                               "(the previous file is unchanged).")


def test_missing_folder_and_a_folder_as_target(tmp_path):
    with pytest.raises(FileWriteError, match="nothing was written"):
        atomic_write(tmp_path / "nope" / "e.txt", write_text("x"))
    with pytest.raises(FileWriteError, match="is a folder"):
        atomic_write(tmp_path, write_text("x"))
