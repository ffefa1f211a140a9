"""The data layer: each source's shapes, dtypes and ranges; finding files; clear errors; download."""
import gzip
import hashlib
import pickle
import struct

import numpy as np
import pytest
import torch

import engine.data as data
from engine.data import (DATASETS, DEBIAN_FASHION_MNIST, DatasetError, describe_dataset,
                         load_dataset)
from engine.data.download import fetch
from engine.data.readers import read_cifar_batch, read_idx


def write_idx(path, array: np.ndarray, compress=True):
    header = struct.pack(">BBBB", 0, 0, 8, array.ndim) + struct.pack(">" + "I" * array.ndim, *array.shape)
    raw = header + array.astype(np.uint8).tobytes()
    if compress:
        with gzip.open(path, "wb") as f:
            f.write(raw)
    else:
        path.write_bytes(raw)


def fake_mnist_folder(folder, n_train=30, n_test=20, train=True):
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    splits = [("t10k", n_test)] + ([("train", n_train)] if train else [])
    for prefix, n in splits:
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28)))
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", np.arange(n) % 10)
    return folder


@pytest.fixture(autouse=True)
def empty_cache(tmp_path, monkeypatch):
    """No test may see (or fill) the user's real download cache."""
    monkeypatch.setattr(data, "CACHE_DIR", tmp_path / "cache")


def check_split(ds, n, shape):
    x, y = ds.tensors
    assert x.shape == (n, *shape) and x.dtype == torch.float32
    assert y.shape == (n,) and y.dtype == torch.int64
    assert float(x.min()) >= 0.0 and float(x.max()) <= 1.0
    assert 0 <= int(y.min()) and int(y.max()) <= 9


def test_idx_folder_with_torchvision_layout_and_subsets(tmp_path):
    raw = fake_mnist_folder(tmp_path / "MNIST" / "raw")
    info = describe_dataset("mnist", tmp_path)
    assert info.source == str(raw) and (info.n_train, info.n_test) == (30, 20)
    d = load_dataset("mnist", tmp_path)
    check_split(d.train, 30, (1, 28, 28))
    check_split(d.test, 20, (1, 28, 28))
    # pixels are uint8 / 255, in file order
    first = read_idx(raw / "train-images-idx3-ubyte.gz")[0]
    assert torch.allclose(d.train.tensors[0][0, 0], torch.from_numpy(first / 255.0).float())
    small = load_dataset("mnist", tmp_path, train_size=12, test_size=5, seed=3)
    check_split(small.train, 12, (1, 28, 28))
    assert small.info.n_train == 12 and len(small.test) == 5
    again = load_dataset("mnist", tmp_path, train_size=12, test_size=5, seed=3)
    assert torch.equal(small.train.tensors[1], again.train.tensors[1])  # seeded, repeatable


def test_t10k_only_folder_is_split_8000_2000(tmp_path):
    fake_mnist_folder(tmp_path, n_test=10000, train=False)
    d = load_dataset("mnist", tmp_path)
    assert (len(d.train), len(d.test)) == (8000, 2000)
    assert "8,000" in d.info.note
    full = read_idx(tmp_path / "t10k-labels-idx1-ubyte.gz")
    assert d.test.tensors[1].tolist() == full[8000:].tolist()


def test_shared_mnist_digits(mnist_dir):
    d = load_dataset("mnist", mnist_dir, train_size=100)
    check_split(d.train, 100, (1, 28, 28))
    assert len(d.test) == 2000


@pytest.mark.skipif(not DEBIAN_FASHION_MNIST.is_dir(), reason="Debian fashion-mnist not installed")
def test_debian_fashion_mnist_found_automatically():
    info = describe_dataset("fashion_mnist")
    assert info.source.startswith(str(DEBIAN_FASHION_MNIST)) and "Debian" in info.source
    d = load_dataset("fashion_mnist", train_size=200, test_size=100)
    check_split(d.train, 200, (1, 28, 28))
    check_split(d.test, 100, (1, 28, 28))
    assert d.info.classes[9] == "Ankle boot" and len(set(d.train.tensors[1].tolist())) == 10


def test_sklearn_digits_upsampled_to_mnist_layout():
    d = load_dataset("sklearn_digits")
    check_split(d.train, 1437, (1, 28, 28))
    check_split(d.test, 360, (1, 28, 28))
    x = d.train.tensors[0]
    # the 8x8 digit fills a 20x20 box centred in 28x28: a 4-pixel empty border, like MNIST
    assert float(x[:, :, :4].abs().max()) == 0 and float(x[:, :, :, -4:].abs().max()) == 0
    assert float(x.max()) > 0.9


def test_generated_digits():
    d = load_dataset("generated", train_size=40, test_size=20, seed=1)
    check_split(d.train, 40, (1, 28, 28))
    check_split(d.test, 20, (1, 28, 28))
    assert not torch.equal(d.train.tensors[0][:20], d.test.tensors[0])  # test digits are new ones


def test_cifar_batches(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]:
        blob = {"data": rng.integers(0, 256, (4, 3072), dtype=np.uint8), "labels": [1, 2, 3, 9]}
        (folder / name).write_bytes(pickle.dumps(blob))
    d = load_dataset("cifar10", tmp_path)
    check_split(d.train, 20, (3, 32, 32))
    check_split(d.test, 4, (3, 32, 32))
    assert d.info.classes[1] == "automobile"
    # a pickle that would run code is refused with a DatasetError, not executed
    (folder / "test_batch").write_bytes(pickle.dumps({"data": print, "labels": []}))
    with pytest.raises(DatasetError, match="not a readable CIFAR-10 batch"):
        read_cifar_batch(folder / "test_batch")


def test_missing_files_name_what_and_how(tmp_path):
    with pytest.raises(DatasetError) as err:
        load_dataset("mnist", tmp_path / "nowhere")
    msg = str(err.value)
    assert "MNIST not found" in msg and "t10k-images-idx3-ubyte.gz" in msg
    assert "nowhere" in msg and "Download" in msg
    with pytest.raises(DatasetError, match="data_batch_1.*Download"):
        load_dataset("cifar10", tmp_path)
    with pytest.raises(DatasetError, match="Unknown dataset"):
        describe_dataset("imagenet")


def test_corrupt_files_give_clear_messages(tmp_path):
    folder = fake_mnist_folder(tmp_path)
    images = folder / "train-images-idx3-ubyte.gz"
    images.write_bytes(images.read_bytes()[:200])          # cut short mid-stream
    with pytest.raises(DatasetError, match="train-images-idx3-ubyte.gz is damaged"):
        load_dataset("mnist", tmp_path)
    images.write_bytes(b"this is not gzip")
    with pytest.raises(DatasetError, match="damaged.*download it again"):
        load_dataset("mnist", tmp_path)
    write_idx(images, np.zeros((30, 28, 28)))
    labels = folder / "train-labels-idx1-ubyte.gz"
    write_idx(labels, np.zeros(29))                         # one label short
    with pytest.raises(DatasetError, match="do not match"):
        load_dataset("mnist", tmp_path)
    plain = tmp_path / "plain"
    plain.write_bytes(struct.pack(">BBBBI", 0, 0, 8, 1, 50) + bytes(10))  # header promises 50
    with pytest.raises(DatasetError, match="promises 50"):
        read_idx(plain)
    plain.write_bytes(b"\x00\x00\x0d\x01abcd")              # float IDX: not MNIST-style
    with pytest.raises(DatasetError, match="not an IDX file of bytes"):
        read_idx(plain)


def test_download_streams_with_progress_and_checks_md5(tmp_path):
    """fetch() over a file:// URL (no network): progress reaches the size, md5 is enforced."""
    src = tmp_path / "src.bin"
    payload = bytes(range(256)) * 1000
    src.write_bytes(payload)
    seen = []
    dest = tmp_path / "out" / "file.bin"
    fetch([src.as_uri()], dest, hashlib.md5(payload).hexdigest(),
          progress=lambda done, total: seen.append((done, total)))
    assert dest.read_bytes() == payload and seen[-1] == (len(payload), len(payload))
    with pytest.raises(DatasetError, match="checksum mismatch"):
        fetch([src.as_uri()], tmp_path / "out" / "bad.bin", "0" * 32)
    assert not (tmp_path / "out" / "bad.bin").exists()
    assert not list((tmp_path / "out").glob("*.part"))


def test_every_dataset_has_ten_named_classes():
    for info in DATASETS.values():
        assert len(info.classes) == 10 and info.input_shape[0] in (1, 3)
