"""Generated digits, MNIST-style preprocessing, CNN inspection and the shipped digit model."""
import numpy as np
import pytest
import torch

from engine.data.synth_digits import make_synth_digits
from engine.digits import centre_of_mass, preprocess, preprocess_stages, read_mnist_idx
from engine.inspect import analyse, conv_taps, feature_maps, grad_cam, saliency
from engine.models import CifarNet, LeNet5, TinyVGG, MLP, load_pretrained


def _bar_drawing(h=300, w=200, r0=40, r1=240, c0=90, c1=130):
    img = np.zeros((h, w), np.float32)
    img[r0:r1, c0:c1] = 1.0
    return img


def _com(img):
    return np.array(centre_of_mass(np.asarray(img)))


# --- generated digits -----------------------------------------------------------------------

def test_synth_digits_shapes_ranges_and_classes():
    x, y = make_synth_digits(200, seed=3)
    assert x.shape == (200, 1, 28, 28) and x.dtype == np.float32
    assert y.shape == (200,) and y.dtype == np.int64
    assert x.min() >= 0 and x.max() <= 1 and x.max() == pytest.approx(1.0)
    assert np.array_equal(np.bincount(y, minlength=10), np.full(10, 20))
    # every digit has ink, inside the 28x28 field with an empty border like MNIST
    assert (x.sum((1, 2, 3)) > 20).all()
    assert x[:, 0, 0, :].max() == 0 and x[:, 0, :, 0].max() == 0


def test_synth_digits_are_centred_like_mnist():
    x, _ = make_synth_digits(300, seed=1)
    coms = np.array([_com(im[0]) for im in x])
    assert np.allclose(coms.mean(0), 14.0, atol=0.15)
    assert np.abs(coms - 14.0).max() <= 1.0 + 0.05     # the default random shift is +-1 pixel
    # the ink's bounding box (pen included) is at most 20 pixels on its longer side, as in MNIST
    for im in x[:50, 0]:
        rows, cols = np.flatnonzero(im.max(1) > 0.5), np.flatnonzero(im.max(0) > 0.5)
        assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 <= 21


def test_synth_digits_deterministic_by_seed():
    a, ya = make_synth_digits(50, seed=7)
    b, yb = make_synth_digits(50, seed=7)
    c, _ = make_synth_digits(50, seed=8)
    assert np.array_equal(a, b) and np.array_equal(ya, yb)
    assert not np.array_equal(a, c)


# --- preprocessing ----------------------------------------------------------------------------

def test_preprocess_bar_keeps_aspect_and_centres_mass():
    stages = preprocess_stages(_bar_drawing())       # a 200 x 40 bar: 5:1
    assert not stages.empty
    assert stages.bbox == (40, 90, 240, 130)
    assert stages.cropped.shape == (200, 40)
    assert stages.scaled.shape == (20, 20) and stages.centred.shape == (28, 28)
    assert stages.scale == pytest.approx(0.1)
    rows = np.flatnonzero(stages.scaled.max(1) > 0.5)
    cols = np.flatnonzero(stages.scaled.max(0) > 0.5)
    assert rows[-1] - rows[0] + 1 == 20 and cols[-1] - cols[0] + 1 == 4   # 20 x 4: aspect kept
    assert np.allclose(_com(stages.centred), 14.0, atol=0.5)
    x = preprocess(_bar_drawing())
    assert isinstance(x, torch.Tensor) and x.shape == (1, 28, 28) and x.dtype == torch.float32
    assert np.allclose(x[0].numpy(), stages.centred)
    assert stages.centred.sum() == pytest.approx(stages.scaled.sum(), rel=1e-5)  # nothing cut off


def test_preprocess_square_worked_example():
    """A filled 100x100 square: scaled to 20x20 ones, whose centre of mass (9.5, 9.5) sits at
    (13.5, 13.5) in the 28x28 field; half a pixel down and right (bilinear) puts it on
    (14, 14): half-ink rows and columns at the edges, a quarter in the top-left corner."""
    img = np.zeros((200, 200), np.float32)
    img[50:150, 30:130] = 1
    stages = preprocess_stages(img)
    assert stages.cropped.shape == (100, 100) and np.allclose(stages.scaled, 1.0)
    expected = np.zeros((28, 28), np.float32)
    expected[4:25, 4:25] = 0.5
    expected[5:24, 5:24] = 1.0
    expected[4, 4] = expected[4, 24] = expected[24, 4] = expected[24, 24] = 0.25
    assert np.allclose(stages.centred, expected, atol=1e-6)


def test_preprocess_lopsided_drawing_centres_mass_not_box():
    # an L shape: heavy at the bottom, so its centre of mass is not the box centre
    img = np.zeros((120, 120), np.float32)
    img[10:110, 20:30] = 1
    img[100:110, 20:100] = 1
    stages = preprocess_stages(img)
    com = _com(stages.centred)
    assert np.allclose(com, 14.0, atol=0.5)
    rows = np.flatnonzero(stages.centred.max(1) > 0.3)
    assert (rows[0] + rows[-1]) / 2 < 14.0 - 1   # the box itself sits off-centre (mass at the foot)


def test_preprocess_is_translation_and_scale_invariant():
    small = np.zeros((100, 100), np.float32)
    small[20:50, 30:45] = 1
    small[45:50, 30:60] = 1
    big = np.zeros((400, 300), np.float32)
    big[200:320, 100:160] = 1
    big[300:320, 100:220] = 1
    a, b = preprocess(small)[0].numpy(), preprocess(big)[0].numpy()
    assert np.abs(a - b).max() < 0.15


def test_preprocess_empty_drawing():
    stages = preprocess_stages(np.zeros((280, 280), np.float32))
    assert stages.empty and stages.bbox is None
    assert stages.centred.shape == (28, 28) and stages.centred.max() == 0
    x = preprocess(np.zeros((50, 60)))
    assert x.shape == (1, 28, 28) and float(x.abs().sum()) == 0


def test_preprocess_rejects_non_2d():
    with pytest.raises(ValueError):
        preprocess(np.zeros((3, 28, 28)))


def test_read_mnist_idx_rejects_garbage(tmp_path):
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(b"not an idx file at all")
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(b"nope")
    with pytest.raises(ValueError):
        read_mnist_idx(tmp_path)
    with pytest.raises(FileNotFoundError):
        read_mnist_idx(tmp_path / "missing")


# --- inspection -------------------------------------------------------------------------------

@pytest.fixture
def lenet():
    torch.manual_seed(0)
    return LeNet5(batchnorm=True).eval()


def test_feature_maps_shapes_and_values(lenet):
    x = preprocess(_bar_drawing())
    maps = feature_maps(lenet, x)
    assert [name for name, _ in maps] == ["conv1", "conv2"]
    assert maps[0][1].shape == (6, 28, 28) and maps[1][1].shape == (16, 10, 10)
    assert all(m.min() >= 0 for _, m in maps)                        # after ReLU
    expected = lenet.features[:3](x[None])[0].detach().numpy()          # conv, BN, ReLU
    assert np.allclose(maps[0][1], expected, atol=1e-6)
    tiny = TinyVGG(hidden=4).eval()
    assert [m.shape for _, m in feature_maps(tiny, x)] == [(4, 28, 28), (4, 28, 28), (4, 14, 14),
                                                          (4, 14, 14)]
    assert feature_maps(MLP(), x) == []


def test_saliency_is_input_gradient_magnitude(lenet):
    x = preprocess(_bar_drawing())
    sal = saliency(lenet, x, target=3)
    assert all(p.grad is None for p in lenet.parameters())
    xr = x[None].clone().requires_grad_(True)
    lenet(xr)[0, 3].backward()
    assert sal.shape == (28, 28)
    assert np.allclose(sal, xr.grad[0, 0].abs().numpy(), atol=1e-6)
    assert sal.min() >= 0 and sal.max() > 0


def test_grad_cam_nonnegative_and_upsampled(lenet):
    x = preprocess(_bar_drawing())
    cam = grad_cam(lenet, x, target=1)
    assert cam.shape == (28, 28) and cam.dtype == np.float32
    assert cam.min() >= 0 and cam.max() <= 1 + 1e-6
    # the model's parameters collect no gradient, and its mode is kept
    lenet.train()
    result = analyse(lenet, x, "gradcam")
    assert lenet.training
    assert all(p.grad is None for p in lenet.parameters())
    assert result.probs.shape == (10,) and result.probs.sum() == pytest.approx(1.0, abs=1e-5)
    assert result.target == int(result.probs.argmax())


def _textbook_grad_cam(model, x, target):
    """Grad-CAM as Selvaraju et al. describe it, one full forward and backward: the last conv
    layer's activation (after ReLU), weighted by its gradient's spatial mean, summed, ReLU,
    upsampled, scaled to a peak of 1."""
    xr = x[None].clone().requires_grad_(True)
    last = model.features[:7](xr)                       # LeNet-5: conv, BN, ReLU, pool, conv, BN, ReLU
    last.retain_grad()
    logits = model.classifier(model.features[7:](last))
    logits[0, target].backward()
    cam = torch.relu((last.grad.mean((2, 3), keepdim=True) * last).sum(1, keepdim=True))
    cam = torch.nn.functional.interpolate(cam, size=(28, 28), mode="bilinear", align_corners=False)
    return (cam / cam.max())[0, 0].detach().numpy()


@pytest.mark.parametrize("target", [1, 7])
def test_grad_cam_equals_the_textbook_computation(lenet, target):
    x = preprocess(_bar_drawing())
    cam = grad_cam(lenet, x, target=target)
    assert np.allclose(cam, _textbook_grad_cam(lenet, x, target), atol=1e-6)
    # the feature maps and probabilities of the same call are those of a plain forward
    result = analyse(lenet, x, "gradcam", target=target)
    assert np.allclose(result.feature_maps[1][1], lenet.features[:7](x[None])[0].detach().numpy(),
                       atol=1e-6)
    assert np.allclose(result.probs, torch.softmax(lenet(x[None]), 1)[0].detach().numpy(),
                       atol=1e-6)


def _trained_statistics(model):
    """Batch-norm statistics and weights away from their defaults (a freshly made model's
    running mean 0 and variance 1 would hide a fold that ignores them)."""
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
                m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.3)
                m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                m.weight.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.num_features, generator=g) * 0.2)
    return model


def _reference(model, x, target):
    """What the modules themselves compute (eval mode): probabilities, every conv layer's
    activation (captured by hooks on the modules the analysis names), saliency and Grad-CAM
    from one full backward."""
    model.eval()
    positions = conv_taps(model)
    seen = {}
    hooks = [module.register_forward_hook(lambda _m, _i, out, name=name: seen.update({name: out}))
             for name, module in positions]
    xr = x[None].clone().requires_grad_(True)
    try:
        logits = model(xr)
    finally:
        for h in hooks:
            h.remove()
    maps = [(name, seen[name]) for name, _ in positions]
    for _name, a in maps:
        a.retain_grad()
    logits[0, target].backward()
    cam = None
    if maps:
        last = maps[-1][1]
        cam = torch.relu((last.grad.mean((2, 3), keepdim=True) * last).sum(1, keepdim=True))
        cam = torch.nn.functional.interpolate(cam, size=x.shape[-2:], mode="bilinear",
                                              align_corners=False)[0, 0]
        cam = (cam / cam.max()).detach().numpy()
    return (torch.softmax(logits, 1)[0].detach().numpy(),
            [(n, a[0].detach().numpy()) for n, a in maps],
            xr.grad[0].abs().amax(0).numpy(), cam)


@pytest.mark.parametrize("make", [
    lambda: LeNet5(batchnorm=True, dropout=0.3), lambda: LeNet5(),
    lambda: TinyVGG(hidden=4, batchnorm=True), lambda: MLP(batchnorm=True, dropout=0.2),
    lambda: CifarNet(input_shape=(1, 28, 28), batchnorm=True),
], ids=["lenet-bn", "lenet", "tinyvgg-bn", "mlp-bn", "cifarnet-bn"])
def test_analyse_equals_the_modules(make):
    torch.manual_seed(0)
    model = _trained_statistics(make()).train()       # (left in training mode: the analysis is eval's)
    x = preprocess(_bar_drawing())
    grad = analyse(model, x, "gradcam", target=4)
    sal = analyse(model, x, "saliency", target=4)
    assert model.training and all(p.grad is None for p in model.parameters())
    probs, maps, ref_sal, ref_cam = _reference(model, x, 4)
    assert np.allclose(grad.probs, probs, atol=1e-6) and np.allclose(sal.probs, probs, atol=1e-6)
    assert [n for n, _ in grad.feature_maps] == [n for n, _ in maps]
    for (_n, got), (_m, want) in zip(grad.feature_maps, maps):
        assert got.shape == want.shape and np.allclose(got, want, atol=2e-5)
    assert np.allclose(sal.heat, ref_sal, atol=1e-6)
    if ref_cam is None:
        assert not grad.heat.any()                     # an MLP: no conv layer to map
    else:
        assert np.allclose(grad.heat, ref_cam, atol=2e-5)


class _Head(torch.nn.Module):
    """A conv net whose layers after the last conv activation are given."""

    def __init__(self, *tail):
        super().__init__()
        self.features = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(),
                                            *tail[:-1])
        self.classifier = tail[-1]

    def forward(self, x):
        return self.classifier(self.features(x))


def test_heat_maps_inside_a_callers_no_grad_and_with_any_head():
    """The heat maps need a gradient whatever grad mode the caller is in (a Qt slot run under
    no_grad), and the caller's input tensor is left as it was."""
    torch.manual_seed(0)
    x = preprocess(_bar_drawing())
    overlapping = _Head(torch.nn.MaxPool2d(3, stride=1, padding=1), torch.nn.MaxPool2d(4, stride=3),
                        torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4 * 9 * 9, 30),
                                            torch.nn.ReLU(), torch.nn.Dropout(0.5),
                                            torch.nn.Linear(30, 10))).eval()
    other = _Head(torch.nn.MaxPool2d(2), torch.nn.Sequential(
        torch.nn.Flatten(), torch.nn.Linear(4 * 14 * 14, 10), torch.nn.Tanh())).eval()
    for model in (LeNet5(batchnorm=True).eval(), overlapping, other):
        _probs, _maps, sal, cam = _reference(model, x, 3)
        with torch.no_grad():
            result = analyse(model, x, "gradcam", target=3)
            salient = analyse(model, x, "saliency", target=3)
        assert np.allclose(result.heat, cam, atol=2e-5)
        assert np.allclose(salient.heat, sal, atol=1e-6)
        assert not x.requires_grad and x.grad is None


def test_analyse_takes_layers_outside_the_zoo():
    torch.manual_seed(0)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.features = torch.nn.Sequential(
                torch.nn.Conv2d(1, 3, 3, padding=1, padding_mode="reflect"), torch.nn.GELU(),
                torch.nn.AvgPool2d(2))
            self.classifier = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 14 * 14, 10))

        def forward(self, x):
            return self.classifier(self.features(x))

    model = Net().eval()
    x = preprocess(_bar_drawing())
    result = analyse(model, x, "gradcam", target=2)
    probs, maps, _sal, cam = _reference(model, x, 2)
    assert np.allclose(result.probs, probs, atol=1e-6)
    assert np.allclose(result.feature_maps[0][1], maps[0][1], atol=1e-6)
    assert np.allclose(result.heat, cam, atol=1e-6)


# --- the shipped model ------------------------------------------------------------------------

def test_shipped_model_loads_in_eval_mode():
    model = load_pretrained("digits")
    assert not model.training
    assert model.meta["made_by"] == "scripts/make_digit_model.py"
    assert model.meta["classes"] == [str(d) for d in range(10)]
    assert model(preprocess(_bar_drawing())[None]).shape == (1, 10)


def test_shipped_model_reads_generated_digits():
    model = load_pretrained("digits")
    x, y = make_synth_digits(200, seed=12345)
    with torch.no_grad():
        pred = model(torch.from_numpy(x)).argmax(1).numpy()
    assert (pred == y).mean() >= 0.95


def test_shipped_model_heldout_accuracy(mnist_dir):
    images, labels = read_mnist_idx(mnist_dir)
    model = load_pretrained("digits")
    with torch.no_grad():
        pred = model(torch.from_numpy(images[8000:10000, None])).argmax(1).numpy()
    assert (pred == labels[8000:10000]).mean() >= 0.985
