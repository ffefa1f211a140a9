"""Download MNIST, Fashion-MNIST and CIFAR-10 into the cache folder, only when the user asks.

The file names, mirrors and MD5 sums are torchvision's own (`torchvision.datasets.MNIST.resources`
and friends), and the files land in torchvision's folder layout under `CACHE_DIR`, so
`torchvision.datasets.MNIST(CACHE_DIR)` would read them too. The download streams in chunks and
reports `progress(done_bytes, total_bytes)`, and `should_stop()` can cancel it between chunks;
both are plain callables, so a GUI worker thread can drive it without this module knowing Qt.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from engine.data.readers import DatasetError
from engine.files import copy_in_chunks

# Where downloads go: $STRIDES_GATES_CACHE, else ~/.cache/strides-gates (XDG_CACHE_HOME respected).
CACHE_DIR = Path(os.environ.get("STRIDES_GATES_CACHE") or
                 Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "strides-gates")


@dataclass
class Resource:
    urls: list[str]      # mirrors tried in order
    filename: str        # file name in the target folder
    md5: str             # expected checksum of the downloaded file
    folder: str          # folder under the cache root (torchvision's layout)


def resources(name: str) -> list[Resource]:
    """What to fetch for a dataset, from torchvision's own tables (imported lazily: it is slow)."""
    from torchvision import datasets as tv
    if name in ("mnist", "fashion_mnist"):
        cls = tv.MNIST if name == "mnist" else tv.FashionMNIST
        folder = f"{cls.__name__}/raw"
        return [Resource([m + fn for m in cls.mirrors], fn, md5, folder) for fn, md5 in cls.resources]
    if name == "cifar10":
        return [Resource([tv.CIFAR10.url], tv.CIFAR10.filename, tv.CIFAR10.tgz_md5, ".")]
    raise DatasetError(f"{name!r} is not a dataset that can be downloaded.")


class DownloadCancelled(Exception):
    """The user cancelled; partial files were removed."""


def fetch(urls: list[str], dest: Path, md5: str | None,
          progress: Callable[[int, int], None] | None = None,
          should_stop: Callable[[], bool] | None = None, timeout: float = 30.0) -> Path:
    """Stream the first working URL into `dest` (via a .part file), checking its MD5."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    errors = []
    for url in urls:
        try:
            digest = hashlib.md5()
            with urllib.request.urlopen(url, timeout=timeout) as response, open(part, "wb") as out:
                if not copy_in_chunks(response, out, digest, progress, should_stop):
                    raise DownloadCancelled(f"Download of {dest.name} cancelled.")
            if md5 and digest.hexdigest() != md5:
                errors.append(f"{url}: checksum mismatch")
                continue
            part.replace(dest)
            return dest
        except DownloadCancelled:
            part.unlink(missing_ok=True)
            raise
        except (urllib.error.URLError, OSError, ValueError) as exc:
            errors.append(f"{url}: {getattr(exc, 'reason', exc)}")
        finally:
            if part.exists() and not dest.exists():
                part.unlink(missing_ok=True)
    raise DatasetError(f"Could not download {dest.name}: " + "; ".join(errors) +
                       ". Check the network connection, or copy the file into " + str(dest.parent))


def download_dataset(name: str, root: Path | None = None,
                     progress: Callable[[int, int, str], None] | None = None,
                     should_stop: Callable[[], bool] | None = None) -> Path:
    """Fetch `name` into `root` (default CACHE_DIR); progress(done, total, file name) per chunk.
    Files already there with the right checksum are kept. Returns the root folder."""
    root = Path(root or CACHE_DIR)
    for res in resources(name):
        dest = root / res.folder / res.filename
        if dest.is_file() and _md5(dest) == res.md5:
            continue
        report = None if progress is None else (
            lambda done, total, fn=res.filename: progress(done, total, fn))
        fetch(res.urls, dest, res.md5, report, should_stop)
        if dest.name.endswith(".tar.gz"):
            _extract(dest, root)
    return root


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _extract(archive: Path, root: Path) -> None:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(root, filter="data")  # "data": no absolute paths, links or devices
    except (tarfile.TarError, OSError, EOFError) as exc:
        shutil.rmtree(root / "cifar-10-batches-py", ignore_errors=True)
        raise DatasetError(f"{archive} could not be unpacked ({exc}). Delete it and download "
                           "again.") from exc
