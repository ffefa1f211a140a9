"""The zoo's notes models, layer tables, the CNN-vs-MLP parameter comparison and the
activation choice, checked against the built models themselves."""
import pytest
import torch
from torch import nn

from engine.models import (ARCHITECTURES, build_model, cnn_vs_mlp, cnn_vs_mlp_counts,
                           fully_connected_widths,
                           layer_table, make_activation, parameter_count)


def numel(model):
    return sum(p.numel() for p in model.parameters())


def test_notes_cifar_net_flattens_to_8192():
    model = build_model("notes_cifar")
    fcs = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in fcs] == [(8192, 512), (512, 10)]
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert [(m.in_channels, m.out_channels, m.kernel_size, m.padding) for m in convs] == [
        (3, 32, (3, 3), (1, 1)), (32, 32, (3, 3), (1, 1))]
    with torch.no_grad():
        assert model.features(torch.zeros(2, 3, 32, 32)).shape == (2, 32, 16, 16)
        assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    rows = {r.name: r for r in layer_table(model, (3, 32, 32))}
    assert rows["classifier.0"].output_shape == (8192,)
    assert rows["classifier.1"].params == 8192 * 512 + 512


def test_notes_mnist_net_5408_128_10():
    model = build_model("notes_mnist")
    rows = layer_table(model, (1, 28, 28))
    assert [(r.kind, r.output_shape) for r in rows] == [
        ("Conv2d", (32, 26, 26)), ("ReLU", (32, 26, 26)), ("MaxPool2d", (32, 13, 13)),
        ("Flatten", (5408,)), ("Linear", (128,)), ("ReLU", (128,)), ("Dropout", (128,)),
        ("Linear", (10,))]
    assert [r.params for r in rows if r.kind != "ReLU"] == [
        32 * 9 + 32, 0, 0, 5408 * 128 + 128, 0, 128 * 10 + 10]
    assert parameter_count(model) == numel(model) == 32 * 10 + 5408 * 128 + 128 + 1290


@pytest.mark.parametrize("arch,shape", [
    ("lenet5", (1, 28, 28)), ("cifarnet", (3, 32, 32)), ("tinyvgg", (1, 28, 28)),
    ("mlp", (1, 28, 28)), ("notes_cifar", (3, 32, 32)), ("notes_mnist", (1, 28, 28)),
])
@pytest.mark.parametrize("batchnorm", [False, True])
def test_layer_table_counts_every_parameter(arch, shape, batchnorm):
    model = build_model(arch, input_shape=shape, num_classes=10, batchnorm=batchnorm)
    rows = layer_table(model, shape)
    # every leaf but an empty container (the MLP's `features`, which its forward skips)
    leaves = [n for n, m in model.named_modules()
              if not list(m.children()) and not isinstance(m, nn.Sequential)]
    assert [r.name for r in rows] == leaves
    assert sum(r.params for r in rows) == numel(model) == parameter_count(model)
    modules = dict(model.named_modules())
    for r in rows:
        assert r.params == sum(p.numel() for p in modules[r.name].parameters())
    assert model.training  # layer_table leaves the mode as it found it
    model.eval()
    with torch.no_grad():
        assert rows[-1].output_shape == tuple(model(torch.zeros(1, *shape)).shape[1:]) == (10,)


def test_cnn_vs_mlp_for_lenet5_copies_its_fc_widths():
    cmp = cnn_vs_mlp("lenet5", (1, 28, 28))
    cnn = build_model("lenet5", input_shape=(1, 28, 28), num_classes=10)
    assert fully_connected_widths(cnn) == (120, 84)
    assert cmp.mlp_kwargs == {"input_shape": (1, 28, 28), "num_classes": 10, "hidden": (120, 84)}
    mlp = build_model("mlp", **cmp.mlp_kwargs)
    assert [m.out_features for m in mlp.modules() if isinstance(m, nn.Linear)] == [120, 84, 10]
    assert cmp.cnn_total == numel(cnn) == 61706
    assert cmp.mlp_total == numel(mlp) == 784 * 120 + 120 + 120 * 84 + 84 + 84 * 10 + 10
    assert cmp.mlp_total > cmp.cnn_total
    assert sum(r.params for r in cmp.cnn) == cmp.cnn_total
    assert sum(r.params for r in cmp.mlp) == cmp.mlp_total
    assert cmp.mlp[0].kind == "Flatten" and cmp.mlp[0].output_shape == (784,)


def test_cnn_vs_mlp_needs_a_hidden_fc_layer():
    with pytest.raises(ValueError, match="no hidden fully connected"):
        cnn_vs_mlp("tinyvgg", (1, 28, 28))
    assert cnn_vs_mlp("notes_mnist", (1, 28, 28)).mlp_kwargs["hidden"] == (128,)


@pytest.mark.parametrize("arch, shape", [("lenet5", (1, 28, 28)), ("cifarnet", (3, 32, 32)),
                                         ("notes_cifar", (3, 32, 32)), ("notes_mnist", (1, 48, 48))])
def test_cnn_vs_mlp_counts_on_the_meta_device_match_the_built_models(arch, shape):
    assert cnn_vs_mlp_counts(arch, shape) == cnn_vs_mlp(arch, shape)
    big = cnn_vs_mlp_counts("notes_cifar", (3, 224, 224))   # 205M weights, none allocated
    assert big.cnn_total == (3 * 9 + 1) * 32 + (32 * 9 + 1) * 32 + (32 * 112 * 112 + 1) * 512 \
        + 513 * 10
    assert big.mlp_total == (3 * 224 * 224 + 1) * 512 + 513 * 10


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_leaky_relu_keeps_the_state_dict_keys(arch):
    shape = (3, 32, 32) if arch in ("cifarnet", "notes_cifar") else (1, 28, 28)
    torch.manual_seed(0)
    relu = build_model(arch, input_shape=shape, activation="relu")
    leaky = build_model(arch, input_shape=shape, activation="leaky_relu")
    acts = [type(m) for m in leaky.modules() if isinstance(m, (nn.ReLU, nn.LeakyReLU))]
    assert acts and set(acts) == {nn.LeakyReLU}
    assert all(m.negative_slope == 0.01 for m in leaky.modules() if isinstance(m, nn.LeakyReLU))
    assert not any(isinstance(m, nn.LeakyReLU) for m in relu.modules())
    assert any(type(m) is nn.ReLU for m in relu.modules())
    assert list(relu.state_dict()) == list(leaky.state_dict())
    leaky.load_state_dict(relu.state_dict())  # a ReLU checkpoint loads into the leaky model
    x = torch.rand(1, *shape, generator=torch.Generator().manual_seed(1))
    relu.eval(), leaky.eval()
    with torch.no_grad():
        assert not torch.equal(relu(x), leaky(x))  # same weights, different activation


def test_make_activation():
    assert type(make_activation()) is nn.ReLU
    m = make_activation("leaky_relu")
    assert float(m(torch.tensor(-2.0))) == pytest.approx(-0.02)
    with pytest.raises(ValueError, match="relu, leaky_relu"):
        make_activation("tanh")
