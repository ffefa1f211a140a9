"""Writing files so that a failure never destroys the previous one.

`atomic_write(path, write_fn)` has `write_fn` write a temporary file in the same folder, then
renames it over `path` with `os.replace` (atomic on POSIX and Windows when both names are on
one file system, which the same folder guarantees). A write that fails half-way (disk full,
permission denied, an exception in `write_fn`) removes the temporary file, leaves the previous
file as it was, and raises `FileWriteError` with one sentence saying why.
`copy_in_chunks` is the loop of every download: chunk by chunk, with progress and a cancel.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable


class FileWriteError(OSError):
    """A file that could not be written; the message says why, for the user."""


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc) or type(exc).__name__


def _default_mode() -> int:
    """What `open(path, "w")` would give a new file (mkstemp's own is owner-only)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: str | Path, write_fn: Callable[[Path], None]) -> Path:
    """Write `path` through `write_fn(temporary_path)`; returns `path` as a Path."""
    path = Path(path).expanduser()
    folder = path.parent if str(path.parent) else Path(".")
    existed = path.exists()
    kept = "the previous file is unchanged" if existed else "nothing was written"
    if path.is_dir():
        raise FileWriteError(f"Could not write {path}: it is a folder.")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:   # no such folder, or no permission to write in it
        raise FileWriteError(f"Could not write {path.name} in {folder}: {_reason(exc)} "
                             f"({kept}).") from exc
    os.close(handle)
    temporary = Path(temporary)
    try:
        write_fn(temporary)
        with open(temporary, "rb") as written:   # on disk before the rename, not in a cache
            os.fsync(written.fileno())
        os.chmod(temporary, path.stat().st_mode & 0o777 if existed else _default_mode())
        os.replace(temporary, path)
    except Exception as exc:
        temporary.unlink(missing_ok=True)
        raise FileWriteError(f"Could not write {path.name}: {_reason(exc)} ({kept}).") from exc
    return path


CHUNK = 1 << 16


def copy_in_chunks(response, out, digest, progress: Callable[[int, int], None] | None = None,
                   should_stop: Callable[[], bool] | None = None) -> bool:
    """Copy an HTTP response (anything with `.read(n)` and `.headers`) into the open file
    `out`, feeding each chunk to `digest` (a hashlib object) and calling
    `progress(done_bytes, total_bytes)` after it (total 0 when the server does not say).
    Returns False as soon as `should_stop()` is true (the caller removes the partial file),
    True once the whole response is copied."""
    total = int(response.headers.get("Content-Length") or 0)
    done = 0
    while chunk := response.read(CHUNK):
        if should_stop is not None and should_stop():
            return False
        out.write(chunk)
        digest.update(chunk)
        done += len(chunk)
        if progress is not None:
            progress(done, total)
    return True
