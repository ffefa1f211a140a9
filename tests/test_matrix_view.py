"""MatrixView, the shared heatmap: what it paints on screen, its numbers, its cover."""
import numpy as np
import pytest
import pyqtgraph as pg
from PySide6.QtCore import QPointF

from gui.widgets.cell_items import NOT_YET_RGBA
from gui.widgets.matrix_view import MatrixView

# the diverging map's 256 colours, as the view must paint them
DIVERGING = pg.colormap.get("CET-D1").getLookupTable(nPts=256, alpha=False).astype(int)


def expected_rgb(v: float, lo: float = -1.0, hi: float = 1.0) -> np.ndarray:
    return DIVERGING[int(np.clip((v - lo) / (hi - lo) * 255, 0, 255))]


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
        assert np.abs(shown_rgb(view, r, c) - expected_rgb(v)).max() <= 3, (r, c)
    assert view.cell_texts() == ["-1.00", "0.00", "0.50", "1.00"]
    assert tuple(view.colorbar.levels()) == (-1.0, 1.0)


def test_new_values_repaint_the_cached_image_and_numbers(view):
    """The image and numbers are drawn from Qt's item cache between updates: a new matrix (and
    a highlight moved over the old one) must still show the new colours and numbers."""
    view.set_matrix(np.array([[-1.0, 0.0], [0.5, 1.0]], np.float32), levels=(-1, 1))
    assert np.abs(shown_rgb(view, 0, 0) - expected_rgb(-1.0)).max() <= 3
    view.set_highlight((0, 0, 1, 1))
    view.set_matrix(np.array([[1.0, 0.0], [0.5, -1.0]], np.float32), levels=(-1, 1))
    view.set_highlight((1, 1, 1, 1))
    assert np.abs(shown_rgb(view, 0, 0) - expected_rgb(1.0)).max() <= 3
    assert np.abs(shown_rgb(view, 1, 1) - expected_rgb(-1.0)).max() <= 3
    assert view.cell_texts() == ["1.00", "0.00", "0.50", "-1.00"]


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
    mask[1, 1] = False                     # a step back: covered again
    view.set_filled(mask)
    assert np.array_equal(shown_rgb(view, 1, 1), NOT_YET_RGBA[:3])
    assert not np.array_equal(shown_rgb(view, 0, 0), NOT_YET_RGBA[:3])
    mask[1, 1] = True
    view.set_filled(mask)
    assert not np.array_equal(shown_rgb(view, 1, 1), NOT_YET_RGBA[:3])
    view.set_filled(None)                  # everything shown
    assert not np.array_equal(shown_rgb(view, 2, 2), NOT_YET_RGBA[:3])
    assert "" not in view.cell_texts()


def test_photo_sized_maps_are_painted_with_the_same_colours(view):
    n = 200                                                   # a photo-sized map
    values = np.tile(np.linspace(-1, 1, n, dtype=np.float32), (n, 1))
    view.set_matrix(values, levels=(-1, 1))
    assert view.cell_texts() == []                           # far too many cells for numbers
    for col in (5, n // 2, n - 6):      # (cells about a pixel wide: clear of the edges)
        assert np.abs(shown_rgb(view, n // 2, col) - expected_rgb(values[0, col])).max() <= 3, col
    small = np.array([[-1.0, 1.0], [0.0, 0.5]], np.float32)  # back to a small grid
    view.set_matrix(small, levels=(-1, 1))
    for (r, c), v in np.ndenumerate(small):
        assert np.abs(shown_rgb(view, r, c) - expected_rgb(v)).max() <= 3, (r, c)


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


def test_a_real_click_on_a_cell_reports_that_cell(qtbot, view):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    view.set_matrix(np.arange(12, dtype=np.float32).reshape(3, 4))
    seen = []
    view.cellClicked.connect(lambda r, c: seen.append((r, c)))
    for r, c in [(0, 0), (2, 3), (1, 2)]:
        point = view.mapFromScene(view.plot.vb.mapViewToScene(QPointF(c + 0.5, r + 0.5)))
        QTest.mouseClick(view.viewport(), Qt.LeftButton, Qt.NoModifier, point)
    assert seen == [(0, 0), (2, 3), (1, 2)]
    QTest.mouseClick(view.viewport(), Qt.RightButton, Qt.NoModifier, point)
    assert len(seen) == 3


def test_marks_and_highlight_read_back(view):
    view.set_matrix(np.zeros((4, 4), np.float32))
    view.set_marks([(1, 2), (3, 0)])
    view.set_highlight((0, 1, 2, 3))
    assert view.marks() == [(1, 2), (3, 0)] and view.highlight() == (0, 1, 2, 3)
    view.set_marks([(2, 2)])
    view.set_highlight(None)
    assert view.marks() == [(2, 2)] and view.highlight() is None


def test_numbers_are_never_drawn_under_the_readable_size(shown):
    """An 8x8 grid in a 200 px view has cells too small for a 14 px number: none are drawn
    (the texts are kept for when the view grows)."""
    from PySide6.QtGui import QImage
    small = shown(MatrixView(show_numbers=True, colormap="gray"), 200, 200)
    small.set_matrix(np.zeros((8, 8), np.float32), levels=(0, 1))
    blank = small.grab().toImage()
    small.set_matrix(np.full((8, 8), 0.5, np.float32), levels=(0, 1))   # grey: text would show
    image = small.grab().toImage().convertToFormat(QImage.Format_RGB32)
    grey = image.pixelColor(image.width() // 2, image.height() // 2)
    colours = {image.pixelColor(x, y).name() for x in range(40, 160, 3) for y in range(40, 160, 3)}
    assert colours == {grey.name()}, "numbers were drawn in 24-px cells"
    assert blank.size() == image.size()


def test_numbers_grow_with_the_presenter_scale(shown):
    """Ctrl++ reaches the numbers in a grid: after the scale grows, each number covers more
    pixels (and the scale's signal reaches a live view without an error)."""
    from PySide6.QtGui import QImage
    from gui import style
    # cells of ~190 px: the number's size is set by the scale (26 -> 39 px), not by the cell
    view = shown(MatrixView(show_numbers=True, colormap="gray", number_format="{:.1f}"), 600, 600)
    view.set_matrix(np.zeros((3, 3), np.float32), levels=(0, 1))   # black cells, white numbers

    def text_pixels():
        image = view.grab().toImage().convertToFormat(QImage.Format_RGB32)
        cx, cy = image.width() // 2, image.height() // 2    # the middle cell's number
        return sum(image.pixelColor(x, y).lightness() > 128
                   for x in range(cx - 60, cx + 60) for y in range(cy - 40, cy + 40))

    before = text_pixels()
    try:
        style.set_factor(1.5)
        after = text_pixels()
    finally:
        style.set_factor(1.0)
    assert before > 0
    assert after > before * 1.8   # 1.5² = 2.25 times the area, less anti-aliased edges
