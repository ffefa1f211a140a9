"""The Draw a digit page and its widgets: canvas, probability bars, preprocessing views, models."""
import numpy as np
import pytest
import torch
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication

from engine.data.synth_digits import make_synth_digits
from engine.digits import preprocess
from engine.inspect import analyse
from engine.models import CifarNet, LeNet5, save_checkpoint
from gui.pages.draw_digit import CROP_SIDE, HEAT_ALPHA, DrawDigitPage, fit_square
from gui.state import AppState, TrainedModel
from gui.widgets.digit_canvas import BUFFER, DigitCanvas
from gui.widgets.prob_bars import BAR, TOP, ProbabilityBars


@pytest.fixture
def page(qtbot):
    p = DrawDigitPage(AppState())
    qtbot.addWidget(p)
    p.resize(1300, 850)
    return p


def _synth(digit: int) -> np.ndarray:
    x, y = make_synth_digits(40, seed=21)
    return x[np.flatnonzero(y == digit)[0], 0]


def _drag(canvas: DigitCanvas, points, qtbot) -> None:
    """One stroke with real mouse events through `points` in canvas (280x280) coordinates."""
    sheet = canvas.sheet_rect()
    k = sheet.width() / BUFFER
    at = [QPoint(round(sheet.x() + x * k), round(sheet.y() + y * k)) for x, y in points]
    qtbot.mousePress(canvas, Qt.LeftButton, pos=at[0])
    for pos in at[1:]:
        qtbot.mouseMove(canvas, pos)
    qtbot.mouseRelease(canvas, Qt.LeftButton, pos=at[-1])


def test_a_stroke_drawn_with_the_mouse_is_read(page, qtbot):
    """Real mouse events on the canvas: a vertical bar is a 1, and every view shows what
    preprocess() and the model make of the canvas."""
    page.show()
    qtbot.waitExposed(page)
    _drag(page.canvas, [(140, 40 + 10 * i) for i in range(21)], qtbot)
    assert page.canvas.stroke_count() == 1
    expected = preprocess(page.canvas.image())[0].numpy()
    assert np.allclose(page.current_input(), expected)
    with torch.no_grad():
        probs = torch.softmax(page.model(torch.from_numpy(expected)[None, None]), 1)[0].numpy()
    assert page.bars.top_class() == 1 == int(probs.argmax())
    assert np.allclose(page.bars.probabilities(), probs, atol=1e-5)
    assert page.verdict.text().startswith("It's a 1  (")
    assert np.array_equal(page.app_state.drawn_digit, expected)       # published for other pages
    qtbot.mouseClick(page.canvas, Qt.RightButton, pos=page.canvas.sheet_rect().center().toPoint())
    assert page.canvas.is_empty() and page.current_input() is None      # right-click: undo
    assert page.app_state.drawn_digit is None


@pytest.mark.parametrize("digit", [3, 7])
def test_synth_digit_on_canvas_is_recognised(page, digit):
    page.canvas.set_image(_synth(digit))
    assert page.bars.top_class() == digit
    probs = page.bars.probabilities()
    assert probs.argmax() == digit and probs.sum() == pytest.approx(1.0, abs=1e-4)
    assert page.bars.label_texts()[digit].endswith("%")
    assert page.verdict.text().startswith(f"It's a {digit}  (")
    # the 28x28 view shows exactly what preprocess() makes of the canvas, and the model's answer
    expected = preprocess(page.canvas.image())[0].numpy()
    assert np.allclose(page.stages_view.values(2), expected)
    assert np.allclose(page.current_input(), expected)
    with torch.no_grad():
        logits = page.model(torch.from_numpy(expected)[None, None])
    assert np.allclose(probs, torch.softmax(logits, 1)[0].numpy(), atol=1e-5)


def test_feature_maps_and_heat_follow_the_drawing(page):
    page.canvas.set_image(_synth(4))
    assert page.maps_view.layer_count() == 2
    result = analyse(page.model, page.current_input(), "gradcam")
    conv1, conv2 = page.maps_view.mosaic(0), page.maps_view.mosaic(1)
    close = dict(atol=1e-6)
    assert conv1.shape == (2 * 28 + 2, 3 * 28 + 2 * 2)       # 6 maps: 2 rows x 3, 2-px gaps
    assert np.allclose(conv1[:28, :28], result.feature_maps[0][1][0], **close)
    assert np.allclose(conv1[30:58, 60:88], result.feature_maps[0][1][5], **close)
    assert np.allclose(conv2[33:43, 11:21], result.feature_maps[1][1][13], **close)  # row 3, col 1
    assert np.isnan(conv1[28:30]).all()
    assert page.stages_view.captions[3].text == "4 · Grad-CAM"
    overlay = page.stages_view.overlay.image
    # RGBA: the opacity grows with the heat, up to the peak's
    alpha = overlay[..., 3]
    assert overlay.shape == (28, 28, 4) and overlay.dtype == np.uint8
    assert alpha.max() == HEAT_ALPHA and alpha.min() < HEAT_ALPHA
    heat = result.heat
    hottest = np.unravel_index(np.argmax(heat), heat.shape)
    assert alpha[hottest] == HEAT_ALPHA
    page.heat_combo.setCurrentText("Saliency")
    assert page.stages_view.captions[3].text == "4 · saliency"
    page.heat_combo.setCurrentText("Off")
    assert not page.stages_view.overlay.isVisible()
    assert page.stages_view.captions[3].text == "4 · input"
    page.heat_combo.setCurrentText("Grad-CAM")
    assert page.stages_view.overlay.isVisible()
    page.canvas.clear()                               # a blank canvas: no heat to show
    assert not page.stages_view.overlay.isVisible()
    assert page.stages_view.captions[3].text == "4 · Grad-CAM"   # (the method chosen stays named)


def test_each_mosaic_sits_under_its_title_and_keeps_its_shape(page, qtbot):
    view = page.maps_view
    for height in (850, 420):               # room to spare, then too little: all shrink alike
        page.resize(1300, height)
        page.show()
        qtbot.waitExposed(page)
        QApplication.processEvents()        # the scene's layout is redone from the event loop
        page.grab()                         # painting brings each box's data -> pixel mapping up to date
        for layer in range(view.layer_count()):
            box, label = view.boxes[layer], view.labels[layer]
            mh, mw = view.mosaic(layer).shape
            box_rect = box.sceneBoundingRect()
            assert 0 <= box_rect.top() - label.sceneBoundingRect().bottom() <= 8   # title above
            image = view.images[layer].sceneBoundingRect()
            # the image fills its box (less the 1 % padding of its range): full width, or
            # (when shrunk) full height
            assert (image.width() == pytest.approx(box_rect.width(), rel=0.03)
                    or image.height() == pytest.approx(box_rect.height(), rel=0.03))
            assert image.height() / image.width() == pytest.approx(mh / mw, rel=0.02)
        assert view.boxes[-1].sceneBoundingRect().bottom() <= view.viewport().height()


def test_fit_square_worked_example():
    # a 2x1 column [10, 20] fitted into 4x4: each pixel doubled, centred, the rest white
    out = fit_square(np.array([[10], [20]], np.uint8), 4)
    assert out.tolist() == [[255, 10, 10, 255], [255, 10, 10, 255],
                            [255, 20, 20, 255], [255, 20, 20, 255]]


def test_crop_stage_shows_the_ink_box_at_a_fixed_size(page, qtbot):
    """The crop is shown resampled into a fixed square (no new geometry while the ink box
    grows), aspect kept: a tall stroke fills the square's height and the middle of its width."""
    page.canvas.draw_stroke([(140, 40), (140, 240)])          # a vertical bar: tall, narrow
    crop = page.stages_view.values(0)
    h, w = crop.shape
    assert h > 3 * w and (crop > 0.5).any()
    shown_image = page.stages_view.images[0].image
    assert shown_image.shape == (CROP_SIDE, CROP_SIDE)
    width = round(w * CROP_SIDE / h)
    left = (CROP_SIDE - width) // 2
    assert (shown_image[:, :left - 1] == 255).all() and (shown_image[:, left + width + 1:] == 255).all()
    # inside, nearest-neighbour samples of the crop's gray levels
    rows = np.minimum(((np.arange(CROP_SIDE) + 0.5) * h / CROP_SIDE).astype(int), h - 1)
    cols = np.minimum(((np.arange(width) + 0.5) * h / CROP_SIDE).astype(int), w - 1)
    expected = np.clip(crop * 255, 0, 255).astype(np.uint8)[rows][:, cols]
    assert np.array_equal(shown_image[:, left:left + width], expected)
    page.canvas.draw_stroke([(60, 140), (230, 140)])           # now a cross: wider ink box
    assert page.stages_view.images[0].image.shape == (CROP_SIDE, CROP_SIDE)
    assert page.stages_view.values(0).shape[1] > 3 * w


def test_clear_empties_prediction(page):
    page.canvas.set_image(_synth(2))
    page.clear_button.click()
    assert page.canvas.is_empty()
    assert page.current_input() is None
    assert page.bars.top_class() == -1 and page.bars.probabilities().max() == 0
    assert "Draw a digit" in page.verdict.text()
    assert page.stages_view.values(2).max() == 0
    # nothing drawn reads as "empty", not as black "broken" squares: light stages and maps
    from gui.pages.draw_digit.stage_strip import EMPTY_GRAY
    for image in page.stages_view.images:
        assert (image.image == EMPTY_GRAY).all()
    assert not page.stages_view.overlay.isVisible()
    for image in page.maps_view.images:
        assert np.median(image.image) == EMPTY_GRAY
    assert "empty" in page.stage_numbers.text()
    page.canvas.set_image(_synth(2))                   # drawn again: the model's own colours
    assert (page.stages_view.images[2].image != EMPTY_GRAY).any()
    assert np.median(page.maps_view.images[0].image) != EMPTY_GRAY


def test_undo_removes_last_stroke(page, qtbot):
    canvas = page.canvas
    canvas.draw_stroke([(140, 40), (140, 240)])           # a "1"
    one = canvas.image()
    assert canvas.stroke_count() == 1 and one[140, 140] > 0.9 and one[140, 60] == 0
    with qtbot.waitSignal(canvas.drawingChanged):
        canvas.draw_stroke([(90, 60), (140, 40)])        # its flag
    assert canvas.stroke_count() == 2 and canvas.image()[50, 115] > 0.5
    page.undo_button.click()
    assert canvas.stroke_count() == 1
    assert np.array_equal(canvas.image(), one)
    assert np.allclose(page.current_input(), preprocess(one)[0].numpy())


def test_canvas_image_and_set_image(qtbot):
    canvas = DigitCanvas()
    qtbot.addWidget(canvas)
    assert canvas.image().shape == (BUFFER, BUFFER) and canvas.image().max() == 0
    square = np.zeros((28, 28), np.float32)
    square[7:21, 7:21] = 1
    canvas.set_image(square)
    img = canvas.image()
    assert img.dtype == np.float32 and 0 <= img.min() and img.max() <= 1
    assert img[140, 140] == pytest.approx(1.0, abs=0.01) and img[20, 20] == 0
    canvas.undo()                                       # an image set from outside undoes too
    assert canvas.image().max() == 0
    with pytest.raises(ValueError):
        canvas.set_image(np.zeros((3, 4, 5)))


def test_ink_region_holds_all_the_ink(qtbot):
    """The page preprocesses only `ink_region()`: it must hold every inked pixel."""
    canvas = DigitCanvas(pen_width=30)
    qtbot.addWidget(canvas)
    assert canvas.ink_region()[0].shape == (0, 0)

    def check():
        full = canvas.image()
        ink, r0, c0 = canvas.ink_region()
        h, w = ink.shape
        assert np.array_equal(ink, full[r0:r0 + h, c0:c0 + w])
        outside = full.copy()
        outside[r0:r0 + h, c0:c0 + w] = 0
        assert outside.max() == 0 and ink.max() > 0.9
        assert h * w < full.size or (h, w) == (BUFFER, BUFFER)

    canvas.draw_stroke([(5, 5), (60, 20)])              # round caps past the canvas edge
    check()
    canvas.draw_stroke([(200, 260), (275, 275)], pressure=0.3)
    check()
    canvas.undo()
    check()
    canvas.set_image(np.eye(28, dtype=np.float32))       # an image fills the whole sheet
    assert canvas.ink_region()[0].shape == (BUFFER, BUFFER)
    canvas.clear()
    assert canvas.ink_region()[0].shape == (0, 0)


def test_first_stroke_erases_the_hint_from_the_screen(shown, qtbot):
    """The first press repaints only the hint's box and the stroke's: the window must then show
    exactly what a full repaint would (it fails if the hint's box misses any of its text)."""
    canvas = shown(DigitCanvas(), 400, 400)
    qtbot.wait(1)
    sheet = canvas.sheet_rect()
    blank = _on_screen(canvas)
    qtbot.mousePress(canvas, Qt.LeftButton, pos=QPoint(int(sheet.x()) + 30, int(sheet.y()) + 30))
    qtbot.wait(1)
    qtbot.mouseMove(canvas, QPoint(int(sheet.x()) + 60, int(sheet.y()) + 40))
    qtbot.mouseRelease(canvas, Qt.LeftButton, pos=QPoint(int(sheet.x()) + 60, int(sheet.y()) + 40))
    qtbot.wait(1)
    fresh = canvas.grab().toImage()
    shown_now = _on_screen(canvas).convertToFormat(fresh.format())
    assert shown_now == fresh
    hint = canvas.hint_rect()
    assert blank.copy(hint) != shown_now.copy(hint)      # the hint was there, and is gone


def _painted(bars: ProbabilityBars, x: float, y: float) -> QColor:
    """The colour painted at data point (class x, probability y)."""
    shot = bars.grab().toImage()      # painting brings the view's data -> pixel mapping up to date
    return shot.pixelColor(bars.mapFromScene(bars.chart.mapToScene(QPointF(x, y))))


def test_probability_bars_highlight_and_values(shown):
    bars = shown(ProbabilityBars(), 500, 260)
    p = np.array([0.05, 0.6, 0.1, 0.25, 0, 0, 0, 0, 0, 0], np.float32)
    bars.set_probabilities(p)
    assert bars.top_class() == 1
    assert np.allclose(bars.probabilities(), p)
    assert bars.label_texts()[1] == "60.0%" and bars.label_texts()[3] == "25.0%"
    # the top class in the highlight colour, the others plain, each as high as its probability
    assert _painted(bars, 1, 0.3) == TOP and _painted(bars, 1, 0.58) == TOP
    assert _painted(bars, 1, 0.66) != TOP
    assert _painted(bars, 3, 0.2) == BAR and _painted(bars, 0, 0.03) == BAR
    assert _painted(bars, 3, 0.3) != BAR and _painted(bars, 5, 0.1) != BAR
    # the highlight moves with the top class, and stays put while only the heights change
    bars.set_probabilities(np.array([0.05, 0.2, 0.1, 0.65, 0, 0, 0, 0, 0, 0], np.float32))
    assert _painted(bars, 3, 0.3) == TOP and _painted(bars, 1, 0.1) == BAR
    bars.set_probabilities(np.array([0.05, 0.3, 0.1, 0.55, 0, 0, 0, 0, 0, 0], np.float32))
    assert _painted(bars, 3, 0.5) == TOP and _painted(bars, 1, 0.25) == BAR
    assert _painted(bars, 3, 0.6) != TOP
    bars.set_probabilities(None)
    assert bars.top_class() == -1 and bars.label_texts()[1] == ""
    assert _painted(bars, 1, 0.3) != TOP and _painted(bars, 3, 0.2) != BAR   # no bars at all
    with pytest.raises(ValueError):
        bars.set_probabilities(np.ones(3))


def _on_screen(widget) -> QImage:
    """What the window really shows (the offscreen backing store), not a fresh render."""
    return widget.screen().grabWindow(widget.winId()).toImage()


def test_probability_bars_updates_leave_the_screen_exact(shown, qtbot):
    """After a random walk of updates the screen must equal a full repaint (it fails if an
    update misses a moved bar or label)."""
    bars = shown(ProbabilityBars(), 500, 300)
    rng = np.random.default_rng(3)
    p = rng.dirichlet(np.full(10, 0.3))
    for _ in range(40):
        p = np.abs(p + rng.normal(0, 0.03, 10) * (rng.random(10) < 0.4))
        bars.set_probabilities(p / p.sum())
        qtbot.wait(1)
    fresh = bars.grab().toImage()
    assert _on_screen(bars).convertToFormat(fresh.format()) == fresh
    # a broken model's NaN or infinite outputs are shown as such, without an error
    broken = np.array([np.nan, np.inf] + [0.0] * 8, np.float32)
    bars.set_probabilities(broken)
    bars.set_probabilities(broken)
    assert bars.label_texts()[0] == "nan%" and bars.label_texts()[1] == "inf%"


def test_corrupt_checkpoint_gives_message_and_keeps_model(page, qtbot, tmp_path):
    before = page.model
    bad = tmp_path / "broken.pt"
    bad.write_bytes(b"\x00garbage, not a checkpoint" * 20)
    with qtbot.waitSignal(page.message) as sig:
        assert page.load_checkpoint_file(bad) is False
    text, level = sig.args
    assert level == "error" and "broken.pt" in text
    assert page.model is before
    assert page.model_box.error.isVisibleTo(page) and "broken.pt" in page.model_box.error.text()
    assert page.model_combo.currentData() == "shipped"


def test_checkpoint_of_wrong_shape_is_refused(page, tmp_path):
    before = page.model
    path = tmp_path / "cifar.pt"
    save_checkpoint(path, CifarNet(), {"arch": "cifarnet", "kwargs": {}})
    assert page.load_checkpoint_file(path) is False
    assert page.model is before and "1×28×28" in page.model_box.error.text()


def test_checkpoint_with_broken_weights_is_refused(page, qtbot, tmp_path):
    """A model whose weights hold a NaN (what a diverged run leaves) gives a message; the page
    keeps its model and its prediction."""
    page.canvas.set_image(_synth(3))
    before, shown_probs = page.model, page.bars.probabilities()
    model = LeNet5()
    with torch.no_grad():
        model.features[0].weight[0, 0, 0, 0] = float("nan")
    path = tmp_path / "diverged.pt"
    save_checkpoint(path, model, {"arch": "lenet5", "kwargs": {}})
    with qtbot.waitSignal(page.message) as sig:
        assert page.load_checkpoint_file(path) is False
    assert sig.args[1] == "error" and "NaN" in sig.args[0] and "diverged.pt" in sig.args[0]
    assert page.model is before and np.array_equal(page.bars.probabilities(), shown_probs)
    assert page.model_combo.currentData() == "shipped"


def test_valid_checkpoint_is_used(page, tmp_path):
    torch.manual_seed(1)
    model = LeNet5(dropout=0.1)
    path = tmp_path / "mine.pt"
    save_checkpoint(path, model, {"arch": "lenet5", "kwargs": {"dropout": 0.1},
                                  "classes": list("0123456789"), "dataset": "my digits"})
    page.canvas.set_image(_synth(5))
    assert page.load_checkpoint_file(path) is True
    assert page.model_combo.currentData() == "file" and "mine.pt" in page.model_box.info.text()
    assert not page.model_box.error.isVisibleTo(page)
    with torch.no_grad():
        expected = torch.softmax(model.eval()(torch.from_numpy(page.current_input())[None, None]), 1)
    assert np.allclose(page.bars.probabilities(), expected[0].numpy(), atol=1e-5)
    page.model_combo.activated.emit(page.model_combo.findData("shipped"))
    assert page.model_combo.currentData() == "shipped" and page.model is not None


def test_no_trained_model_gives_message(page, qtbot):
    before = page.model
    with qtbot.waitSignal(page.message) as sig:
        page.model_combo.activated.emit(page.model_combo.findData("trained"))
    assert sig.args[1] == "error" and "Train a CNN" in sig.args[0]
    assert page.model is before and page.model_combo.currentData() == "shipped"


def test_trained_model_from_the_shared_state(page):
    """A model the Train page published in AppState: the Draw page switches to a copy of it,
    and follows a newer one while it is the model in use."""
    torch.manual_seed(2)
    trained = LeNet5().eval()
    meta = {"arch": "lenet5", "kwargs": {}, "dataset": "generated digits",
            "classes": [str(d) for d in range(10)]}
    page.app_state.set_trained_model(TrainedModel(trained, meta, "LeNet-5, a test"))
    page.canvas.set_image(_synth(6))
    assert page.model_combo.currentData() == "shipped"      # not switched by itself
    page.model_combo.activated.emit(page.model_combo.findData("trained"))
    assert page.model_combo.currentData() == "trained" and page.model is not trained
    assert "Train a CNN" in page.model_box.info.text()
    x = torch.from_numpy(page.current_input())[None, None]
    with torch.no_grad():
        assert np.allclose(page.bars.probabilities(), torch.softmax(trained(x), 1)[0].numpy(),
                           atol=1e-5)
        newer = LeNet5().eval()
        page.app_state.set_trained_model(TrainedModel(newer, meta, "LeNet-5, newer"))
        assert np.allclose(page.bars.probabilities(), torch.softmax(newer(x), 1)[0].numpy(),
                           atol=1e-5)


def test_views_apply_new_ranges_and_sizes_before_painting(page, qtbot):
    """The three graphics views skip pyqtgraph's prepare-for-paint step when no view box has
    deferred work; after a resize, a model with other layers and a new crop shape, every image
    must still fill its box as the view paints it (a skipped step would leave a stale matrix)."""
    page.show()
    qtbot.waitExposed(page)
    page.canvas.set_image(_synth(2))
    page.resize(1000, 700)
    torch.manual_seed(0)
    page.model_box.set_model(LeNet5(batchnorm=False).eval(), {"arch": "lenet5"}, "trained", "a test")
    page.canvas.set_image(_synth(1))                   # (a narrow ink box: a new crop shape)
    QApplication.processEvents()
    page.repaint()
    boxes = [*page.stages_view.boxes, *page.maps_view.boxes]
    images = [*page.stages_view.images, *page.maps_view.images]
    for box, image in zip(boxes, images):
        shown = image.mapRectToScene(image.boundingRect())
        frame = box.mapRectToScene(box.boundingRect())
        # the image lies inside its box and spans it in one direction (aspect kept), within a pixel
        assert frame.adjusted(-1, -1, 1, 1).contains(shown)
        assert max(shown.width() / frame.width(), shown.height() / frame.height()) > 0.9


def test_state_round_trip_and_a_bad_state_changes_nothing(page):
    """The page's settings go through its state (what the window stores and a lesson holds)."""
    from gui.bind import StateError
    page.canvas.set_image(_synth(8))
    page.apply_state({"pen_width": 30, "heat": "saliency"})
    assert page.pen_slider.value() == 30 and page.canvas.pen_width == 30
    assert page.pen_label.text() == "30 px" and page.heat_combo.currentText() == "Saliency"
    assert page.stages_view.captions[3].text == "4 · saliency"
    assert page.state()["pen_width"] == 30 and page.state()["heat"] == "saliency"
    with pytest.raises(StateError):
        page.apply_state({"pen_width": 31, "heat": "sharpest"})
    assert page.pen_slider.value() == 30 and page.state()["heat"] == "saliency"
    page.pen_slider.setValue(12)                     # a control sets its field
    assert page.state()["pen_width"] == 12 and page.canvas.pen_width == 12
    page.reset()
    assert page.state()["pen_width"] == 22 and page.heat_combo.currentText() == "Grad-CAM"
