"""The convolution engine against torch, the lecture's worked example, presets, activations,
image loading (bad files included) and the generated PyTorch code."""
import contextlib
import io
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from engine import codegen
from engine.activations import ACTIVATIONS, activation_curve, apply_activation
from engine.conv import conv2d_trace, output_size, output_size_formula
from engine.images import (SAMPLE_GRIDS, SAMPLE_PHOTOS, WORKED_EXAMPLE, WORKED_KERNEL,
                           ImageLoadError, load_image, sample_grid, sample_photo)
from engine.kernels import PRESETS, SCALABLE, embed, preset_kernel


# -- random configurations ---------------------------------------------------------------------
@st.composite
def conv_configs(draw):
    c_in = draw(st.integers(1, 3))
    c_out = draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    dh, dw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    # an input large enough for the dilated kernel in the padded input
    h = draw(st.integers(max(1, dh * (kh - 1) + 1 - 2 * ph), 12))
    w = draw(st.integers(max(1, dw * (kw - 1) + 1 - 2 * pw), 12))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(c_in, h, w))
    weight = rng.normal(size=(c_out, c_in, kh, kw))
    bias = rng.normal(size=c_out) if draw(st.booleans()) else None
    return x, weight, bias, (sh, sw), (ph, pw), (dh, dw)


@settings(max_examples=200, deadline=None)
@given(conv_configs())
def test_trace_equals_torch_and_every_step_is_its_window(cfg):
    x, w, b, s, p, d = cfg
    trace = conv2d_trace(x, w, b, stride=s, padding=p, dilation=d)
    xt, wt = torch.from_numpy(x)[None], torch.from_numpy(w)
    bt = None if b is None else torch.from_numpy(b)
    expected = F.conv2d(xt, wt, bt, stride=s, padding=p, dilation=d)[0].numpy()
    assert trace.output.shape == expected.shape
    np.testing.assert_allclose(trace.output, expected, rtol=1e-10, atol=1e-10)

    c_out, h_out, w_out = expected.shape
    assert len(trace.steps) == c_out * h_out * w_out
    # The windows, checked against torch's own unfold (an independent im2col): (C_in*kH*kW, L)
    cols = F.unfold(xt, w.shape[2:], dilation=d, padding=p, stride=s)[0].numpy()
    steps = list(trace.steps)
    index = np.array([st_.out_index for st_ in steps])                    # (N, 3)
    k = np.arange(len(steps))
    np.testing.assert_array_equal(index, np.stack(
        [k // (h_out * w_out), (k // w_out) % h_out, k % w_out], axis=1))
    assert all(trace.step_index(*st_.out_index) == n for n, st_ in enumerate(steps))
    windows = np.stack([st_.window.ravel() for st_ in steps])             # (N, C_in*kH*kW)
    np.testing.assert_allclose(windows, cols[:, index[:, 1] * w_out + index[:, 2]].T)
    products = np.stack([st_.products for st_ in steps])                 # (N, C_in, kH, kW)
    np.testing.assert_allclose(products, windows.reshape(products.shape) * w[index[:, 0]])
    np.testing.assert_allclose([st_.channel_sums for st_ in steps], products.sum(axis=(2, 3)))
    np.testing.assert_allclose([st_.value for st_ in steps], expected.ravel(), atol=1e-9)


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 40), k=st.integers(1, 7), s=st.integers(1, 4), p=st.integers(0, 3),
       d=st.integers(1, 3))
def test_output_size_is_the_lecture_formula_and_torch_agrees(n, k, s, p, d):
    if d * (k - 1) + 1 > n + 2 * p:
        with pytest.raises(ValueError, match="no output"):
            output_size(n, k, s, p, d)
        return
    got = output_size(n, k, s, p, d)
    assert got == (n + 2 * p - d * (k - 1) - 1) // s + 1
    if d == 1:
        assert got == (n - k + 2 * p) // s + 1
    shape = F.conv2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), stride=s, padding=p,
                     dilation=d).shape
    assert shape[-1] == got


def test_worked_example_by_hand():
    x = [[.5, .2, .1, .7], [.1, .6, .9, .5], [0, .8, .2, .7], [.2, .4, 0, .4]]
    k = [[.1, .2, .6], [.4, .3, .5], [.9, .8, .7]]
    # Each output cell: the 3x3 window at (i, j) times the kernel, summed, written out.
    top_left = .5*.1 + .2*.2 + .1*.6 + .1*.4 + .6*.3 + .9*.5 + 0*.9 + .8*.8 + .2*.7   # 1.60
    top_right = .2*.1 + .1*.2 + .7*.6 + .6*.4 + .9*.3 + .5*.5 + .8*.9 + .2*.8 + .7*.7  # 2.59
    bottom_left = .1*.1 + .6*.2 + .9*.6 + 0*.4 + .8*.3 + .2*.5 + .2*.9 + .4*.8 + 0*.7  # 1.51
    bottom_right = .6*.1 + .9*.2 + .5*.6 + .8*.4 + .2*.3 + .7*.5 + .4*.9 + 0*.8 + .4*.7  # 1.91
    trace = conv2d_trace(np.array(x), np.array(k))
    assert trace.output.shape == (1, 2, 2)
    np.testing.assert_allclose(trace.output[0], [[top_left, top_right], [bottom_left, bottom_right]])
    np.testing.assert_allclose(trace.output[0], [[1.60, 2.59], [1.51, 1.91]], atol=1e-12)
    first = trace.steps[0]
    np.testing.assert_allclose(first.window[0], [[.5, .2, .1], [.1, .6, .9], [0, .8, .2]])
    np.testing.assert_allclose(first.products[0], [[.05, .04, .06], [.04, .18, .45], [0, .64, .14]])
    assert first.value == pytest.approx(1.60)
    # the shipped sample is the same grid and kernel
    np.testing.assert_array_equal(WORKED_EXAMPLE, np.float32(x))
    np.testing.assert_array_equal(WORKED_KERNEL, np.float32(k))


def test_padding_cells_are_zero_and_marked():
    trace = conv2d_trace(np.ones((2, 3)), np.ones((3, 3)), padding=(1, 2))
    assert trace.padded.shape == (1, 4, 7)
    mask = trace.padding_mask()
    assert mask.sum() == 4 * 7 - 2 * 3
    assert (trace.padded[0][mask] == 0).all() and (trace.padded[0][~mask] == 1).all()
    # corner window: only its last column's two lower cells are real input (ones)
    corner = trace.steps[0]
    assert corner.window[0].tolist() == [[0, 0, 0], [0, 0, 1], [0, 0, 1]]


def test_rgb_partial_sums_and_bias():
    rng = np.random.default_rng(1)
    x, w = rng.random((3, 5, 5)), rng.normal(size=(2, 3, 3, 3))
    trace = conv2d_trace(x, w, bias=[0.5, -1.0], stride=2, padding=1)
    assert trace.output.shape == (2, 3, 3)
    step = trace.steps[9]  # first cell of the second filter
    assert step.out_index == (1, 0, 0) and step.bias == -1.0
    assert step.channel_sums.shape == (3,)
    assert step.value == pytest.approx(step.channel_sums.sum() - 1.0)
    assert step.value == pytest.approx(trace.output[1, 0, 0])


def test_steps_behave_like_a_list():
    trace = conv2d_trace(np.arange(25.0).reshape(5, 5), np.ones((3, 3)))
    steps = trace.steps
    assert len(steps) == 9
    assert steps[-1].out_index == steps[8].out_index == (0, 2, 2)
    assert [s.out_index for s in steps[2:4]] == [(0, 0, 2), (0, 1, 0)]
    assert [s.value for s in steps] == pytest.approx(trace.output.ravel().tolist())
    with pytest.raises(IndexError):
        steps[9]


def test_big_photo_trace_is_lazy_and_right():
    x = sample_photo("camera man").pixels            # (512, 512)
    w = preset_kernel("Gaussian blur", 5)
    trace = conv2d_trace(x, w, padding=2)
    assert trace.output.shape == (1, 512, 512) and len(trace.steps) == 512 * 512
    ref = F.conv2d(torch.from_numpy(x)[None, None], torch.from_numpy(w)[None, None], padding=2)
    np.testing.assert_allclose(trace.output, ref[0].numpy(), atol=1e-6)
    assert trace.steps[123_456].value == pytest.approx(trace.output.ravel()[123_456], abs=1e-5)


@pytest.mark.parametrize("kwargs, message", [
    (dict(x=np.zeros((4, 4)), w=np.zeros((5, 5))),
     "kernel height 5 is larger than the padded input 4 + 2·0 = 4: no output"),
    (dict(x=np.zeros((6, 4)), w=np.zeros((3, 3)), dilation=2),
     "kernel width 3 (dilated to 5) is larger than the padded input 4 + 2·0 = 4: no output"),
    (dict(x=np.zeros((4, 4)), w=np.zeros((3, 3)), stride=0), "stride must be at least 1, got 0"),
    (dict(x=np.zeros((4, 4)), w=np.zeros((3, 3)), padding=-1), "padding cannot be negative"),
    (dict(x=np.zeros((4, 4)), w=np.zeros((3, 3)), dilation=0), "dilation must be at least 1"),
    (dict(x=np.zeros((3, 4, 4)), w=np.zeros((1, 2, 3, 3))), "2 input channel(s) but the input has 3"),
    (dict(x=np.zeros((4, 4)), w=np.array([[1.0, np.nan]])), "kernel contains NaN or infinity"),
    (dict(x=np.full((4, 4), np.inf), w=np.ones((3, 3))), "input contains NaN or infinity"),
    (dict(x=np.zeros(4), w=np.ones((3, 3))), "input must be (H, W) or (C_in, H, W)"),
])
def test_settings_with_no_output_say_why(kwargs, message):
    with pytest.raises(ValueError) as info:
        conv2d_trace(**kwargs)
    assert message in str(info.value)


def test_padding_can_rescue_a_large_kernel():
    trace = conv2d_trace(np.ones((4, 4)), np.ones((5, 5)), padding=1)
    assert trace.output.shape == (1, 2, 2)


def test_output_size_formula_text():
    # the notes' form ⌊(N − K + 2P) / S⌋ + 1; a dilation puts the kernel's span in K's place
    assert output_size_formula(5, 3, 2, 1, 1) == "H_out = ⌊(5 − 3 + 2·1) / 2⌋ + 1 = 3"
    assert output_size_formula(7, 3, 1, 0, 2) == (
        "H_out = ⌊(7 − 5 + 2·0) / 1⌋ + 1   (dilated kernel: 2·(3−1)+1 = 5) = 3")
    assert output_size_formula(4, 5, 1, 0, 1, name="W").endswith("→ no output")


# -- kernels -----------------------------------------------------------------------------------
def test_classic_edge_filters_and_presets():
    edges = [PRESETS[n] for n in PRESETS if n.startswith("±1 edge")]
    assert [e.tolist() for e in edges] == [
        [[-1, -1, -1], [1, 1, 1], [0, 0, 0]], [[-1, 1, 0], [-1, 1, 0], [-1, 1, 0]],
        [[0, 0, 0], [1, 1, 1], [-1, -1, -1]], [[0, 1, -1], [0, 1, -1], [0, 1, -1]]]
    for name in ("identity", "box blur", "Gaussian blur", "sharpen", "Sobel x", "Sobel y",
                 "Prewitt x", "Prewitt y", "Laplacian", "emboss"):
        assert PRESETS[name].shape == (3, 3)
    assert PRESETS["Sobel x"].tolist() == [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
    assert PRESETS["Laplacian"].sum() == 0


@pytest.mark.parametrize("k", range(1, 8))
def test_presets_at_every_size(k):
    for name in PRESETS:
        kernel = preset_kernel(name, k)
        assert kernel.shape == (k, k) and kernel.dtype == np.float32
    for name in ("box blur", "Gaussian blur", "sharpen", "identity"):
        assert preset_kernel(name, k).sum() == pytest.approx(1.0, abs=1e-5)
    if k % 2:  # identity with "same" padding returns the input itself
        x = np.random.default_rng(k).random((9, 9))
        out = conv2d_trace(x, preset_kernel("identity", k), padding=k // 2).output[0]
        np.testing.assert_allclose(out, x, atol=1e-6)


def test_embed_centres_and_crops():
    big = embed(PRESETS["Sobel x"], 5)
    assert big[1:4, 1:4].tolist() == PRESETS["Sobel x"].tolist() and big.sum() == 0
    assert np.abs(big).sum() == np.abs(PRESETS["Sobel x"]).sum()
    assert embed(np.arange(25.0).reshape(5, 5), 3).tolist() == [[6, 7, 8], [11, 12, 13], [16, 17, 18]]
    assert set(SCALABLE) <= set(PRESETS)


# -- activations -------------------------------------------------------------------------------
def test_activations_by_value():
    x = np.array([-2.0, 0.0, 3.0], np.float32)
    np.testing.assert_allclose(apply_activation(x, "none"), x)
    np.testing.assert_allclose(apply_activation(x, "relu"), [0, 0, 3])
    np.testing.assert_allclose(apply_activation(x, "leaky_relu", 0.1), [-0.2, 0, 3], rtol=1e-6)
    np.testing.assert_allclose(apply_activation(x, "sigmoid"), 1 / (1 + np.exp(-x)), rtol=1e-6)
    np.testing.assert_allclose(apply_activation(x, "tanh"), np.tanh(x), rtol=1e-6)
    with pytest.raises(ValueError, match="unknown activation"):
        apply_activation(x, "swish")
    xs, ys = activation_curve("relu")
    assert xs[0] == -4 and xs[-1] == 4 and ys.min() == 0 and ys[-1] == 4
    assert set(ACTIVATIONS) == {"none", "relu", "leaky_relu", "sigmoid", "tanh"}


# -- images ------------------------------------------------------------------------------------
def test_sample_grids_and_photos():
    for name in SAMPLE_GRIDS:
        g = sample_grid(name)
        assert g.ndim == 2 and 0 <= g.min() and g.max() <= 1
        rgb = sample_grid(name, rgb=True)
        assert rgb.shape == (3,) + g.shape and not np.array_equal(rgb[0], rgb[2])
    for name in SAMPLE_PHOTOS:
        p = sample_photo(name, rgb=True)
        assert p.pixels.shape[0] == 3 and max(p.pixels.shape[1:]) <= 512
        assert p.pixels.dtype == np.float32 and 0 <= p.pixels.min() and p.pixels.max() <= 1
    rocket = sample_photo("rocket")
    assert rocket.pixels.shape == (342, 512) and "640×427" in rocket.notice


def test_load_png_gray_and_rgb(tmp_path):
    from PIL import Image
    arr = np.zeros((10, 20, 3), np.uint8)
    arr[:, :10, 0] = 255  # left half red
    Image.fromarray(arr).save(tmp_path / "red.png")
    rgb = load_image(tmp_path / "red.png", rgb=True)
    assert rgb.pixels.shape == (3, 10, 20) and rgb.notice == ""
    assert rgb.pixels[0, :, :10].min() == 1.0 and rgb.pixels[1].max() == 0.0
    gray = load_image(tmp_path / "red.png")
    assert gray.pixels.shape == (10, 20)
    assert gray.pixels[0, 0] == pytest.approx(0.299, abs=0.01) and gray.pixels[0, 15] == 0


def test_transparent_png_over_white(tmp_path):
    from PIL import Image
    Image.new("RGBA", (4, 4), (0, 0, 0, 0)).save(tmp_path / "clear.png")
    assert load_image(tmp_path / "clear.png").pixels.min() == pytest.approx(1.0)


def test_huge_image_is_shrunk_with_a_notice(tmp_path):
    from PIL import Image
    Image.new("L", (2400, 1200), 128).save(tmp_path / "wide.png")
    loaded = load_image(tmp_path / "wide.png")
    assert loaded.pixels.shape == (256, 512) and loaded.original_size == (1200, 2400)
    assert "shrunk from 2400×1200 to 512×256" in loaded.notice


def test_bad_files_raise_a_readable_error(tmp_path):
    from PIL import Image
    (tmp_path / "noise.png").write_bytes(np.random.default_rng(0).bytes(500))
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "empty.jpg").write_bytes(b"")
    Image.new("RGB", (64, 64), (10, 200, 30)).save(tmp_path / "whole.png")
    data = (tmp_path / "whole.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    jpg = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8)).save(jpg, "JPEG")
    (tmp_path / "cut.jpg").write_bytes(jpg.getvalue()[:300])
    cases = {"noise.png": "not an image file", "notes.txt": "not an image file",
             "empty.jpg": "is empty", "cut.png": "damaged", "cut.jpg": "damaged",
             "missing.png": "no such file"}
    for name, expected in cases.items():
        with pytest.raises(ImageLoadError, match=expected):
            load_image(tmp_path / name)
    with pytest.raises(ImageLoadError, match="folder"):
        load_image(tmp_path)


# -- generated code ----------------------------------------------------------------------------
def _run(code: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code, {})
    return out.getvalue().strip()


def _promised_shape(code: str) -> str:
    return re.search(r"# -> (torch\.Size\(\[.*\]\))", code).group(1)


@pytest.mark.parametrize("args", [
    dict(in_shape=(3, 5, 5), out_channels=2, kernel_size=3, stride=2, padding=1),
    dict(in_shape=(1, 7, 9), out_channels=4, kernel_size=(3, 2), stride=(1, 2), padding=(0, 1),
         dilation=2, activation="leaky_relu", slope=0.2),
    dict(in_shape=(1, 28, 28), out_channels=1, kernel_size=5, bias=False, activation="tanh"),
])
def test_conv2d_code_runs_and_prints_the_promised_shape(args):
    code = codegen.conv2d_code(**args)
    assert _run(code) == _promised_shape(code)


def test_conv2d_code_reads_like_the_lecture():
    code = codegen.conv2d_code((3, 5, 5), 2, 3, stride=2, padding=1)
    assert "nn.Conv2d(in_channels=3, out_channels=2, kernel_size=3, stride=2, padding=1)" in code
    assert "torch.Size([1, 2, 3, 3])" in code


def test_other_code_runs_and_prints_the_promised_shape():
    for code in (codegen.pool2d_code("max", 3, 2, 0, (1, 7, 7)),
                 codegen.pool2d_code("avg", 2, None, 1, (2, 5, 6)),
                 codegen.conv1d_code(2, 3, 20, 5, stride=2, padding=1, dilation=2),
                 codegen.conv_transpose2d_code((1, 3, 3), 2, 3, stride=2, padding=1,
                                               output_padding=1)):
        assert _run(code) == _promised_shape(code)


def test_lazy_steps_behave_like_a_list():
    from engine.steps import LazySteps
    made = []
    steps = LazySteps(4, lambda k: made.append(k) or k * 10)
    assert made == []                      # nothing built up front
    assert len(steps) == 4 and steps[1] == 10 and steps[-1] == 30
    assert steps[1:3] == [10, 20] and list(steps) == [0, 10, 20, 30]
    with pytest.raises(IndexError):
        steps[4]
