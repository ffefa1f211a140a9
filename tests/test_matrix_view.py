"""MatrixView, the shared heatmap: what it paints on screen, its numbers, its cover."""
import numpy as np
import pytest
from PySide6.QtCore import QPointF

from gui.widgets.matrix_view import NOT_YET_RGBA, MatrixView


@pytest.fixture
def view(shown):
    return shown(MatrixView(colormap="diverging", number_format="{:.2f}", colorbar=True), 360, 300)


def shown_rgb(view, row, col):
    """The colour on screen near the corner of a cell (clear of its number)."""
    image = view.grab().toImage()
    point = view.mapFromScene(view.plot.vb.mapViewToScene(QPointF(col + 0.15, row + 0.15)))
    c = image.pixelColor(point)
    return np.array([c.red(), c.green(), c.blue()])


def test_cells_are_painted_through_the_colour_map(view):
    values = np.array([[-1.0, 0.0], [0.5, 1.0]], np.float32)
    view.set_matrix(values, levels=(-1, 1))
    for (r, c), v in np.ndenumerate(values):
        expected = view._lut[int(np.clip((v + 1) / 2 * 255, 0, 255))]
        assert np.abs(shown_rgb(view, r, c) - expected).max() <= 3, (r, c)
    assert view.cell_texts() == ["-1.00", "0.00", "0.50", "1.00"]
    assert tuple(view.colorbar.levels()) == (-1.0, 1.0)


def test_tiny_negatives_are_not_shown_as_minus_zero(view):
    view.set_matrix(np.array([[-0.0, -0.001], [-0.01, 2.0]], np.float32))
    assert view.cell_texts() == ["0.00", "0.00", "-0.01", "2.00"]


def test_cover_hides_cells_until_filled(qtbot, view):
    values = np.full((3, 3), 1.0, np.float32)
    mask = np.zeros((3, 3), bool)
    mask[0, 0] = True
    view.set_matrix(values, levels=(-1, 1), mask=mask)
    assert np.array_equal(shown_rgb(view, 1, 1), NOT_YET_RGBA[:3])
    assert not np.array_equal(shown_rgb(view, 0, 0), NOT_YET_RGBA[:3])
    assert view.cell_texts()[:2] == ["1.00", ""]
    mask[1, 1] = True                      # one more cell: only it changes
    view.set_filled(mask)
    assert not np.array_equal(shown_rgb(view, 1, 1), NOT_YET_RGBA[:3])
    assert np.array_equal(shown_rgb(view, 2, 2), NOT_YET_RGBA[:3])
    assert view.cell_texts()[4] == "1.00"
    view.set_filled(None)                  # everything shown
    assert not np.array_equal(shown_rgb(view, 2, 2), NOT_YET_RGBA[:3])
    assert "" not in view.cell_texts()


def test_photo_sized_maps_take_the_lookup_table_path_with_the_same_colours(view):
    from gui.widgets.matrix_view import LUT_PATH_CELLS
    n = int(np.sqrt(LUT_PATH_CELLS)) + 72                     # a photo-sized map
    values = np.tile(np.linspace(-1, 1, n, dtype=np.float32), (n, 1))
    view.set_matrix(values, levels=(-1, 1))
    assert view.image.lut is not None
    for col in (5, n // 2, n - 6):      # (cells about a pixel wide: clear of the edges)
        expected = view._lut[int(np.clip((values[0, col] + 1) / 2 * 255, 0, 255))]
        assert np.abs(shown_rgb(view, n // 2, col) - expected).max() <= 3, col
    small = np.array([[-1.0, 1.0], [0.0, 0.5]], np.float32)  # back to a small grid: pixels
    view.set_matrix(small, levels=(-1, 1))
    assert view.image.lut is None and view.image.image.dtype == np.uint32
    for (r, c), v in np.ndenumerate(small):
        expected = view._lut[int(np.clip((v + 1) / 2 * 255, 0, 255))]
        assert np.abs(shown_rgb(view, r, c) - expected).max() <= 3, (r, c)


def test_rgb_images_and_the_overlay_tint(view):
    rgb = np.zeros((2, 2, 3), np.float32)
    rgb[0, 0] = (1.0, 0.0, 0.0)
    rgb[1, 1] = (0.0, 0.5, 1.0)
    view.set_rgb(rgb)
    assert np.array_equal(shown_rgb(view, 0, 0), [255, 0, 0])
    assert np.array_equal(shown_rgb(view, 1, 1), [0, 128, 255])
    assert np.array_equal(shown_rgb(view, 0, 1), [0, 0, 0])
    view.set_matrix(np.ones((2, 2), np.float32), levels=(-1, 1))
    under = shown_rgb(view, 0, 1).astype(float)
    mask = np.array([[True, False], [False, False]])
    view.set_overlay(mask, rgba=(0, 0, 0, 128))               # half-transparent black
    assert np.abs(shown_rgb(view, 0, 0) - under * (1 - 128 / 255)).max() <= 3
    assert np.array_equal(shown_rgb(view, 0, 1), under)
    view.set_overlay(None)
    assert np.array_equal(shown_rgb(view, 0, 0), under)
