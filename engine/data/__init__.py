"""One interface over every image dataset the app trains on.

    data = load_dataset("fashion_mnist", train_size=5000)
    data.train, data.test    # TensorDatasets: float32 images (N, C, H, W), int64 labels (N,)
    data.info                # DatasetInfo: classes, input_shape, source, sizes

Sources (`DATASETS`, in the order the GUI lists them):
- "generated": procedurally drawn digits (engine.data.synth_digits), unlimited, no download.
- "sklearn_digits": scikit-learn's 1,797 8x8 digits (shipped with scikit-learn). Each 8x8 image is
  scaled up to 20x20 and centred in 28x28, the way MNIST was made, so every model here (LeNet needs
  more than 8x8) and the Draw-a-digit page can use a model trained on them.
- "mnist", "fashion_mnist": the standard IDX files (.gz or not) from a folder: the one given as
  `root`, torchvision's layout under the cache folder, and for Fashion-MNIST Debian's
  /usr/share/datasets/fashion-mnist. A folder holding only the t10k files (10,000 images) is
  split into 8,000 training and 2,000 test images (the last 2,000).
- "cifar10": the CIFAR-10 python batches (folder cifar-10-batches-py).
Nothing touches the network unless `engine.data.download.download_dataset` is called.

Normalisation: pixels are scaled to [0, 1] (uint8 / 255, digits / 16) and nothing else: no mean
or std shift, so the image a view shows is exactly the tensor the model sees, and a drawing in
[0, 1] (ink = 1) matches a model trained on MNIST-style data. (For these small nets and Adam the
shift buys little; BatchNorm is there when it matters.) Generated and scikit-learn digits are
white ink on black like MNIST.

Missing or damaged files raise `DatasetError` with a message naming the files and how to get them.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import TensorDataset

from engine.data.download import CACHE_DIR, download_dataset  # noqa: F401  (re-exported)
from engine.data.readers import DatasetError, find_file, idx_length, read_cifar_batch, read_idx

DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")

DIGIT_CLASSES = [str(d) for d in range(10)]
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot"]
CIFAR_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                 "truck"]


@dataclass
class DatasetInfo:
    name: str                        # key in DATASETS, e.g. "fashion_mnist"
    label: str                       # shown in the GUI, e.g. "Fashion-MNIST"
    classes: list[str]               # class names, index = label
    input_shape: tuple[int, int, int]  # (C, H, W) of one image
    source: str = ""                 # where the images come from (a folder, "generated", ...)
    n_train: int = 0                 # training images available (before any subset)
    n_test: int = 0                  # test images available
    downloadable: bool = False       # can download_dataset fetch it
    download_mb: float = 0.0         # size of that download
    note: str = ""                   # anything else worth a line (e.g. "t10k split 8000/2000")

    def meta(self) -> dict:
        """Plain metadata for checkpoints (strings, ints and lists only)."""
        return {"dataset": self.name, "dataset_label": self.label, "classes": list(self.classes),
                "input_shape": list(self.input_shape)}


@dataclass
class LoadedDataset:
    train: TensorDataset             # (N, C, H, W) float32 in [0, 1], (N,) int64
    test: TensorDataset
    info: DatasetInfo = field(repr=False)

    def __iter__(self):  # allows `train, test, info = load_dataset(...)`
        return iter((self.train, self.test, self.info))


DATASETS: dict[str, DatasetInfo] = {
    "generated": DatasetInfo("generated", "Generated digits", DIGIT_CLASSES, (1, 28, 28),
                             "drawn procedurally (no download)", 12000, 2000),
    "sklearn_digits": DatasetInfo("sklearn_digits", "scikit-learn 8x8 digits", DIGIT_CLASSES,
                                  (1, 28, 28), "scikit-learn (bundled)", 1437, 360,
                                  note="8x8 scaled to 20x20, centred in 28x28"),
    "mnist": DatasetInfo("mnist", "MNIST", DIGIT_CLASSES, (1, 28, 28), "", 60000, 10000,
                         downloadable=True, download_mb=11.1),
    "fashion_mnist": DatasetInfo("fashion_mnist", "Fashion-MNIST", FASHION_CLASSES, (1, 28, 28),
                                 "", 60000, 10000, downloadable=True, download_mb=29.5),
    "cifar10": DatasetInfo("cifar10", "CIFAR-10", CIFAR_CLASSES, (3, 32, 32), "", 50000, 10000,
                           downloadable=True, download_mb=162.6),
}

IDX_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
             "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
TORCHVISION_FOLDER = {"mnist": "MNIST", "fashion_mnist": "FashionMNIST"}
CIFAR_FOLDER = "cifar-10-batches-py"
CIFAR_FILES = [f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]
SHARED_TEST_SPLIT = 8000  # a t10k-only folder: images [0, 8000) train, [8000, 10000) test


# -- where the files are -------------------------------------------------------------------------
def search_folders(name: str, root: str | Path | None = None) -> list[Path]:
    """Folders looked in for `name`, first match wins: `root` (and its torchvision subfolders),
    the download cache, and Debian's Fashion-MNIST package."""
    bases = ([Path(root).expanduser()] if root else []) + [CACHE_DIR]
    folders: list[Path] = []
    for base in bases:
        if name == "cifar10":
            folders += [base, base / CIFAR_FOLDER]
        else:
            tv = TORCHVISION_FOLDER[name]
            folders += [base, base / tv / "raw", base / tv]
    if name == "fashion_mnist":
        folders.append(DEBIAN_FASHION_MNIST)
    seen, unique = set(), []
    for f in folders:
        if f not in seen:
            seen.add(f)
            unique.append(f)
    return unique


def _idx_folder(name: str, root) -> tuple[Path, bool]:
    """(folder, has_train_files) of the first folder holding at least the t10k files."""
    for folder in search_folders(name, root):
        if all(find_file(folder, f) for f in IDX_FILES["test"]):
            return folder, all(find_file(folder, f) for f in IDX_FILES["train"])
    label = DATASETS[name].label
    looked = ", ".join(str(f) for f in search_folders(name, root))
    raise DatasetError(
        f"{label} not found: no t10k-images-idx3-ubyte.gz / t10k-labels-idx1-ubyte.gz (and "
        f"train-*.gz) in {looked}. Download it (about {DATASETS[name].download_mb:.0f} MB into "
        f"{CACHE_DIR}) or choose a folder holding the four standard IDX files.")


def _cifar_folder(root) -> Path:
    for folder in search_folders("cifar10", root):
        if all((folder / f).is_file() for f in CIFAR_FILES):
            return folder
    looked = ", ".join(str(f) for f in search_folders("cifar10", root))
    missing = [f for f in CIFAR_FILES if not any((d / f).is_file() for d in search_folders("cifar10", root))]
    raise DatasetError(
        f"CIFAR-10 not found: {', '.join(missing) or 'a complete set of batches'} missing from "
        f"{looked}. Download it (about 163 MB into {CACHE_DIR}) or choose the "
        f"{CIFAR_FOLDER} folder of the python version.")


def describe_dataset(name: str, root: str | Path | None = None) -> DatasetInfo:
    """The dataset's info with `source` and sizes filled in, without reading the images.
    Raises DatasetError when its files are not found (cheap: only checks that files exist)."""
    if name not in DATASETS:
        raise DatasetError(f"Unknown dataset {name!r}; choose one of {', '.join(DATASETS)}.")
    info = DATASETS[name]
    if name == "generated":
        _synth()  # raises if the generator is missing
        return info
    if name == "sklearn_digits":
        return info
    if name == "cifar10":
        return replace(info, source=str(_cifar_folder(root)))
    folder, has_train = _idx_folder(name, root)
    source = str(folder) + (" (Debian package)" if folder == DEBIAN_FASHION_MNIST else "")
    n_test = idx_length(find_file(folder, IDX_FILES["test"][0]))  # header only: cheap
    if has_train:
        n_train = idx_length(find_file(folder, IDX_FILES["train"][0]))
        return replace(info, source=source, n_train=n_train, n_test=n_test)
    split = min(SHARED_TEST_SPLIT, n_test * 4 // 5)
    return replace(info, source=source, n_train=split, n_test=n_test - split,
                   note=f"t10k files only: first {split:,} train, last {n_test - split:,} test")


def available(name: str, root: str | Path | None = None) -> bool:
    try:
        describe_dataset(name, root)
        return True
    except DatasetError:
        return False


# -- loading -------------------------------------------------------------------------------------
def load_dataset(name: str, root: str | Path | None = None, train_size: int | None = None,
                 test_size: int | None = None, seed: int = 0) -> LoadedDataset:
    """Train and test sets as TensorDatasets (see the module docstring).

    train_size / test_size: keep a random subset of that many images (seeded by `seed`) for
    fast classroom demos; None keeps all (for "generated": the default 12,000 / 2,000)."""
    info = describe_dataset(name, root)
    if name == "generated":
        make = _synth()
        n_train, n_test = train_size or info.n_train, test_size or info.n_test
        xtr, ytr = make(n_train, seed=seed)
        xte, yte = make(n_test, seed=seed + 1_000_003)  # a different stream: unseen test digits
        train, test = _as_tensors(xtr, ytr), _as_tensors(xte, yte)
        return LoadedDataset(train, test, replace(info, n_train=n_train, n_test=n_test))
    if name == "sklearn_digits":
        x, y = _sklearn_digits()
        train, test = _split(x, y, info.n_test, seed=0)
    elif name == "cifar10":
        train, test = _load_cifar(_cifar_folder(root))
    else:
        train, test = _load_idx(name, _idx_folder(name, root)[0])
    train = _subset(train, train_size, seed)
    test = _subset(test, test_size, seed + 1)
    return LoadedDataset(train, test, replace(info, n_train=len(train), n_test=len(test)))


def _synth():
    try:
        from engine.data.synth_digits import make_synth_digits
    except ImportError as exc:
        raise DatasetError("Generated digits need engine/data/synth_digits.py, which this "
                           "version lacks.") from exc
    return make_synth_digits


def _as_tensors(x, y) -> TensorDataset:
    x = torch.as_tensor(np.ascontiguousarray(x, dtype=np.float32))
    y = torch.as_tensor(np.asarray(y, dtype=np.int64))
    if x.ndim == 3:
        x = x.unsqueeze(1)  # (N, H, W) -> (N, 1, H, W)
    return TensorDataset(x, y)


def _subset(data: TensorDataset, size: int | None, seed: int) -> TensorDataset:
    n = len(data)
    if size is None or size >= n:
        return data
    if size < 1:
        raise DatasetError(f"A subset needs at least one image (asked for {size}).")
    idx = torch.randperm(n, generator=torch.Generator().manual_seed(seed))[:size]
    idx, _ = idx.sort()
    return TensorDataset(*(t[idx] for t in data.tensors))


def _split(x: np.ndarray, y: np.ndarray, n_test: int, seed: int):
    order = np.random.default_rng(seed).permutation(len(x))
    test_idx, train_idx = np.sort(order[:n_test]), np.sort(order[n_test:])
    return _as_tensors(x[train_idx], y[train_idx]), _as_tensors(x[test_idx], y[test_idx])


def _sklearn_digits() -> tuple[np.ndarray, np.ndarray]:
    """(1797, 1, 28, 28) float32 in [0, 1]: 8x8 scaled to 20x20 (bilinear), centred in 28x28."""
    from sklearn.datasets import load_digits
    digits = load_digits()
    x = torch.as_tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0  # (N, 1, 8, 8)
    x = torch.nn.functional.interpolate(x, size=(20, 20), mode="bilinear", align_corners=False)
    x = torch.nn.functional.pad(x, (4, 4, 4, 4)).clamp_(0, 1)                  # (N, 1, 28, 28)
    return x.numpy(), digits.target.astype(np.int64)


def _read_pair(folder: Path, images: str, labels: str) -> tuple[np.ndarray, np.ndarray]:
    x = read_idx(find_file(folder, images))
    y = read_idx(find_file(folder, labels))
    if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
        raise DatasetError(f"{images} and {labels} in {folder} do not match: images {x.shape}, "
                           f"labels {y.shape}. Download the dataset again.")
    if y.max(initial=0) > 9:
        raise DatasetError(f"{labels} in {folder} holds labels above 9; it is not MNIST-style.")
    return x, y


def _load_idx(name: str, folder: Path) -> tuple[TensorDataset, TensorDataset]:
    xte, yte = _read_pair(folder, *IDX_FILES["test"])
    if all(find_file(folder, f) for f in IDX_FILES["train"]):
        xtr, ytr = _read_pair(folder, *IDX_FILES["train"])
    else:  # t10k only: the first 8,000 train, the last 2,000 stay held out for testing
        split = min(SHARED_TEST_SPLIT, len(xte) * 4 // 5)
        xtr, ytr, xte, yte = xte[:split], yte[:split], xte[split:], yte[split:]
    return _scale_uint8(xtr, ytr), _scale_uint8(xte, yte)


def _scale_uint8(x: np.ndarray, y: np.ndarray) -> TensorDataset:
    images = torch.from_numpy(np.array(x, dtype=np.uint8)).unsqueeze(1).float().div_(255.0)
    return TensorDataset(images, torch.from_numpy(y.astype(np.int64)))


def _load_cifar(folder: Path) -> tuple[TensorDataset, TensorDataset]:
    parts = [read_cifar_batch(folder / f"data_batch_{k}") for k in range(1, 6)]
    xtr = np.concatenate([p[0] for p in parts])
    ytr = np.concatenate([p[1] for p in parts])
    xte, yte = read_cifar_batch(folder / "test_batch")
    to = lambda x: torch.from_numpy(x).float().div_(255.0)  # noqa: E731  (N, 3, 32, 32)
    return TensorDataset(to(xtr), torch.from_numpy(ytr)), TensorDataset(to(xte), torch.from_numpy(yte))
