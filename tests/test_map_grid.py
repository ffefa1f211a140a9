"""MapGrid colours each map itself (levels, then the colour map) and shows the pixels as is."""
import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

from gui.widgets.map_grid import MapGrid


def _argb(color) -> tuple:
    """An opaque colour as the RGBA bytes a map's pixel holds."""
    r, g, b = (int(c) for c in color[:3])
    return (r, g, b, 255)


def _px(pixels, r, c) -> tuple:
    return tuple(int(v) for v in pixels[r, c])


def test_each_map_on_its_own_scale_in_the_colour_map(qtbot):
    grid = MapGrid(columns=2, colormap="magma")
    qtbot.addWidget(grid)
    maps = np.array([[[0.0, 1.0], [0.5, 0.25]], [[-3.0, -3.0], [9.0, 1.0]]], np.float32)
    grid.set_maps(maps, levels="each")
    assert grid.count == 2
    magma = pg.colormap.get("magma")
    lowest, highest = (_argb(magma.map(v, mode="byte")) for v in (0.0, 1.0))
    first, second = grid.pixels(0), grid.pixels(1)
    assert first.shape == (2, 2, 4) and first.dtype == np.uint8
    # each map's minimum gets the colour map's first colour and its maximum the last
    assert _px(first, 0, 0) == lowest and _px(first, 0, 1) == highest
    assert _px(second, 0, 0) == _px(second, 0, 1) == lowest and _px(second, 1, 0) == highest
    # in between: the colour at that fraction of the map's own range
    assert _px(first, 1, 0) == _argb(magma.getLookupTable(nPts=256, alpha=False)[127])


def test_shared_and_fixed_levels_and_rgb_maps(qtbot, shown):
    grid = shown(MapGrid(columns=2, colormap="gray"), 200, 100)
    maps = np.array([[[0.0, 2.0]], [[4.0, 4.0]]], np.float32)
    grid.set_maps(maps, levels="shared")                        # one scale 0..4 for both
    white, black = (255, 255, 255, 255), (0, 0, 0, 255)
    assert _px(grid.pixels(1), 0, 0) == white and _px(grid.pixels(0), 0, 0) == black
    assert _px(grid.pixels(0), 0, 1) not in (white, black)
    rgb = np.zeros((2, 3, 3, 3), np.float32)
    rgb[0, 1, 1] = (1.0, 0.0, 0.0)                               # a red centre pixel
    grid.set_maps(rgb, levels=(0.0, 1.0))
    shown_rgba = grid.pixels(0)
    assert shown_rgba.shape == (3, 3, 4)
    assert tuple(shown_rgba[1, 1]) == (255, 0, 0, 255) and tuple(shown_rgba[0, 0]) == (0, 0, 0, 255)
    # and the window shows it: the middle of the first map is red
    image = grid.grab().toImage()
    item = grid.image(0)
    centre = grid.mapFromScene(item.mapToScene(1.5, 1.5))
    assert image.pixelColor(centre) == QColor(255, 0, 0)


def test_maps_have_no_context_menu(qtbot):
    """Maps are not for panning: their view boxes are made without pyqtgraph's context menu
    (building twelve of them took ~60 ms of the first snapshot's redraw on the Train page)."""
    grid = MapGrid(columns=3)
    qtbot.addWidget(grid)
    grid.set_maps(np.zeros((6, 5, 5), np.float32))
    boxes = [grid.image(k).getViewBox() for k in range(grid.count)]
    assert len(boxes) == 6 and all(box.menu is None for box in boxes)


def test_a_new_count_reuses_the_cells_and_lays_them_out_again(qtbot, shown):
    """Adding and removing filters changes the count: cells are taken out and put back, never
    destroyed (destroying pyqtgraph's nested layouts mid-run segfaulted), and the grid shows
    exactly `count` maps, `columns` a row, each with its own title and pixels."""
    grid = shown(MapGrid(columns=2, colormap="gray"), 300, 300)
    grid.set_maps(np.zeros((3, 2, 2), np.float32), titles=["a", "b", "c"])
    first = [grid.image(k) for k in range(3)]
    for count in (1, 5, 2):
        maps = np.zeros((count, 2, 2), np.float32)
        maps[-1] = 1.0                                   # the last map white, the others black
        grid.set_maps(maps, levels=(0.0, 1.0), titles=[f"map {k + 1}" for k in range(count)])
        qtbot.wait(10)
        assert grid.count == count
        assert [grid.image(k) for k in range(min(count, 3))] == first[:min(count, 3)]
        in_scene = [item for item in grid.scene().items() if isinstance(item, type(first[0]))]
        assert len(in_scene) == count                    # no cell left over from before
        centres = [grid.image(k).sceneBoundingRect().center() for k in range(count)]
        for k in range(count):
            assert grid.title(k) == f"map {k + 1}"
            if k % 2:                                    # right of its row's first map
                assert centres[k].x() > centres[k - 1].x() + 20
                assert abs(centres[k].y() - centres[k - 1].y()) < 1
            elif k:                                      # a new row, below the one before
                assert centres[k].y() > centres[k - 2].y() + 20
        image = grid.grab().toImage()
        last = grid.mapFromScene(grid.image(count - 1).mapToScene(1.0, 1.0))
        assert image.pixelColor(last) == QColor(255, 255, 255)
        if count > 1:
            other = grid.mapFromScene(grid.image(0).mapToScene(1.0, 1.0))
            assert image.pixelColor(other) == QColor(0, 0, 0)
