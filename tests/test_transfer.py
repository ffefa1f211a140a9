"""Transfer learning (engine.transfer) and its target task (engine.data.shapes), against torch."""
import io
import math

import pytest
import torch
from torch import nn

from engine.data.shapes import SHAPE_CLASSES, make_shapes, shape_images
from engine.models import MODELS_DIR, LeNet5, build_model, load_checkpoint
from engine.train import TrainConfig, fit
from engine import transfer
from engine.transfer import (CODE_ARCHS, TransferConfig, WeightsError, compare_runs, head_name,
                             last_block_name, layer_states, prepare, trainable_parameters,
                             transfer_code, unfreeze_last_block)

import torchvision  # noqa: E402


def tiny_data(n=64, seed=0):
    train, _, _ = make_shapes(n_train=n, n_test=8, seed=seed)
    return train


def one_step(model, data, lr=1e-2):
    """One fit step over the trainable parameters only (what fit's optimizer holds)."""
    fit(TrainConfig(lr=lr, batch_size=32, epochs=1, max_steps=1, device="cpu"), model, data,
        None, lambda event: None)


def snapshot(model):
    return {n: p.detach().clone() for n, p in model.named_parameters()}


def changed(before, model):
    return {n for n, p in model.named_parameters() if not torch.equal(before[n], p.detach())}


@pytest.fixture(scope="module")
def backbone():
    return transfer.load_backbone()


# -- the shipped backbone ---------------------------------------------------------------------
def test_shipped_backbone_loads_and_knows_digits(backbone):
    path = MODELS_DIR / f"{transfer.BACKBONE}.pt"
    assert path.is_file(), "assets/models/backbone_digits.pt is missing: run scripts/make_backbone.py"
    assert path.stat().st_size < 1_000_000
    model, meta = load_checkpoint(path)
    assert meta["arch"] == "tinyvgg" and meta["accuracy"] > 0.9
    assert "make_backbone" in meta["made_by"]
    out = model(torch.zeros(2, 1, 28, 28))
    assert out.shape == (2, 10)
    assert head_name(backbone) == "classifier.2" and last_block_name(backbone) == "features.7"


# -- prepare: which weights train --------------------------------------------------------------
@pytest.mark.parametrize("mode", ["frozen", "finetune"])
def test_frozen_weights_unchanged_bit_for_bit_after_a_step(backbone, mode):
    model = prepare(backbone, mode, num_classes=8)
    before = snapshot(model)
    one_step(model, tiny_data())
    moved = changed(before, model)
    head = {"classifier.2.weight", "classifier.2.bias"}
    assert head <= moved
    block = {"features.7.weight", "features.7.bias"}
    if mode == "frozen":
        assert moved == head
    else:
        assert moved == head | block           # the last conv and the head, nothing earlier
    for name in ("features.0.weight", "features.2.weight", "features.5.weight"):
        assert torch.equal(model.get_parameter(name), backbone.get_parameter(name))


def test_prepare_copies_and_leaves_the_callers_model_alone(backbone):
    before = snapshot(backbone)
    model = prepare(backbone, "finetune", num_classes=8)
    one_step(model, tiny_data())
    assert changed(before, backbone) == set()
    assert all(p.requires_grad for p in backbone.parameters())
    assert backbone.classifier[-1].out_features == 10 and model.classifier[-1].out_features == 8


def test_scratch_reinitialises_everything_and_trains_all(backbone):
    model = prepare(backbone, "scratch", num_classes=8)
    assert trainable_parameters(model) == sum(p.numel() for p in model.parameters())
    for name, p in backbone.named_parameters():
        if name.endswith("weight") and not name.startswith("classifier"):
            assert not torch.equal(model.get_parameter(name), p), name
    again = prepare(backbone, "scratch", num_classes=8)      # seeded: the same fresh weights
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), again.parameters()))


def test_trainable_parameters_counts_like_torch_and_by_hand():
    lenet = LeNet5(num_classes=10)
    frozen = prepare(lenet, "frozen", num_classes=5)
    assert trainable_parameters(frozen) == sum(p.numel() for p in frozen.parameters()
                                               if p.requires_grad)
    assert trainable_parameters(frozen) == 84 * 5 + 5      # LeNet's head: Linear(84, 5)
    tuned = prepare(lenet, "finetune", num_classes=5)
    # conv2 (6*16*25 + 16) and every fully connected layer after it
    by_hand = 6 * 16 * 25 + 16 + 400 * 120 + 120 + 120 * 84 + 84 + 84 * 5 + 5
    assert trainable_parameters(tuned) == by_hand
    rows = layer_states(tuned)
    assert sum(r.params for r in rows) == sum(p.numel() for p in tuned.parameters())
    assert sum(r.trainable for r in rows) == by_hand
    conv1 = next(r for r in rows if r.name == "features.0")
    assert conv1.kind == "Conv2d" and conv1.params == 6 * 25 + 6 and conv1.frozen


def test_unfreeze_last_block_keeps_the_trained_head(backbone):
    stage1 = prepare(backbone, "frozen", num_classes=8)
    one_step(stage1, tiny_data())
    stage2 = unfreeze_last_block(stage1)
    assert torch.equal(stage2.classifier[-1].weight, stage1.classifier[-1].weight)
    assert trainable_parameters(stage2) == trainable_parameters(
        prepare(backbone, "finetune", num_classes=8))


def test_bad_models_and_modes_raise_readable_errors(backbone):
    headless = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU())
    with pytest.raises(ValueError, match="no head to replace"):
        prepare(headless, "frozen", num_classes=3)
    with pytest.raises(ValueError, match="no convolutional block"):
        prepare(build_model("mlp"), "finetune", num_classes=3)
    with pytest.raises(ValueError, match="Unknown transfer mode"):
        prepare(backbone, "thaw", num_classes=3)
    with pytest.raises(ValueError, match="at least 2 classes"):
        prepare(backbone, "frozen", num_classes=1)


# -- torchvision models (untrained: weights=None, no network) ----------------------------------
def test_resnet18_frozen_and_finetune_with_frozen_batchnorm_in_eval():
    resnet = torchvision.models.resnet18(weights=None, num_classes=10)
    assert head_name(resnet) == "fc" and last_block_name(resnet) == "layer4"
    model = prepare(resnet, "finetune", num_classes=4)
    before = snapshot(model)
    stats = model.layer1[0].bn1.running_mean.clone()
    x = torch.rand(4, 3, 32, 32)
    fit(TrainConfig(lr=1e-2, batch_size=4, epochs=1, max_steps=1, device="cpu"), model,
        torch.utils.data.TensorDataset(x, torch.tensor([0, 1, 2, 3])), None, lambda e: None)
    moved = changed(before, model)
    assert moved and all(n.startswith(("layer4.", "fc.")) for n in moved)
    assert "fc.weight" in moved and "layer4.1.conv2.weight" in moved
    assert torch.equal(model.layer1[0].bn1.running_mean, stats)   # frozen BN kept in eval
    assert not torch.equal(model.layer4[0].bn1.running_mean,
                           resnet.layer4[0].bn1.running_mean)     # trainable BN updates
    expected = sum(p.numel() for p in model.layer4.parameters()) + 512 * 4 + 4
    assert trainable_parameters(model) == expected


def test_vgg16_head_is_classifier_last_and_frozen_trains_only_it():
    vgg = transfer.torchvision_model("vgg16", pretrained=False, device="meta")   # no memory
    assert transfer.total_parameters(vgg) == transfer.total_parameters(
        torchvision.models.vgg16(weights=None))
    model = prepare(vgg, "frozen", num_classes=3)
    assert head_name(model) == "classifier.6" and last_block_name(model) == "features.28"
    assert trainable_parameters(model) == 4096 * 3 + 3
    tuned = prepare(vgg, "finetune", num_classes=3)
    expected = sum(p.numel() for p in tuned.features[28:].parameters()) + sum(
        p.numel() for p in tuned.classifier.parameters())
    assert trainable_parameters(tuned) == expected
    with pytest.raises(ValueError, match="meta"):
        transfer.torchvision_model("vgg16", pretrained=True, device="meta")


# -- the code shown on the page ----------------------------------------------------------------
def _trainable_after(code: str) -> tuple[nn.Module, list]:
    namespace = {}
    exec(compile(code, "<transfer_code>", "exec"), namespace)
    return namespace["model"], namespace["trainable"]


@pytest.mark.parametrize("mode", ["scratch", "frozen", "finetune"])
def test_code_runs_and_trains_what_prepare_trains(backbone, mode):
    torch.manual_seed(0)
    code = transfer_code(mode, "backbone", num_classes=8, epochs=1, n_train=32)
    assert "nn.Linear(model.classifier[-1].in_features, 8)" in code
    assert ("requires_grad = False" in code) == (mode != "scratch")
    model, trainable = _trainable_after(code)
    assert sum(p.numel() for p in trainable) == trainable_parameters(prepare(backbone, mode, 8))
    assert model(torch.rand(1, 1, 28, 28)).shape == (1, 8)


def test_resnet_code_runs_with_untrained_weights():
    code = transfer_code("finetune", "resnet18", num_classes=8, epochs=1, n_train=16,
                         batch_size=8, pretrained=False)
    assert "model.fc = nn.Linear(model.fc.in_features, 8)" in code and "weights=None" in code
    model, trainable = _trainable_after(code)
    reference = prepare(torchvision.models.resnet18(weights=None), "finetune", 8)
    assert sum(p.numel() for p in trainable) == trainable_parameters(reference)


def test_code_table_names_the_head_and_block_prepare_uses(backbone):
    vgg_block = CODE_ARCHS["vgg16"]["block"]
    assert vgg_block == "model.features[28:]"
    assert CODE_ARCHS["backbone"]["block"] == f"model.features[{last_block_name(backbone).split('.')[1]}:]"


# -- the shapes task ---------------------------------------------------------------------------
def test_shapes_are_deterministic_balanced_and_mnist_like():
    train, test, classes = make_shapes(n_train=80, n_test=40, seed=3)
    again, _, _ = make_shapes(n_train=80, n_test=40, seed=3)
    other, _, _ = make_shapes(n_train=80, n_test=40, seed=4)
    x, y = train.tensors
    assert classes == SHAPE_CLASSES and len(classes) == 8
    assert x.shape == (80, 1, 28, 28) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert float(x.min()) >= 0 and float(x.max()) <= 1
    assert torch.equal(x, again.tensors[0]) and torch.equal(y, again.tensors[1])
    assert not torch.equal(x, other.tensors[0])
    assert not torch.equal(x[:40], test.tensors[0])                 # test is another stream
    assert torch.bincount(y, minlength=8).tolist() == [10] * 8
    assert 0.05 < float(x.mean()) < 0.4                               # thin strokes on black


def test_too_few_shapes_is_refused():
    with pytest.raises(ValueError, match="at least 8 images"):
        shape_images(5, seed=0)


# -- the experiment ----------------------------------------------------------------------------
def test_compare_runs_transfer_beats_scratch_with_few_labels():
    torch.set_num_threads(1)
    runs = compare_runs(TransferConfig(n_train=120, n_test=400, epochs=4))
    assert set(runs) == {"scratch", "frozen", "finetune"}
    assert all(len(r.test_accuracy) == 4 and r.steps == 16 for r in runs.values())
    assert runs["frozen"].trainable < runs["finetune"].trainable < runs["scratch"].trainable
    assert runs["frozen"].final_accuracy > runs["scratch"].final_accuracy + 0.05
    assert runs["finetune"].final_accuracy > runs["scratch"].final_accuracy + 0.05


# -- torchvision weights: cache and download (a fake opener; never the network) ----------------
class FakeResponse(io.BytesIO):
    def __init__(self, payload):
        super().__init__(payload)
        self.headers = {"Content-Length": str(len(payload))}


def test_available_pretrained_looks_only_in_the_hub_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    assert transfer.available_pretrained() == []
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "resnet18-f37072fd.pth").write_bytes(b"x")
    assert transfer.available_pretrained() == ["resnet18"]


def test_download_reports_progress_and_renames_into_place(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    payload = bytes(range(256)) * 1000
    seen = []
    path = transfer.download_weights("resnet18", progress=lambda d, t: seen.append((d, t)),
                                     opener=lambda url, timeout: FakeResponse(payload),
                                     check_hash=False)
    assert path.read_bytes() == payload and path.name == "resnet18-f37072fd.pth"
    assert seen[-1] == (len(payload), len(payload)) and len(seen) == math.ceil(len(payload) / 65536)
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def test_download_cancel_offline_and_corrupt_leave_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    fake = lambda url, timeout: FakeResponse(b"0" * 200_000)  # noqa: E731
    with pytest.raises(transfer.DownloadCancelled, match="cancelled"):
        transfer.download_weights("vgg16", cancel=lambda: True, opener=fake)
    with pytest.raises(WeightsError, match="corrupt"):
        transfer.download_weights("vgg16", opener=fake)

    def offline(url, timeout):
        raise transfer.urllib.error.URLError("no route to host")
    with pytest.raises(WeightsError, match="Could not download vgg16-397923af.pth"):
        transfer.download_weights("vgg16", opener=offline)
    assert list((tmp_path / "checkpoints").iterdir()) == []
    with pytest.raises(WeightsError, match="download them first"):
        transfer.torchvision_model("vgg16", pretrained=True)


def test_cached_weights_load_into_torchvision_model(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    torch.manual_seed(1)
    reference = torchvision.models.resnet18(weights=None)
    (tmp_path / "checkpoints").mkdir()
    torch.save(reference.state_dict(), tmp_path / "checkpoints" / "resnet18-f37072fd.pth")
    model = transfer.torchvision_model("resnet18")
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(),
                                                  reference.state_dict().values()))


def test_load_base_and_rgb_adaptor_match_the_code(backbone):
    assert torch.equal(transfer.load_base("backbone").classifier[-1].weight,
                       backbone.classifier[-1].weight)
    data = transfer.as_rgb32(tiny_data(16))
    x = data.tensors[0]
    assert x.shape == (16, 3, 32, 32) and torch.equal(x[:, 0], x[:, 2])
    expected = nn.functional.interpolate(tiny_data(16).tensors[0], size=32).repeat(1, 3, 1, 1)
    assert torch.equal(x, expected)
    with pytest.raises(ValueError, match="Unknown base"):
        transfer.load_base("alexnet")
