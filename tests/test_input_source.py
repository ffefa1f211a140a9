"""InputSourceBox: every kind of input, refused inputs that change nothing, its state."""
import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from engine.images import SAMPLE_GRIDS, WORKED_EXAMPLE, gray_to_rgb_grid
from gui.bind import StateError
from gui.widgets.input_source import (
    FILE, GRID_PREFIX, PAD, PHOTO_PREFIX, TYPED, InputSourceBox, SourceUnavailable,
)


@pytest.fixture
def box(shown):
    b = InputSourceBox(SAMPLE_GRIDS, ["coins"], pad=True, typed=True, file=True, colour=True)
    b.messages = []
    b.message.connect(lambda text, level: b.messages.append((text, level)))
    b.reload()
    return shown(b, 340, 400)


def test_grids_photos_and_colour(box, qtbot):
    np.testing.assert_array_equal(box.current(), WORKED_EXAMPLE)
    with qtbot.waitSignal(box.inputChanged):
        assert box.choose(GRID_PREFIX + "gradient 5×5")
    np.testing.assert_array_equal(box.current(), SAMPLE_GRIDS["gradient 5×5"])
    QTest.mouseClick(box.rgb_radio, Qt.LeftButton, Qt.NoModifier, QPoint(8, box.rgb_radio.height() // 2))
    assert box.settings.rgb and box.current().shape == (3, 5, 5)
    np.testing.assert_array_equal(box.current(), gray_to_rgb_grid(SAMPLE_GRIDS["gradient 5×5"]))
    assert box.choose(PHOTO_PREFIX + "coins")
    assert box.current().shape == (3, 303, 384)


def test_typed_grid_good_and_bad(box):
    assert box.use_typed("1 2 3\n4 5 6")
    np.testing.assert_array_equal(box.current(), [[1, 2, 3], [4, 5, 6]])
    assert box.source == TYPED and box.combo.currentText() == TYPED
    assert not box.use_typed("1 2 3\n4 x 6")
    assert "'x' is not a number" in box.error.text() and box.messages[-1][1] == "error"
    np.testing.assert_array_equal(box.current(), [[1, 2, 3], [4, 5, 6]])
    assert box.settings.typed == "1 2 3\n4 5 6"


def test_files_corrupt_and_huge(box, tmp_path):
    from PIL import Image
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    assert not box.open_file(str(bad))
    assert "broken.png" in box.error.text() and box.source == GRID_PREFIX + "worked example 4×4"
    np.testing.assert_array_equal(box.current(), WORKED_EXAMPLE)
    Image.new("L", (1200, 600), 200).save(tmp_path / "big.png")
    assert box.open_file(str(tmp_path / "big.png"))
    assert box.current().shape == (256, 512) and box.source == FILE
    assert "shrunk from 1200×600" in box.info.text() and box.messages[-1][1] == "warning"
    assert not box.error.isVisible()


def test_the_drawing_pad(box):
    assert box.choose(PAD) and box.painting
    assert box.current().shape == (10, 10) and box.current().sum() == 0
    box.paint_cell(0, 0)
    box.paint_cell(2, 3)
    box.paint_cell(2, 3)
    box.paint_cell(99, 0)                      # outside: ignored
    assert box.current().sum() == 2 and box.current()[2, 3] == 1
    box.paint_cell(0, 0, erase=True)
    assert box.current().sum() == 1
    assert box.state()["pad"] == [[2, 3]]
    size = box.controls()["pad_size"]
    size.setValue(3)                           # (2, 3) falls outside a 3 × 3 pad
    assert box.current().shape == (3, 3) and box.current().sum() == 0


def test_a_source_with_nothing_yet_says_so_and_loads_later(box):
    values = {"map": None}

    def provide():
        if values["map"] is None:
            raise SourceUnavailable("No feature map yet: open the Convolution page first.")
        return values["map"]
    box.add_source("Feature map", provide)
    assert box.choose("Feature map")
    assert box.source == "Feature map" and "open the Convolution page" in box.info.text()
    np.testing.assert_array_equal(box.current(), WORKED_EXAMPLE)      # the previous input stays
    values["map"] = np.ones((3, 4), np.float32)
    assert box.reload()
    np.testing.assert_array_equal(box.current(), np.ones((3, 4)))


def test_state_round_trip_and_bad_states(box, shown, tmp_path):
    box.use_typed("1 2\n3 4")
    box.choose(PAD)
    box.paint_cell(1, 1)
    state = box.state()
    again = shown(InputSourceBox(SAMPLE_GRIDS, ["coins"], pad=True, typed=True, file=True,
                                 colour=True), 340, 400)
    again.apply_state(state)
    assert again.state() == state
    np.testing.assert_array_equal(again.current(), box.current())
    for bad, field in [({"source": "Photo: the moon landing"}, "source"),
                       ({"typed": "1 2\n3"}, "typed"), ({"pad": [[1, 99]]}, "pad"),
                       ({"rgb": "yes"}, "rgb"), ({"source": FILE, "file": str(tmp_path / "gone.png")}, "file")]:
        with pytest.raises(StateError) as err:
            again.apply_state(bad)
        assert err.value.field == field
        assert again.state() == state
        np.testing.assert_array_equal(again.current(), box.current())
    again.reset()
    assert again.source == GRID_PREFIX + "worked example 4×4"
