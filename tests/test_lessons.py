"""Lessons in the real window: every shipped lesson runs start to end with Page Down, a saved
slide reopens to the same state on every page, malformed lessons open nothing and name the
file, the slide and the field; the explanation panel, the keyboard sheet and the exports."""
import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest

from engine.train import TrainEvent
from gui.app import MainWindow
from gui.lesson_file import read_lesson
from gui.lessons import PAGE_IDS
from gui.menus import LESSONS_DIR

SHIPPED = sorted(LESSONS_DIR.glob("*.json"))


@pytest.fixture
def window(qtbot):
    w = MainWindow(start_page="pooling")
    qtbot.addWidget(w)
    w.resize(1280, 720)
    w.show()
    qtbot.waitExposed(w)
    w.show_page("pooling")
    return w


def write(tmp_path, data, name="lesson.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def messages(window):
    seen = []
    window.app_state.message.connect(lambda text, level, source: seen.append((text, level)))
    return seen


def page_down(window):
    QTest.keyClick(window.focusWidget() or window, Qt.Key_PageDown)


def test_the_shipped_lessons_cover_the_notes():
    names = {p.stem for p in SHIPPED}
    assert {"convolution", "pooling", "cnn_end_to_end", "rnns", "gates", "bptt",
            "transfer"} <= names
    for path in SHIPPED:
        assert read_lesson(path, PAGE_IDS).skipped == []


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_each_shipped_lesson_runs_start_to_end_with_page_down(window, path):
    lesson = read_lesson(path, PAGE_IDS)
    assert window.lessons.open(path)
    assert window.lessons.panel.isVisible() and not window.page_list.isVisible()
    for k, slide in enumerate(lesson.slides):
        assert window.lessons.index == k
        page = window.current_page()
        assert page.page_id == slide.page
        assert window.lessons.panel.notes.toPlainText() == slide.notes
        flat = page.state()
        for key, value in slide.state.items():     # what the slide sets is what the page has
            if not isinstance(value, dict):
                assert flat[key] == value, (k, key)
        page_down(window)
    assert window.lessons.index == len(lesson.slides) - 1      # stays on the last slide
    QTest.keyClick(window.focusWidget() or window, Qt.Key_PageUp)
    assert window.lessons.index == max(len(lesson.slides) - 2, 0)
    window.lessons.close()
    assert window.page_list.isVisible() and not window.lessons.panel.isVisible()


def test_a_nested_slide_state_reaches_the_page(window):
    assert window.lessons.open(LESSONS_DIR / "convolution.json")
    page_down(window)                                 # slide 2: stride 2, padding 1
    page = window.current_page()
    assert page.state()["conv2d"]["geometry"]["stride"] == [2, 2]
    assert page.current_feature_map().shape == (2, 2)


@pytest.mark.parametrize("page_id", PAGE_IDS)
def test_a_saved_slide_reopens_to_the_same_state(window, tmp_path, page_id):
    shipped = [s for p in SHIPPED for s in read_lesson(p, PAGE_IDS).slides if s.page == page_id]
    page = window.show_page(page_id)
    if shipped:                                       # a state other than the defaults
        page.apply_state(shipped[-1].state)
    saved = page.state()
    path = tmp_path / "mine.json"
    assert window.lessons.save_slide(path, "my slide", "my notes")
    assert window.lessons.save_slide(path, "again")   # appended, not replaced
    assert [s.title for s in read_lesson(path, PAGE_IDS).slides] == ["my slide", "again"]
    window.reset_everything()
    assert window.lessons.open(path)
    assert window.current_page().state() == saved
    assert window.lessons.panel.notes.toPlainText() == "my notes"


def test_bad_json_opens_nothing_and_names_the_line(window, tmp_path):
    seen = messages(window)
    path = write(tmp_path, '{"lesson": "x", "slides": [\n  {"page": "pooling",}\n]}')
    assert not window.lessons.open(path)
    assert window.lessons.lesson is None and window.page_list.isVisible()
    assert "lesson.json" in seen[-1][0] and "line 2" in seen[-1][0] and seen[-1][1] == "error"


@pytest.mark.parametrize("slide, field", [
    ({"page": "attention"}, "'page'"),
    ({"page": "gates", "state": {"cell": "transformer"}}, "'state.cell'"),
    ({"page": "gates", "state": {"unit": -5}}, "'state.unit'"),
    ({"page": "pooling", "state": {"geometry": {"kernel": [99, 99]}}}, "'state.geometry"),
    ({"page": "gates", "hide": ["no_such_control"]}, "'hide'"),
    ({"page": "gates", "state": [1, 2]}, "'state'"),
])
def test_a_malformed_slide_names_file_slide_and_field(window, tmp_path, slide, field):
    seen = messages(window)
    pooling = window.current_page()
    before = pooling.state()
    gates_before = window.page("gates").state()
    path = write(tmp_path, {"lesson": "bad", "slides": [{"page": "pooling"}, slide]})
    assert not window.lessons.open(path)
    text = seen[-1][0]
    assert "lesson.json, slide 2" in text and field in text, text
    assert window.lessons.lesson is None and window.current_page() is pooling
    assert pooling.state() == before and window.page("gates").state() == gates_before


def test_a_slide_for_a_newer_version_is_skipped_with_a_note(window, tmp_path):
    seen = messages(window)
    path = write(tmp_path, {"lesson": "new", "app_version": "9.0.0", "slides": [
        {"page": "attention", "title": "from the future"}, {"page": "gates", "title": "ok"}]})
    assert window.lessons.open(path)
    assert [s.title for s in window.lessons.lesson.slides] == ["ok"]
    assert "slide 1 needs the page 'attention' of a newer version" in seen[-1][0]
    assert seen[-1][1] == "warning"


def test_a_failed_save_keeps_the_lesson_file(window, tmp_path, monkeypatch):
    path = tmp_path / "mine.json"
    assert window.lessons.save_slide(path, "first")
    before = path.read_bytes()

    def full_disk(self, *args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(Path, "write_text", full_disk)
    seen = messages(window)
    assert not window.lessons.save_slide(path, "second")
    assert path.read_bytes() == before and "no space left" in seen[-1][0].lower()
    assert [p.name for p in tmp_path.iterdir()] == ["mine.json"]     # no temporary file left


def test_page_down_steps_the_player_when_no_lesson_is_open(window):
    page = window.show_page("pooling")
    page.panel.player_bar.setFocus()
    before = page.panel.player.index
    QTest.keyClick(page.panel.player_bar, Qt.Key_PageDown)
    assert page.panel.player.index == before + 1


def test_f2_shows_the_explanation_and_f1_lists_the_page_keys(window, qtbot):
    from gui.window_tools import shortcuts_html
    QTest.keyClick(window, Qt.Key_F2)
    assert window.explanation.isVisible()
    assert "Pooling keeps one number per window" in window.explanation.toPlainText()
    window.show_page("gates")
    assert "forget gate" in window.explanation.toPlainText()
    QTest.keyClick(window, Qt.Key_F2)
    assert not window.explanation.isVisible()
    sheet = shortcuts_html(window.current_page())
    assert "Click a heatmap row" in sheet and "Page Down" in sheet and "F2" in sheet


def test_export_png_at_1x_and_2x_and_a_gif_of_the_animation(window, tmp_path):
    from PIL import Image
    page = window.show_page("pooling")
    assert window.export("png", tmp_path / "p1.png", 1)
    assert window.export("png", tmp_path / "p2.png", 2)
    one, two = QImage(str(tmp_path / "p1.png")), QImage(str(tmp_path / "p2.png"))
    assert (one.width(), one.height()) == (page.width(), page.height())
    assert (two.width(), two.height()) == (2 * page.width(), 2 * page.height())
    player = page.panel.player
    player.go_to(3)
    assert window.export("gif", tmp_path / "a.gif")
    with Image.open(tmp_path / "a.gif") as gif:
        assert gif.n_frames == player.count
    assert player.index == 3                           # put back where it was


def test_a_failed_export_keeps_the_old_file(window, tmp_path, monkeypatch):
    path = tmp_path / "p.png"
    assert window.export("png", path)
    before = path.read_bytes()
    monkeypatch.setattr(Path, "write_bytes", lambda self, data: (_ for _ in ()).throw(
        OSError(28, "No space left on device")))
    assert not window.export("png", path)
    assert path.read_bytes() == before


def test_export_csv_writes_every_point_of_the_curves_on_screen(window, tmp_path, qtbot):
    import csv
    import numpy as np
    page = window.show_page("train_cnn")
    curves = page.views.curves
    curves.step_loss.setData([0.1, 0.2, 0.3], [2.5, np.nan, 1.25])
    curves.test_acc.setData([1.0], [91.5])
    path = tmp_path / "curves.csv"
    assert window.export("csv", path)
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["plot", "curve", "x axis", "x", "y"]
    loss = [r for r in rows[1:] if r[1] == "train (step)"]
    assert loss == [["Loss", "train (step)", "epoch", "0.1", "2.5"],
                    ["Loss", "train (step)", "epoch", "0.2", ""],
                    ["Loss", "train (step)", "epoch", "0.3", "1.25"]]
    assert [r for r in rows[1:] if r[1] == "test (epoch end)"] == [
        ["Accuracy (%)", "test (epoch end)", "epoch", "1", "91.5"]]
    assert len(rows) == 1 + 4                          # empty curves add no rows


def test_export_csv_names_earlier_runs_and_a_page_without_curves_says_so(window, tmp_path):
    import csv
    page = window.show_page("train_cnn")
    curves = page.views.curves
    curves.start_run(2, "")
    curves.add_events([TrainEvent("step", 0, step, 4, loss, acc, 0.0, 0.0)
                       for step, loss, acc in ((1, 1.0, 0.4), (2, 0.5, 0.6))], steps_per_epoch=2)
    curves.start_run(2, "Adam, lr 0.001")               # the first run becomes an earlier run
    assert window.export("csv", tmp_path / "runs.csv")
    with open(tmp_path / "runs.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))[1:]
    earlier = [r for r in rows if r[1] == "earlier run: Adam, lr 0.001"]
    assert [(r[0], r[3], r[4]) for r in earlier] == [
        ("Loss", "0.5", "1"), ("Loss", "1", "0.5"),
        ("Accuracy (%)", "0.5", "40"), ("Accuracy (%)", "1", "60")]
    seen = messages(window)
    window.show_page("pooling")
    assert not window.export("csv", tmp_path / "none.csv")
    assert not (tmp_path / "none.csv").exists()
    assert any("no curve" in text for text, _level in seen)
