"""The word tagger panel: real clicks and typing; the chips show the trained model's own tags."""
import pytest
import torch
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QPushButton, QRadioButton

from engine.word_tags import example_sentence, tag_accuracy, tag_sentence
from gui.pages.rnn_step.word_tag_panel import TAG_COLORS, WordTagPanel


class FakePage:
    def __init__(self):
        self.notes = []

    def notify(self, text, level="info"):
        self.notes.append((text, level))


@pytest.fixture
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: two threads only fight on a shared machine
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def panel(shown):
    p = shown(WordTagPanel(FakePage()), 1000, 420)
    yield p
    p.shutdown()


def _type(qtbot, edit, text):
    edit.selectAll()
    QTest.keyClick(edit, Qt.Key_Delete)
    QTest.keyClicks(edit, text)


def test_box_starts_with_a_generated_sentence_and_new_sentence_replaces_it(panel):
    first = example_sentence(0)
    assert panel.sentence_edit.text() == first
    # before training: one untagged chip per word
    assert panel.chip_tags() == [(w, "?", "") for w in first.split()]
    QTest.mouseClick(panel.new_button, Qt.LeftButton)
    assert panel.sentence_edit.text() == example_sentence(1) != first
    assert [w for w, _, _ in panel.chip_tags()] == example_sentence(1).split()


def test_every_control_has_a_tooltip(panel):
    controls = [w for cls in (QPushButton, QLineEdit, QComboBox, QCheckBox)
                for w in panel.findChildren(cls)]
    assert len(controls) == 5
    for w in controls:
        assert w.toolTip(), w


def test_train_then_chips_show_the_models_tags_for_the_typed_sentence(panel, qtbot, one_thread):
    sentence = "paris green met harry potter in new york"
    _type(qtbot, panel.sentence_edit, sentence)
    assert panel.sentence_edit.text() == sentence
    QTest.mouseClick(panel.train_button, Qt.LeftButton)
    assert not panel.train_button.isEnabled()     # one run at a time
    qtbot.waitUntil(lambda: panel.model is not None, timeout=60000)
    assert panel.train_button.isEnabled()
    tokens, tags, probs = tag_sentence(panel.model, panel.vocab, sentence)
    shown = panel.chip_tags()
    assert [w for w, _, _ in shown] == tokens
    assert [(t, p) for _, t, p in shown] == [(t, f"{p:.0%}") for t, p in zip(tags, probs.max(1))]
    assert tags == ["PERSON", "PERSON", "O", "PERSON", "PERSON", "O", "PLACE", "PLACE"]
    # colours follow the tags; positions in the tooltips count from 1
    assert TAG_COLORS["PLACE"] in panel.chips[6].styleSheet()
    assert panel.chips[0].toolTip().startswith("word 1: “paris”")
    # the held-out accuracy shown is the model's own on the held-out set, next to the baseline
    acc = tag_accuracy(panel.model, panel.task.test)
    assert acc == panel.test_accuracy and acc > 0.95
    assert f"{acc:.1%}" in panel.score_label.text()
    assert f"{panel.task.baseline():.1%}" in panel.score_label.text()
    # typing again retags at once, with the same model: "paris" is now a place
    _type(qtbot, panel.sentence_edit, "anna flew from paris to rome")
    assert [t for _, t, _ in panel.chip_tags()] == ["PERSON", "O", "O", "PLACE", "O", "PLACE"]


def test_empty_or_unknown_sentence_says_so_and_changes_nothing(panel, qtbot):
    before = panel.chip_tags()
    assert before and panel.message_label.text() == ""
    panel.sentence_edit.selectAll()
    QTest.keyClick(panel.sentence_edit, Qt.Key_Delete)
    assert panel.sentence_edit.text() == ""
    assert "no words" in panel.message_label.text()
    assert panel.chip_tags() == before
    QTest.keyClicks(panel.sentence_edit, "zorg blix")
    assert "None of these words" in panel.message_label.text()
    assert panel.chip_tags() == before
    # one known word is enough: unknown ones show in italics
    QTest.keyClicks(panel.sentence_edit, " rome")
    assert panel.message_label.text() == ""
    assert [w for w, _, _ in panel.chip_tags()] == ["<i>zorg</i>", "<i>blix</i>", "rome"]


def test_many_to_many_shape_offers_signal_and_words(qtbot):
    from gui.pages.rnn_step import RnnStepPage
    page = RnnStepPage()
    qtbot.addWidget(page)
    page.resize(1200, 650)
    page.show()
    page.tabs.setCurrentWidget(page.uses_panel)
    uses = page.uses_panel
    uses.select("many_to_many")
    assert uses.signal_panel.isVisible() and not uses.word_panel.isVisible()
    for radio in uses.findChildren(QRadioButton):
        assert radio.toolTip()
    QTest.mouseClick(uses.words_radio, Qt.LeftButton)
    assert uses.word_panel.isVisible() and not uses.signal_panel.isVisible()
    QTest.mouseClick(uses.signal_radio, Qt.LeftButton)
    assert uses.signal_panel.isVisible()
    page.shutdown()
