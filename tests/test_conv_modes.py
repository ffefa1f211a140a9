"""engine.conv_modes: 1-D and transposed convolution traces against torch and by hand."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.conv_modes import (
    KERNELS_1D, SIGNALS, conv1d_output_size, conv1d_trace, conv_transpose2d_trace, make_signal,
    transposed_output_size,
)


# -- 1-D ----------------------------------------------------------------------------------------

def test_conv1d_by_hand():
    t = conv1d_trace([1, 2, 4, 7, 11], [-1, 1])
    np.testing.assert_allclose(t.output, [[1, 2, 3, 4]])  # differences: no kernel flip
    s = t.steps[2]
    assert s.out_index == (0, 2)
    np.testing.assert_array_equal(s.positions, [2, 3])
    np.testing.assert_array_equal(s.window, [[4, 7]])
    np.testing.assert_array_equal(s.products, [[-4, 7]])
    assert s.value == 3


def test_conv1d_padding_stride_dilation_by_hand():
    # padded signal [0, 1, 2, 3, 4, 5, 0]; taps at i*2 + 2*t, t = 0, 1, 2
    t = conv1d_trace([1, 2, 3, 4, 5], [1, 1, 1], bias=0.5, stride=2, padding=1, dilation=2)
    assert t.output.shape == (1, conv1d_output_size(5, 3, 2, 1, 2)) == (1, 2)
    np.testing.assert_allclose(t.output, [[0 + 2 + 4 + 0.5, 2 + 4 + 0 + 0.5]])
    np.testing.assert_array_equal(t.steps[1].positions, [2, 4, 6])
    np.testing.assert_array_equal(t.steps[1].window, [[2, 4, 0]])


def test_conv1d_moving_average_smooths_a_step():
    x = make_signal("step edge", 10)
    t = conv1d_trace(x, KERNELS_1D["moving average (3)"], padding=1)
    np.testing.assert_allclose(t.output[0, 3:7], [0, 1 / 3, 2 / 3, 1], atol=1e-6)


@settings(max_examples=200, deadline=None)
@given(c_in=st.integers(1, 3), c_out=st.integers(1, 3), n=st.integers(1, 30),
       k=st.integers(1, 6), s=st.integers(1, 4), p=st.integers(0, 3), d=st.integers(1, 3),
       use_bias=st.booleans(), seed=st.integers(0, 10_000))
def test_conv1d_equals_torch(c_in, c_out, n, k, s, p, d, use_bias, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((c_in, n)).astype(np.float32)
    w = rng.standard_normal((c_out, c_in, k)).astype(np.float32)
    b = rng.standard_normal(c_out).astype(np.float32) if use_bias else None
    if conv1d_output_size(n, k, s, p, d) < 1:
        with pytest.raises(ValueError, match="no output"):
            conv1d_trace(x, w, b, s, p, d)
        return
    t = conv1d_trace(x, w, b, s, p, d)
    ref = F.conv1d(torch.from_numpy(x)[None], torch.from_numpy(w),
                   None if b is None else torch.from_numpy(b), s, p, d)[0].numpy()
    np.testing.assert_allclose(t.output, ref, rtol=1e-6, atol=1e-6)
    assert len(t.steps) == ref.size
    for idx in range(0, len(t.steps), max(1, len(t.steps) // 5)):
        st_ = t.steps[idx]
        total = st_.products.sum() + (0 if b is None else b[st_.out_index[0]])
        assert st_.value == pytest.approx(float(total), abs=1e-4)
        assert st_.window.shape == (c_in, k)


def test_conv1d_errors():
    with pytest.raises(ValueError, match=r"floor\(\(3 \+ 2\*0 - 1\*\(5-1\) - 1\) / 1\) \+ 1"):
        conv1d_trace([1, 2, 3], [1, 1, 1, 1, 1])
    with pytest.raises(ValueError, match="input channels"):
        conv1d_trace(np.zeros((2, 8)), np.ones((1, 3, 2)))
    with pytest.raises(ValueError, match="NaN"):
        conv1d_trace([1, np.inf, 2], [1])
    with pytest.raises(ValueError, match="bias"):
        conv1d_trace([1, 2, 3], np.ones((2, 1, 2)), bias=[1, 2, 3])


@pytest.mark.parametrize("kind", SIGNALS)
def test_signals(kind):
    y = make_signal(kind, 40)
    assert y.shape == (40,) and y.dtype == np.float32 and np.isfinite(y).all()
    assert y.max() > y.min()


def test_signal_shapes_by_hand():
    np.testing.assert_array_equal(make_signal("step edge", 6), [0, 0, 0, 1, 1, 1])
    sq = make_signal("square", 8)  # two cycles of +1 then -1
    np.testing.assert_array_equal(sq, [1, 1, -1, -1, 1, 1, -1, -1])
    with pytest.raises(ValueError, match="unknown signal"):
        make_signal("chirp")


# -- transposed -----------------------------------------------------------------------------------

def test_transposed_scatter_by_hand():
    # 2x2 input, 3x3 ones kernel, stride 2: stamps at (0,0), (0,2), (2,0), (2,2) overlap on the
    # middle row and column, where neighbouring values add up.
    x = np.array([[1, 2], [3, 4]], np.float32)
    t = conv_transpose2d_trace(x, np.ones((3, 3)), stride=2)
    expect = np.array([[1, 1, 3, 2, 2],
                       [1, 1, 3, 2, 2],
                       [4, 4, 10, 6, 6],
                       [3, 3, 7, 4, 4],
                       [3, 3, 7, 4, 4]], np.float32)
    np.testing.assert_array_equal(t.output[0], expect)
    assert [s.in_index for s in t.steps] == [(0, 0, 0), (0, 0, 1), (0, 1, 0), (0, 1, 1)]
    assert [s.origin for s in t.steps] == [(0, 0), (0, 2), (2, 0), (2, 2)]
    # after the first two stamps only the top three rows hold anything
    c1 = t.steps[1].canvas[0]
    np.testing.assert_array_equal(c1[:3], [[1, 1, 3, 2, 2]] * 3)
    assert not c1[3:].any()
    np.testing.assert_array_equal(t.steps[1].contribution[0], np.full((3, 3), 2))
    np.testing.assert_array_equal(t.steps[-1].canvas[0], expect)


def test_transposed_padding_crops_and_output_padding_grows():
    x = np.array([[1, 2], [3, 4]], np.float32)
    t = conv_transpose2d_trace(x, np.ones((3, 3)), bias=0.5, stride=2, padding=1, output_padding=1)
    assert t.output.shape == (1, 4, 4)
    assert t.canvas_shape == (1, 6, 6)
    assert t.crop_rect() == (1, 1, 4, 4)
    canvas = t.steps[-1].canvas[0]
    np.testing.assert_allclose(t.output[0], canvas[1:5, 1:5] + 0.5)
    # padding 0 with output_padding 1: the extra bottom row/right column hold only the bias
    t0 = conv_transpose2d_trace(x, np.ones((3, 3)), bias=0.5, stride=2, output_padding=1)
    assert t0.output.shape == (1, 6, 6)
    np.testing.assert_allclose(t0.output[0, -1], 0.5)
    np.testing.assert_allclose(t0.output[0, :, -1], 0.5)


@settings(max_examples=200, deadline=None)
@given(c_in=st.integers(1, 3), c_out=st.integers(1, 3), h=st.integers(1, 5), w=st.integers(1, 5),
       kh=st.integers(1, 4), kw=st.integers(1, 4), sh=st.integers(1, 3), sw=st.integers(1, 3),
       ph=st.integers(0, 2), pw=st.integers(0, 2), oph=st.integers(0, 2), opw=st.integers(0, 2),
       d=st.integers(1, 2), use_bias=st.booleans(), seed=st.integers(0, 10_000))
def test_transposed_equals_torch(c_in, c_out, h, w, kh, kw, sh, sw, ph, pw, oph, opw, d,
                                 use_bias, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((c_in, h, w)).astype(np.float32)
    wt = rng.standard_normal((c_in, c_out, kh, kw)).astype(np.float32)
    b = rng.standard_normal(c_out).astype(np.float32) if use_bias else None
    ok = ((oph < sh or oph < d) and (opw < sw or opw < d)
          and transposed_output_size(h, kh, sh, ph, oph, d) >= 1
          and transposed_output_size(w, kw, sw, pw, opw, d) >= 1)
    if not ok:
        with pytest.raises(ValueError):
            conv_transpose2d_trace(x, wt, b, (sh, sw), (ph, pw), (oph, opw), d)
        return
    t = conv_transpose2d_trace(x, wt, b, (sh, sw), (ph, pw), (oph, opw), d)
    ref = F.conv_transpose2d(torch.from_numpy(x)[None], torch.from_numpy(wt),
                             None if b is None else torch.from_numpy(b), (sh, sw), (ph, pw),
                             (oph, opw), 1, d)[0].numpy()
    np.testing.assert_allclose(t.output, ref, rtol=1e-5, atol=1e-5)
    # the last step's canvas, cropped, plus bias, is the output: the scatter view adds up
    r0, c0, ho, wo = t.crop_rect()
    final = t.steps[-1].canvas[:, r0:r0 + ho, c0:c0 + wo]
    if b is not None:
        final = final + b[:, None, None]
    np.testing.assert_allclose(final, ref, rtol=1e-5, atol=1e-5)
    # one step changes the canvas exactly by its stamp at the stride offset
    k = len(t.steps) // 2
    before = t.steps[k - 1].canvas if k else np.zeros(t.canvas_shape, np.float32)
    s = t.steps[k]
    rows, cols = t.stamp_cells(*s.in_index[1:])
    diff = s.canvas - before
    np.testing.assert_allclose(diff[:, rows[:, None], cols[None, :]], s.contribution, atol=1e-5)
    diff[:, rows[:, None], cols[None, :]] = 0
    np.testing.assert_allclose(diff, 0, atol=1e-5)


def test_transposed_errors():
    with pytest.raises(ValueError, match="output_padding 2 must be smaller"):
        conv_transpose2d_trace(np.ones((2, 2)), np.ones((3, 3)), stride=2, output_padding=2)
    with pytest.raises(ValueError, match="crops away"):
        conv_transpose2d_trace(np.ones((1, 1)), np.ones((1, 1)), padding=1)
    with pytest.raises(ValueError, match="input channels"):
        conv_transpose2d_trace(np.ones((2, 3, 3)), np.ones((3, 1, 2, 2)))
    with pytest.raises(ValueError, match="NaN"):
        conv_transpose2d_trace(np.array([[np.nan]]), np.ones((2, 2)))
