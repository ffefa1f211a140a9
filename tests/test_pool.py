"""engine.pool: the pooling trace against torch, worked by hand, and its error messages."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.pool import pool2d_trace, pool_output_size

GRID = np.array([[1, 3, 2, 4],
                 [5, 6, 1, 2],
                 [7, 2, 9, 0],
                 [1, 8, 3, 4]], np.float32)


def test_max_pool_2x2_stride_2_by_hand():
    t = pool2d_trace(GRID, 2)
    # top-left window [[1,3],[5,6]] -> 6 at (1,1); top-right [[2,4],[1,2]] -> 4 at (0,1);
    # bottom-left [[7,2],[1,8]] -> 8 at (1,1); bottom-right [[9,0],[3,4]] -> 9 at (0,0).
    np.testing.assert_array_equal(t.output, [[[6, 4], [8, 9]]])
    assert [s.out_index for s in t.steps] == [(0, 0, 0), (0, 0, 1), (0, 1, 0), (0, 1, 1)]
    assert [s.argmax for s in t.steps] == [(1, 1), (0, 1), (1, 1), (0, 0)]
    assert [s.origin for s in t.steps] == [(0, 0), (0, 2), (2, 0), (2, 2)]
    np.testing.assert_array_equal(t.steps[1].window, [[2, 4], [1, 2]])
    assert [s.value for s in t.steps] == [6, 4, 8, 9]


def test_avg_pool_2x2_by_hand():
    t = pool2d_trace(GRID, 2, mode="avg")
    np.testing.assert_allclose(t.output, [[[15 / 4, 9 / 4], [18 / 4, 16 / 4]]])
    assert all(s.argmax is None for s in t.steps)


def test_overlapping_3x3_stride_2_shares_cells():
    x = np.arange(25, dtype=np.float32).reshape(5, 5)
    t = pool2d_trace(x, 3, 2)
    np.testing.assert_array_equal(t.output, [[[12, 14], [22, 24]]])
    # windows at columns 0..2 and 2..4 both contain column 2
    np.testing.assert_array_equal(t.steps[0].window[:, 2], t.steps[1].window[:, 0])
    assert t.steps[0].argmax == (2, 2)


def test_max_padding_is_minus_infinity_and_never_picked():
    x = -np.ones((3, 3), np.float32) * 5  # all negative: a zero pad would win, -inf does not
    t = pool2d_trace(x, 3, 2, 1)
    w = t.steps[0].window
    assert np.isneginf(w[0]).all() and np.isneginf(w[:, 0]).all()
    assert t.steps[0].value == -5
    r, c = t.steps[0].argmax
    assert r >= 1 and c >= 1
    assert t.padding_mask().sum() == 25 - 9


def test_avg_padding_counts_in_the_mean():
    x = np.ones((2, 2), np.float32)
    t = pool2d_trace(x, 2, 2, 1, mode="avg")
    # each corner window holds one real 1 and three padding zeros: 1/4 (count_include_pad=True)
    np.testing.assert_allclose(t.output, np.full((1, 2, 2), 0.25))
    np.testing.assert_array_equal(t.steps[0].window, [[0, 0], [0, 1]])


def test_ties_keep_the_first_maximum_like_torch():
    t = pool2d_trace(np.full((2, 2), 3.0), 2)
    assert t.steps[0].argmax == (0, 0)


def test_step_index_and_channels():
    x = np.random.default_rng(0).standard_normal((3, 6, 6)).astype(np.float32)
    t = pool2d_trace(x, 2)
    assert len(t.steps) == 3 * 3 * 3
    k = t.step_index(2, 1, 0)
    assert t.steps[k].out_index == (2, 1, 0)
    assert t.steps[-1].out_index == (2, 2, 2)


@settings(max_examples=250, deadline=None)
@given(c=st.integers(1, 3), h=st.integers(1, 12), w=st.integers(1, 12),
       kh=st.integers(1, 5), kw=st.integers(1, 5), sh=st.integers(1, 4), sw=st.integers(1, 4),
       ph=st.integers(0, 2), pw=st.integers(0, 2), mode=st.sampled_from(["max", "avg"]),
       seed=st.integers(0, 10_000))
def test_trace_equals_torch(c, h, w, kh, kw, sh, sw, ph, pw, mode, seed):
    x = np.random.default_rng(seed).standard_normal((c, h, w)).astype(np.float32)
    # integers make ties likely, which checks torch's tie rule too
    if seed % 3 == 0:
        x = np.round(x)
    fits = 2 * ph <= kh and 2 * pw <= kw and h + 2 * ph >= kh and w + 2 * pw >= kw
    if not fits:
        with pytest.raises(ValueError):
            pool2d_trace(x, (kh, kw), (sh, sw), (ph, pw), mode)
        return
    t = pool2d_trace(x, (kh, kw), (sh, sw), (ph, pw), mode)
    xt = torch.from_numpy(x)[None]
    if mode == "max":
        ref, idx = F.max_pool2d(xt, (kh, kw), (sh, sw), (ph, pw), return_indices=True)
    else:
        ref = F.avg_pool2d(xt, (kh, kw), (sh, sw), (ph, pw))
    np.testing.assert_array_equal(t.output, ref[0].numpy())
    assert t.output.shape == (c, pool_output_size(h, kh, sh, ph), pool_output_size(w, kw, sw, pw))
    # every step's window agrees with its value; check a spread of them
    for k in range(0, len(t.steps), max(1, len(t.steps) // 7)):
        s = t.steps[k]
        assert s.window.shape == (kh, kw)
        if mode == "max":
            r, cc = s.argmax
            assert s.window[r, cc] == s.value == s.window.max()
            # the same input cell torch reports with return_indices
            ci, i, j = s.out_index
            flat = (s.origin[0] + r - ph) * w + (s.origin[1] + cc - pw)
            assert flat == int(idx[0, ci, i, j])
        else:
            assert s.value == pytest.approx(float(s.window.mean()), abs=1e-5)


def test_no_output_message_gives_the_formula():
    with pytest.raises(ValueError, match=r"floor\(\(3 \+ 2\*0 - 5\) / 1\) \+ 1"):
        pool2d_trace(np.zeros((3, 3)), 5, 1)


def test_padding_over_half_the_window_is_refused_clearly():
    with pytest.raises(ValueError, match="at most 1"):
        pool2d_trace(np.zeros((6, 6)), 3, 2, 2)


@pytest.mark.parametrize("bad, match", [
    (np.array([[1, np.nan], [0, 1]]), "NaN"),
    (np.zeros((2, 2, 2, 2)), "shape"),
])
def test_bad_inputs(bad, match):
    with pytest.raises(ValueError, match=match):
        pool2d_trace(bad, 2)


def test_bad_mode_and_stride():
    with pytest.raises(ValueError, match="mode"):
        pool2d_trace(GRID, 2, mode="min")
    with pytest.raises(ValueError, match="stride"):
        pool2d_trace(GRID, 2, 0)
