"""The Train page's prediction grid, checked on the pixels it paints."""
import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint
from PySide6.QtGui import QColor, QHelpEvent
from PySide6.QtWidgets import QApplication, QToolTip

from gui.widgets.prediction_grid import RIGHT_COLOR, WRONG_COLOR, PredictionGrid

CLASSES = ["zero", "one", "two", "three"]


@pytest.fixture
def grid(shown):
    return shown(PredictionGrid(columns=2), 300, 400)


def pixel(image, x, y) -> QColor:
    return image.pixelColor(int(x), int(y))


def gray_samples():
    images = np.zeros((4, 1, 6, 6), np.float32)
    for k in range(4):
        images[k, 0] = 0.2 * (k + 1)          # each image one flat shade
    images[3, 0, :3] = 0.0                    # the last: top half black
    return images


def test_each_image_is_painted_in_its_tile_at_its_own_shade(grid):
    grid.set_samples(gray_samples(), np.array([0, 1, 2, 3]), CLASSES)
    shot = grid.grab().toImage()
    for k in range(3):
        r = grid.image_rect(k)
        assert pixel(shot, r.center().x(), r.center().y()).red() == round(0.2 * (k + 1) * 255)
    r = grid.image_rect(3)
    assert pixel(shot, r.center().x(), r.top() + r.height() / 4).red() == 0
    assert pixel(shot, r.center().x(), r.bottom() - r.height() / 4).red() == round(0.8 * 255)
    # square pixels, inside the tile, under the caption
    for k in range(4):
        r, cell = grid.image_rect(k), grid.tile_rect(k)
        assert r.width() == pytest.approx(r.height()) and r.width() > 40
        assert cell.contains(r) and r.top() > cell.top() + 10
    assert grid.texts() == [f"true {c}" for c in CLASSES]


def test_rgb_images_keep_their_channels(grid):
    images = np.zeros((2, 3, 4, 4), np.float32)
    images[0, 0] = 1.0          # red
    images[1, 2] = 0.5          # half blue
    grid.set_samples(images, np.array([0, 1]), CLASSES)
    shot = grid.grab().toImage()
    c0 = pixel(shot, grid.image_rect(0).center().x(), grid.image_rect(0).center().y())
    c1 = pixel(shot, grid.image_rect(1).center().x(), grid.image_rect(1).center().y())
    assert (c0.red(), c0.green(), c0.blue()) == (255, 0, 0)
    assert (c1.red(), c1.green(), c1.blue()) == (0, 0, 128)


def test_frames_and_captions_say_right_or_wrong(grid, qtbot):
    grid.set_samples(gray_samples(), np.array([0, 1, 2, 3]), CLASSES)
    grid.set_predictions(np.array([0, 2, 2, 1]), np.array([0.91, 0.55, 0.7, 0.4]))
    assert grid.texts() == ["✓ zero 91%", "✗ two 55%", "✓ two 70%", "✗ one 40%"]
    shot = grid.grab().toImage()
    for k, expected in enumerate([RIGHT_COLOR, WRONG_COLOR, RIGHT_COLOR, WRONG_COLOR]):
        r = grid.image_rect(k)
        frame = pixel(shot, r.center().x(), r.top() - 2)    # inside the 3-pixel frame
        assert frame.name() == expected
    # a wrong guess names the true class; the tooltip says both
    assert grid.caption(1) == ("✗ two", "55% · is one")
    assert grid.caption(0) == ("✓ zero", "91%")
    r = grid.image_rect(1)
    pos = QPoint(int(r.center().x()), int(r.center().y()))
    QApplication.sendEvent(grid, QHelpEvent(QEvent.ToolTip, pos, grid.mapToGlobal(pos)))
    qtbot.waitUntil(lambda: QToolTip.isVisible())
    assert QToolTip.text() == "true class: one; predicted two with probability 55%"
    QToolTip.hideText()


def test_unchanged_predictions_ask_for_no_repaint(grid, qtbot):
    grid.set_samples(gray_samples(), np.array([0, 1, 2, 3]), CLASSES)
    grid.set_predictions(np.array([0, 1, 2, 3]), np.array([0.9, 0.9, 0.9, 0.9]))
    qtbot.wait(20)
    painted = []
    original = grid.paintEvent
    grid.paintEvent = lambda ev: (painted.append(1), original(ev))
    grid.set_predictions(np.array([0, 1, 2, 3]), np.array([0.9, 0.9, 0.9, 0.9]))
    qtbot.wait(50)
    assert painted == []
    grid.set_predictions(np.array([0, 1, 2, 0]), np.array([0.9, 0.9, 0.9, 0.9]))
    qtbot.waitUntil(lambda: len(painted) > 0)


def test_only_changed_tiles_are_repainted_and_the_screen_stays_exact(grid, qtbot):
    """A snapshot that changes one caption repaints that tile alone; after a run of such
    snapshots what the window shows (its backing store) equals a full repaint."""
    grid.set_samples(gray_samples(), np.array([0, 1, 2, 3]), CLASSES)
    grid.set_predictions(np.array([0, 1, 2, 3]), np.array([0.9, 0.9, 0.9, 0.9]))
    qtbot.wait(20)
    regions = []
    original = grid.paintEvent
    grid.paintEvent = lambda ev: (regions.append(ev.rect()), original(ev))
    grid.set_predictions(np.array([0, 1, 3, 3]), np.array([0.9, 0.9, 0.6, 0.9]))  # tile 2 wrong
    qtbot.waitUntil(lambda: len(regions) > 0)
    assert all(grid.tile_rect(2).toAlignedRect().contains(r) for r in regions)
    rng = np.random.default_rng(0)
    for _ in range(12):
        grid.set_predictions(rng.integers(0, 4, 4), rng.uniform(0.3, 1.0, 4))
        qtbot.wait(1)
    qtbot.wait(20)
    fresh = grid.grab().toImage()
    shown_now = grid.screen().grabWindow(grid.winId()).toImage()
    assert shown_now.convertToFormat(fresh.format()) == fresh
