"""engine.network (trace, input window, one unit's arithmetic), engine.softmax and
engine.dying_relu, checked against forward hooks, torch's own softmax and hand-made models."""
import numpy as np
import pytest
import torch
from torch import nn

from engine.dying_relu import (DyingReluConfig, dead_unit_fraction, dying_relu_experiment,
                               never_positive)
from engine.models import MODELS_DIR, build_model, load_checkpoint
from engine.network import explain_unit, input_window, network_trace
from engine.softmax import softmax_terms, softmax_text, softmax_with_temperature


def hooked(model, x):
    """Reference: [(name, kind, output without batch)] from hooks on every leaf, and model(x)."""
    seen, handles = [], []
    for name, module in model.named_modules():
        if not list(module.children()):
            def hook(mod, _inp, out, name=name):
                seen.append((name, type(mod).__name__, out.detach().clone()[0].numpy()))
            handles.append(module.register_forward_hook(hook))
    model.eval()
    with torch.no_grad():
        logits = model(torch.as_tensor(x).reshape(1, *np.shape(x)[-3:]))
    for h in handles:
        h.remove()
    return seen, logits[0]


@pytest.fixture(scope="module")
def digit_model():
    path = MODELS_DIR / "digits.pt"
    assert path.is_file(), f"the shipped digit model {path} is missing"
    model, meta = load_checkpoint(path)
    assert meta["arch"] == "lenet5" and meta["kwargs"]["batchnorm"]
    return model


def seeded(arch, shape, seed=0, **kwargs):
    torch.manual_seed(seed)
    model = build_model(arch, input_shape=shape, num_classes=10, **kwargs)
    x = torch.rand(shape, generator=torch.Generator().manual_seed(seed + 1))
    return model, x


def digit_input():
    return torch.rand((1, 28, 28), generator=torch.Generator().manual_seed(7))


# -- the trace -----------------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["digits", "lenet5", "cifarnet"])
def test_trace_matches_hooks_on_every_leaf(which, digit_model):
    if which == "digits":
        model, x = digit_model, digit_input()
    else:
        model, x = seeded(which, (1, 28, 28) if which == "lenet5" else (3, 32, 32))
    model.train()  # the trace runs in eval mode and leaves the mode as it found it
    trace = network_trace(model, x)
    assert model.training
    ref, logits = hooked(model, x)
    assert [(l.name, l.kind) for l in trace.layers] == [(n, k) for n, k, _ in ref]
    assert len(trace.layers) == sum(1 for m in model.modules() if not list(m.children()))
    modules = dict(model.named_modules())
    for layer, (_name, _kind, out) in zip(trace.layers, ref):
        assert layer.output.shape == out.shape == layer.output_shape
        np.testing.assert_allclose(layer.output, out, rtol=1e-6, atol=1e-6)
        assert layer.params == sum(p.numel() for p in modules[layer.name].parameters())
    assert sum(l.params for l in trace.layers) == sum(p.numel() for p in model.parameters())
    np.testing.assert_allclose(trace.logits, logits.numpy(), rtol=1e-6, atol=1e-6)
    assert trace.probs.shape == (10,)
    np.testing.assert_allclose(trace.probs, torch.softmax(logits, 0).numpy(), atol=1e-6)
    np.testing.assert_allclose(trace.layers[-1].output, trace.logits)


def test_trace_takes_a_batch_of_one_and_numpy(digit_model):
    x = digit_input()
    a = network_trace(digit_model, x)
    b = network_trace(digit_model, x.numpy()[None])
    np.testing.assert_array_equal(a.logits, b.logits)
    assert a.layers[0].input_shape == (1, 28, 28)
    assert [l.output_shape for l in a.layers][:4] == [(6, 28, 28)] * 3 + [(6, 14, 14)]


# -- explain_unit --------------------------------------------------------------------------------
def check_unit(model, x, layer, index):
    """explain_unit's numbers add up to the hooked output at `index`."""
    ref = {n: out for n, _k, out in hooked(model, x)[0]}
    e = explain_unit(model, x, layer, index)
    idx = (index,) if np.isscalar(index) else tuple(index)
    assert e.inputs.shape == e.weights.shape
    total = float((e.inputs.astype(np.float64) * e.weights).sum()) + e.bias
    assert total == pytest.approx(float(ref[layer][idx]), abs=1e-5)
    assert e.value == pytest.approx(float(ref[layer][idx]), abs=1e-6)
    return e, ref


@pytest.mark.parametrize("index", [(0, 0, 0), (5, 27, 27), (3, 0, 14), (2, 27, 1), (4, 13, 9)])
def test_explain_first_conv_with_padding(digit_model, index):
    x = digit_input()
    e, ref = check_unit(digit_model, x, "features.0", index)
    c, i, j = index
    assert e.inputs.shape == (1, 5, 5) and e.kind == "Conv2d"
    np.testing.assert_array_equal(e.weights, digit_model.features[0].weight[c].detach().numpy())
    assert e.bias == pytest.approx(float(digit_model.features[0].bias[c].detach()))
    padded = np.pad(x.numpy()[0], 2)  # padding 2: the window's taps outside the image read 0
    np.testing.assert_array_equal(e.inputs[0], padded[i:i + 5, j:j + 5])
    if i == 0:
        assert not e.inputs[0, :2].any()  # the two padded rows above the image
    # conv -> batch norm -> ReLU follow it, with the hooked values
    assert [s.kind for s in e.following] == ["BatchNorm2d", "ReLU"]
    assert e.following[0].value == pytest.approx(float(ref["features.1"][index]), abs=1e-6)
    assert e.activation == "ReLU"
    assert e.activation_value == pytest.approx(float(ref["features.2"][index]), abs=1e-6)
    assert e.activation_value == max(0.0, e.following[0].value)


@pytest.mark.parametrize("index", [(0, 0, 0), (15, 9, 9), (7, 4, 0)])
def test_explain_multichannel_conv(digit_model, index):
    e, ref = check_unit(digit_model, digit_input(), "features.4", index)
    c, i, j = index
    assert e.inputs.shape == (6, 5, 5)
    np.testing.assert_allclose(e.inputs, ref["features.3"][:, i:i + 5, j:j + 5])
    assert e.window.channels == tuple(range(6))


class Strided(nn.Module):
    """Stride 2 with padding 1, dilation 2, groups 2 and a 'same' conv, then a classifier."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 4, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(4, 4, 3, padding=2, dilation=2, groups=2), nn.Tanh(),
            nn.Conv2d(4, 2, 4, padding="same"))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(2 * 5 * 5, 3))

    def forward(self, x):
        return self.classifier(self.features(x))


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("layer,index", [
    ("features.0", (0, 0, 0)), ("features.0", (3, 4, 4)), ("features.0", (1, 2, 0)),
    ("features.2", (0, 0, 0)), ("features.2", (3, 4, 2)), ("features.2", (2, 1, 4)),
    ("features.4", (0, 0, 0)), ("features.4", (1, 4, 4)), ("features.4", (1, 2, 3)),
    ("classifier.1", 0), ("classifier.1", (2,)),
])
def test_explain_stride_dilation_groups_same(layer, index):
    torch.manual_seed(3)
    model = Strided()
    x = torch.randn(3, 9, 9, generator=torch.Generator().manual_seed(4))
    e, ref = check_unit(model, x, layer, index)
    if layer == "features.0":
        c, i, j = index
        padded = np.pad(x.numpy(), ((0, 0), (1, 1), (1, 1)))
        np.testing.assert_array_equal(e.inputs, padded[:, 2 * i:2 * i + 3, 2 * j:2 * j + 3])
        assert e.window.tap_rows == (2 * i - 1, 2 * i, 2 * i + 1)
    if layer == "features.2":  # groups 2: output channel c reads input channels of its group
        c = index[0]
        assert e.inputs.shape == (2, 3, 3)
        assert e.window.channels == ((0, 1) if c < 2 else (2, 3))
        assert e.window.tap_cols == tuple(index[2] - 2 + 2 * t for t in range(3))


@pytest.mark.parametrize("layer,index", [("classifier.1", 0), ("classifier.1", 119),
                                         ("classifier.4", (41,)), ("classifier.7", 9)])
def test_explain_linear(digit_model, layer, index):
    e, ref = check_unit(digit_model, digit_input(), layer, index)
    k = index if np.isscalar(index) else index[0]
    module = dict(digit_model.named_modules())[layer]
    np.testing.assert_array_equal(e.weights, module.weight[k].detach().numpy())
    assert e.inputs.shape == (module.in_features,) and e.window.kind == "vector"
    if layer == "classifier.1":
        np.testing.assert_allclose(e.inputs, ref["classifier.0"])
        assert e.activation_value == pytest.approx(float(ref["classifier.2"][k]), abs=1e-6)
    if layer == "classifier.7":  # the output layer: nothing follows it
        assert e.following == [] and e.activation is None
    assert "bias" in e.text() and f"{e.value:.4g}" in e.text()


# -- input_window --------------------------------------------------------------------------------
def test_input_window_conv_pool_flatten_linear(digit_model):
    x = digit_input()
    trace = network_trace(digit_model, x)
    w = input_window(trace, "features.0", (0, 0, 0))
    assert (w.kind, w.source, w.channels) == ("window", "input", (0,))
    assert w.tap_rows == (-2, -1, 0, 1, 2) and w.rows == (0, 1, 2) and w.cols == (0, 1, 2)
    w = input_window(trace, "features.3", (2, 5, 6))  # max-pool 2: a 2x2 window, its own channel
    assert (w.source, w.channels, w.rows, w.cols) == ("features.2", (2,), (10, 11), (12, 13))
    relu = trace.layer("features.2").output
    assert trace.layer("features.3").output[2, 5, 6] == relu[2, 10:12, 12:14].max()
    w = input_window(trace, "features.4", (3, 9, 9))
    assert w.channels == tuple(range(6)) and w.rows == tuple(range(9, 14))
    w = input_window(trace, "classifier.0", 137)  # Flatten: element 137 of 16x5x5
    assert w.kind == "same" and w.source_index == (5, 2, 2)
    assert trace.layer("classifier.0").output[137] == trace.layer("features.7").output[5, 2, 2]
    assert input_window(trace, "features.2", (1, 3, 3)).source_index == (1, 3, 3)
    assert input_window(trace, "classifier.4", 3).kind == "vector"
    w = input_window(digit_model, "features.3", (0, 13, 13), input_shape=(1, 28, 28))
    assert w.rows == (26, 27)


# -- bad input -----------------------------------------------------------------------------------
def test_bad_input_raises_clear_value_errors(digit_model):
    x = digit_input()
    for bad in (torch.zeros(28, 28), torch.zeros(2, 1, 28, 28), torch.zeros(3, 32, 32)):
        with pytest.raises(ValueError, match="shape"):
            network_trace(digit_model, bad)
    with pytest.raises(ValueError, match="no layer 'features.99'"):
        explain_unit(digit_model, x, "features.99", (0, 0, 0))
    with pytest.raises(ValueError, match="ReLU, not a Conv2d or Linear"):
        explain_unit(digit_model, x, "features.2", (0, 0, 0))
    with pytest.raises(ValueError, match=r"output shape \(6, 28, 28\)"):
        explain_unit(digit_model, x, "features.0", (6, 0, 0))
    with pytest.raises(ValueError, match="output shape"):
        explain_unit(digit_model, x, "features.0", (0, 28, 3))
    with pytest.raises(ValueError, match="output shape"):
        explain_unit(digit_model, x, "features.0", (0, 3))
    with pytest.raises(ValueError, match="output shape"):
        explain_unit(digit_model, x, "classifier.7", 10)
    with pytest.raises(ValueError, match="output shape"):
        explain_unit(digit_model, x, "classifier.7", -1)
    trace = network_trace(digit_model, x)
    with pytest.raises(ValueError, match="its layers are"):
        input_window(trace, "nope", 0)
    with pytest.raises(ValueError, match="input_shape"):
        input_window(digit_model, "features.0", (0, 0, 0))


# -- softmax -------------------------------------------------------------------------------------
@pytest.mark.parametrize("temperature", [0.05, 0.5, 1.0, 2.0, 25.0])
def test_softmax_temperature_matches_torch(temperature):
    z = torch.randn(10, generator=torch.Generator().manual_seed(1), dtype=torch.float64) * 4
    ours = softmax_with_temperature(z.numpy(), temperature)
    np.testing.assert_allclose(ours, torch.softmax(z / temperature, 0).numpy(), rtol=1e-12)
    t = softmax_terms(z.numpy(), 3, temperature)
    assert t.probability == pytest.approx(float(torch.softmax(z / temperature, 0)[3]))
    assert t.numerator / t.denominator == pytest.approx(t.probability)
    np.testing.assert_allclose(t.scaled, z.numpy() / temperature)


def test_softmax_temperature_edges():
    z = np.array([1000.0, 999.0, 0.0])  # exp(1000) overflows: the shifted form does not
    p = softmax_with_temperature(z)
    np.testing.assert_allclose(p, torch.softmax(torch.tensor(z), 0).numpy())
    assert np.isfinite(p).all() and "0.7311" in softmax_text(z, 0)
    flat = softmax_with_temperature([3.0, 1.0], 1e6)
    assert flat == pytest.approx([0.5, 0.5], abs=1e-5)
    assert softmax_text([2.0, 0.0], 0) == ("softmax(z)_0 = exp(2) / (exp(2) + exp(0)) = "
                                           "7.389 / 8.389 = 0.8808")
    assert "T = 2" in softmax_text([2.0, 0.0], 0, 2.0)
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="temperature"):
            softmax_with_temperature([1.0, 2.0], bad)
    with pytest.raises(ValueError, match="does not exist"):
        softmax_terms([1.0, 2.0], 2)


# -- dying ReLU ----------------------------------------------------------------------------------
class HandMade(nn.Module):
    """Conv channel 1 and linear units 0 and 2 have bias -100 on inputs in [0, 1]: dead."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.act1 = nn.ReLU()
        self.flat = nn.Flatten()
        self.fc = nn.Linear(2 * 4 * 4, 4)
        self.act2 = nn.LeakyReLU(0.01)
        with torch.no_grad():
            self.conv.weight.fill_(0.1)
            self.conv.bias.copy_(torch.tensor([0.5, -100.0]))
            self.fc.weight.fill_(0.01)
            self.fc.bias.copy_(torch.tensor([-100.0, 1.0, -100.0, 1.0]))

    def forward(self, x):
        return self.act2(self.fc(self.flat(self.act1(self.conv(x)))))


def test_dead_unit_fraction_on_a_hand_made_model():
    images = torch.rand(40, 1, 6, 6, generator=torch.Generator().manual_seed(0))
    model = HandMade()
    dead = never_positive(model, images, batch_size=16)
    assert list(dead) == ["act1", "act2"]
    assert dead["act1"].shape == (2, 4, 4)
    assert not dead["act1"][0].any() and dead["act1"][1].all()
    np.testing.assert_array_equal(dead["act2"], [True, False, True, False])
    assert dead_unit_fraction(model, images) == {"act1": 0.5, "act2": 0.5}
    dataset = torch.utils.data.TensorDataset(images, torch.zeros(40, dtype=torch.long))
    assert dead_unit_fraction(model, dataset, max_samples=10) == {"act1": 0.5, "act2": 0.5}
    with torch.no_grad():
        model.fc.bias[0] = 1.0  # bring one linear unit back to life
    assert dead_unit_fraction(model, images)["act2"] == 0.25
    with pytest.raises(ValueError, match="at least one image"):
        dead_unit_fraction(model, images[:0])


def test_dying_relu_experiment_small_and_seeded():
    cfg = DyingReluConfig(arch="lenet5", lr=0.5, batch_size=16, steps=8, record_every=4,
                          train_size=128, probe_size=32, seed=0)
    seen = []
    curves = dying_relu_experiment(cfg, on_record=lambda a, s, d: seen.append((a, s)))
    assert list(curves) == ["relu", "leaky_relu"]
    assert seen == [("relu", 4), ("relu", 8), ("leaky_relu", 4), ("leaky_relu", 8)]
    for activation, curve in curves.items():
        assert curve.activation == activation and curve.steps == [0, 4, 8]
        assert list(curve.dead) == ["features.1", "features.4", "classifier.2", "classifier.5"]
        assert all(len(v) == 3 and all(0 <= s <= 1 for s in v) for v in curve.dead.values())
        assert np.isnan(curve.loss[0]) and np.isfinite(curve.loss[1:]).all()
    # step 0 is the untrained net, the same for both: the same seed builds the same weights
    torch.manual_seed(0)
    fresh = build_model("lenet5", input_shape=(1, 28, 28), num_classes=10)
    from engine.data import load_dataset
    probe = load_dataset("generated", train_size=128, test_size=500, seed=0).train.tensors[0][:32]
    start = dead_unit_fraction(fresh, probe)
    assert {k: v[0] for k, v in curves["relu"].dead.items()} == start
    again = dying_relu_experiment(cfg, activations=("relu",))
    assert again["relu"].dead == curves["relu"].dead  # seeded: the same run twice
    stopped = dying_relu_experiment(cfg, activations=("relu",), on_record=lambda a, s, d: False)
    assert stopped["relu"].steps == [0, 4] and stopped["relu"].status == "stopped"
