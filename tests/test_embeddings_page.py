"""The Embeddings page and engine.embeddings: table, cosine neighbours, a 2-D model that moves."""
import numpy as np
import pytest
import torch

from engine.embeddings import TwoDEmbeddingRun, cosine_similarities, nearest_words, word_group
from engine.models import MODELS_DIR
from gui.pages.embeddings import TWO_D, EmbeddingsPage


def test_cosine_neighbours_worked_example():
    table = np.array([[0, 0], [1, 0], [1, 1], [-1, 0], [0.5, 0.01]], np.float32)
    words = ["<pad>", "a", "b", "c", "d"]
    np.testing.assert_allclose(cosine_similarities(table, 1), [0, 1, 2 ** -0.5, -1, 0.9998], atol=1e-4)
    near = nearest_words(table, words, "a", k=3)
    assert [w for w, _ in near] == ["d", "b", "c"]  # <pad> (all zero) is skipped
    assert near[1][1] == pytest.approx(2 ** -0.5, rel=1e-5)
    with pytest.raises(KeyError):
        nearest_words(table, words, "zzz")


def test_word_groups_follow_the_grammar():
    assert word_group("good") == "positive" and word_group("awful") == "negative"
    assert word_group("not") == "negation / contrast" and word_group("very") == "intensifier"
    assert word_group("food") == "other"


def test_two_d_run_snapshot_is_a_copy_of_the_weights():
    run = TwoDEmbeddingRun(n_train=50, n_test=10)
    snap = TwoDEmbeddingRun.snapshot(run.model)["points"]
    assert snap.shape == (len(run.words), 2)
    np.testing.assert_array_equal(snap, run.model.embedding.weight.detach().numpy())
    with torch.no_grad():
        run.model.embedding.weight.add_(1.0)
    assert not np.allclose(snap, run.model.embedding.weight.detach().numpy())  # a copy


@pytest.fixture
def page(qtbot):
    p = EmbeddingsPage()
    qtbot.addWidget(p)
    yield p
    p.shutdown()


def test_table_shows_the_shipped_model_with_word_labels(page, monkeypatch):
    assert (MODELS_DIR / "sentiment_lstm.pt").is_file(), "a shipped model is missing"
    from engine.models import load_pretrained
    model = load_pretrained("sentiment_lstm")
    left = page.table_view.plot.getAxis("left")
    ticks_set = []                       # the row labels, as handed to the axis's public setTicks
    original = type(left).setTicks
    monkeypatch.setattr(type(left), "setTicks", lambda axis, ticks: (
        ticks_set.append(ticks[0]) if axis is left else None, original(axis, ticks))[1])
    page.model_combo.setCurrentIndex(page.model_combo.findData(TWO_D))
    page.model_combo.setCurrentIndex(page.model_combo.findData("sentiment_lstm"))
    np.testing.assert_allclose(page.table_view.values(), model.embedding.weight.detach().numpy())
    assert [label for _pos, label in ticks_set[-1]] == model.meta["vocab"]
    assert page.select_word("good")
    table = model.embedding.weight.detach().numpy()
    expected = nearest_words(table, model.meta["vocab"], "good", k=15)
    shown = [page.neighbours.item(i).text() for i in range(page.neighbours.count())]
    assert shown == [f"{s:+.3f}   {w}" + ("" if word_group(w) == "other" else f"   ({word_group(w)})")
                     for w, s in expected]
    # the vectors were trained for sentiment: good's close neighbours are mostly positive words
    assert sum(word_group(w) == "positive" for w, _s in expected[:8]) >= 4
    np.testing.assert_allclose(page.vector_strip.values()[0], table[model.meta["vocab"].index("good")])


def test_clicking_a_table_row_selects_its_word(page):
    page.model_combo.setCurrentIndex(page.model_combo.findData(TWO_D))
    row = page.words.index("terrible")
    page.table_view.cellClicked.emit(row, 0)
    assert page.word_combo.currentText() == "terrible" and page.neighbours.count() == 15
    assert not page.select_word("not-a-word")


def test_two_d_embedding_moves_while_training(page, qtbot):
    page.model_combo.setCurrentIndex(page.model_combo.findData(TWO_D))
    page.epochs_spin.setValue(1)
    page.two_d_sentences = 256
    snapshots = []
    page.runner.progress.connect(lambda events: snapshots.extend(
        e.snapshot["points"] for e in events if e.snapshot is not None))
    with qtbot.waitSignal(page.runner.finished, timeout=60000):
        assert page.train_two_d()
    assert len(snapshots) >= 2 and not np.allclose(snapshots[0], snapshots[-1])
    final = page.run.model.embedding.weight.detach().numpy()
    # the table (2-D model chosen) and the scatter show the trained weights
    np.testing.assert_allclose(page.table_view.values(), final, atol=1e-6)
    x, y = page.scatter.points.getData()
    keep = [k for k, w in enumerate(page.run.words) if w != "<pad>"]
    np.testing.assert_allclose(np.c_[x, y], final[keep], atol=1e-6)
    label = page.scatter.labels[page.run.words.index("good")]
    assert label.pos().x() == pytest.approx(final[page.run.words.index("good"), 0], abs=1e-5)


def test_scatter_writes_right_hand_words_to_the_left_of_their_point(shown):
    from gui.pages.embeddings import EmbeddingScatter
    scatter = shown(EmbeddingScatter(), 500, 400)
    words = ["<pad>", "good", "bad", "film", "not"]
    scatter.set_words(words)
    points = np.array([[0, 0], [-1.0, 0.2], [0.0, 0.5], [0.7, -0.3], [1.0, 0.1]], np.float32)
    scatter.set_points(points)
    anchors = {w: tuple(label.anchor) for w, label in zip(words, scatter.labels)}
    # x from -1 to 1 (<pad> left out): words past 0.5 are written leftwards
    assert anchors["good"] == anchors["bad"] == (0, 1)
    assert anchors["film"] == anchors["not"] == (1, 1)
    scatter.grab()                    # painted: the words' boxes are laid out
    right_edge = scatter.getViewBox().sceneBoundingRect().right()
    assert scatter.labels[4].sceneBoundingRect().right() <= right_edge
    assert scatter.labels[4].sceneBoundingRect().left() < scatter.labels[4].scenePos().x()
    points[4, 0] = -0.5               # it moves left while training: written rightwards again
    scatter.set_points(points)
    assert tuple(scatter.labels[4].anchor) == (0, 1)


# -- nn.Embedding made visible, the text pipeline, the page's state --------------------------

from PySide6.QtCore import QPointF, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

from engine.rnn_models import load_sentiment_model  # noqa: E402
from engine.text import tokenize  # noqa: E402
from engine.text_pipeline import pipeline_code, trace_pipeline  # noqa: E402
from gui.bind import StateError  # noqa: E402
from gui.pages.embeddings import TABS  # noqa: E402


def needs(*names):
    missing = [n for n in names if not (MODELS_DIR / f"{n}.pt").is_file()]
    assert not missing, f"shipped models missing: {missing}"


@pytest.fixture
def big(shown):
    p = shown(EmbeddingsPage(), 1020, 676)
    yield p
    p.shutdown()


def click_cell(view, row, col):
    point = view.mapFromScene(view.plot.vb.mapViewToScene(QPointF(col + 0.5, row + 0.5)))
    QTest.mouseClick(view.viewport(), Qt.LeftButton, Qt.NoModifier, point)


def open_tab(page, key):
    bar = page.tabs.tabBar()
    QTest.mouseClick(bar, Qt.LeftButton, pos=bar.tabRect(list(TABS).index(key)).center())
    assert page.tabs.currentIndex() == list(TABS).index(key) and page.state()["tab"] == key


def type_sentence(page, text):
    page.sentence_edit.selectAll()
    QTest.keyClick(page.sentence_edit, Qt.Key_Delete)
    QTest.keyClicks(page.sentence_edit, text)
    QTest.keyClick(page.sentence_edit, Qt.Key_Return)


def torch_shapes(model, text, vocab):
    ids = torch.tensor([vocab.encode(tokenize(text))])
    with torch.no_grad():
        x = model.embedding(ids)
        out, state = model.rnn(x)
        h_n = state[0] if model.cell == "lstm" else state
        last = torch.cat(list(h_n[-model.num_directions:]), dim=1)
        p = torch.softmax(model.head(last), dim=1)
    return [tuple(t.shape) for t in (ids, x, out, last, p, p)], tuple(h_n.shape), float(p[0, 1])


def test_the_notes_lookup_with_real_numbers_and_clicks(big):
    tab = big.lookup_tab
    torch.manual_seed(0)
    reference = nn.Embedding(6, 2)
    weight = reference.weight.detach()
    out = reference(torch.tensor([[0, 1, 2], [3, 4, 5]])).detach().numpy()
    np.testing.assert_array_equal(tab.table_view.values(), weight.numpy())
    assert [v.values().shape for v in tab.out_views] == [(3, 2), (3, 2)]
    np.testing.assert_array_equal(np.stack([v.values() for v in tab.out_views]), out)
    assert tab.table_view.cell_texts()[:2] == [f"{w:.2f}" for w in weight[0].tolist()]
    click_cell(tab.ids_view, 0, 2)                      # id 2: sentence 0, t = 2
    assert big.state()["lookup_cell"] == 2
    assert tab.table_view.highlight() == (2, 0, 1, 2)   # its row of the table
    assert tab.out_views[0].highlight() == (2, 0, 1, 2) and tab.out_views[1].highlight() is None
    one_hot = F.one_hot(torch.tensor(2), 6).float()
    np.testing.assert_array_equal(tab.one_hot_view.values()[0], one_hot.numpy())
    np.testing.assert_allclose(tab.product_view.values()[0], (one_hot @ weight).numpy(), atol=1e-7)
    np.testing.assert_array_equal(tab.row_view.values()[0], weight[2].numpy())
    assert tab.equal_label.text() == "="
    assert tab.product_view.cell_texts() == tab.row_view.cell_texts()
    click_cell(tab.table_view, 5, 1)                    # a table row: the position holding id 5
    assert big.state()["lookup_cell"] == 5 and tab.out_views[1].highlight() == (2, 0, 1, 2)
    click_cell(tab.out_views[1], 0, 0)                  # out[1, 0] comes from id 3
    assert big.settings.lookup_cell == 3 and tab.row_view.values()[0].tolist() == weight[3].tolist()


def test_one_hot_against_dense_for_the_apps_vocabulary(big):
    needs("sentiment_lstm")
    model, vocab, _ = load_sentiment_model("sentiment_lstm")
    tab = big.lookup_tab
    assert tab.word_one_hot.values().shape == (1, len(vocab)) == (1, 121)
    assert tab.word_one_hot.values().sum() == 1 and tab.word_one_hot.values()[0, vocab.index["good"]] == 1
    np.testing.assert_array_equal(tab.word_dense.values()[0],
                                  model.embedding.weight[vocab.index["good"]].detach().numpy())
    assert "121 × 24 = 2,904 parameters" in tab.sizes_text.text()
    # the dense strip is drawn E / V as long as the one-hot strip (the same width per number)
    ratio = tab.word_dense.width() / tab.word_one_hot.width()
    assert ratio == pytest.approx(24 / 121, abs=0.03)


def test_typed_sentence_through_the_bidirectional_model(big):
    needs("sentiment_bilstm", "sentiment_gru")
    open_tab(big, "pipeline")
    text = "the movie was not boring"
    type_sentence(big, text)
    model, vocab, _ = load_sentiment_model("sentiment_bilstm")
    shapes, h_n, p = torch_shapes(model, text, vocab)
    labels = big.diagram.arrow_labels()
    assert labels[0] == "(1, 5)" and labels[1] == "(1, 5, 24)"
    assert labels[2] == "(1, 5, 64)   (h_n (2, 1, 32))" and h_n == (2, 1, 32)
    assert [lab.split("   ")[0] for lab in labels] == [
        "(" + ", ".join(map(str, s)) + ")" for s in shapes]
    assert big.diagram.result_text() == f"P(positive) = {p:.3f}"
    assert big.state()["sentence"] == text
    assert big.pipeline_tab.code_panel.code() == pipeline_code(model, trace_pipeline(model, text, vocab))
    # the GRU, chosen from the keyboard: (1, 5, 48), one direction
    combo = big.pipeline_combo
    combo.setFocus()
    while combo.currentData() != "sentiment_gru":
        QTest.keyClick(combo, Qt.Key_Up if combo.currentIndex() > combo.findData("sentiment_gru")
                       else Qt.Key_Down)
    gru, _, _ = load_sentiment_model("sentiment_gru")
    shapes, h_n, p = torch_shapes(gru, text, vocab)
    assert big.diagram.arrow_labels()[2] == f"(1, 5, 48)   (h_n {h_n})" == "(1, 5, 48)   (h_n (1, 1, 48))"
    assert big.diagram.arrow_labels()[3] == "(1, 48)"
    assert big.diagram.result_text() == f"P(positive) = {p:.3f}"
    assert "nn.GRU(24, 48, batch_first=True)" in big.pipeline_tab.code_panel.code()


@pytest.mark.parametrize("bad", ["", "?! ..."])
def test_a_sentence_without_words_keeps_the_picture(big, bad):
    needs("sentiment_bilstm")
    open_tab(big, "pipeline")
    type_sentence(big, "the food was great")
    before = big.diagram.arrow_labels()
    seen = []
    big.message.connect(lambda text, level: seen.append((text, level)))
    type_sentence(big, bad)
    assert big.diagram.arrow_labels() == before and before[0] == "(1, 4)"
    assert seen and seen[-1][1] == "warning" and "at least one word" in seen[-1][0]
    assert "at least one word" in big.pipeline_tab.notice_label.text()
    assert big.state()["sentence"] == "the food was great"


def test_a_lesson_state_sets_model_word_sentence_and_tab(page):
    needs("sentiment_gru", "sentiment_bilstm")
    state = {"tab": "pipeline", "model": "sentiment_gru", "word": "bad",
             "sentence": "the staff was rude", "pipeline_model": "sentiment_gru", "lookup_cell": 1}
    page.apply_state(state)
    assert page.tabs.currentWidget() is page.pipeline_tab
    assert page.model_combo.currentData() == "sentiment_gru" and page.word_combo.currentText() == "bad"
    gru, vocab, _ = load_sentiment_model("sentiment_gru")
    expected = nearest_words(gru.embedding.weight.detach().numpy(), vocab.words, "bad", k=15)
    assert page.neighbours.item(0).text().startswith(f"{expected[0][1]:+.3f}   {expected[0][0]}")
    assert page.sentence_edit.text() == "the staff was rude"
    assert page.diagram.arrow_labels()[:4] == ["(1, 4)", "(1, 4, 24)", "(1, 4, 48)   (h_n (1, 1, 48))",
                                              "(1, 48)"]
    assert page.lookup_tab.table_view.highlight() == (1, 0, 1, 2)
    saved = page.state()
    assert {k: saved[k] for k in state} == state
    before = page.state()
    with pytest.raises(StateError) as err:
        page.apply_state({"tab": "pipeline", "word": "zzz"})
    assert err.value.field == "word" and page.state() == before
    with pytest.raises(StateError):
        page.apply_state({"tab": "attention"})
    page.reset()
    assert page.state()["tab"] == "lookup" and page.tabs.currentIndex() == 0
    assert page.state()["sentence"] == "The food was good, not bad at all!"
    page.apply_state(saved)
    assert page.state() == saved


def test_a_real_click_on_a_table_row_and_a_typed_word(big):
    needs("sentiment_lstm")
    open_tab(big, "table")
    view = big.table_view
    row = big.words.index("awful")
    big.table_tab.table_scroll.ensureVisible(0, row * 18 + 9, 0, 40)
    click_cell(view, row, 3)
    assert big.state()["word"] == "awful" and big.word_combo.currentText() == "awful"
    assert view.highlight() == (row, 0, 1, 24)
    big.word_combo.lineEdit().selectAll()
    QTest.keyClicks(big.word_combo.lineEdit(), "great")
    assert big.state()["word"] == "great"
    assert big.lookup_tab.word_one_hot.values()[0, big.words.index("great")] == 1


def test_every_tab_fits_the_page_area(big):
    hint = big.minimumSizeHint()
    assert hint.width() <= 1020 and hint.height() <= 676, hint
    for key in TABS:
        open_tab(big, key)
        widget = big.tabs.currentWidget()
        assert widget.minimumSizeHint().height() <= widget.height(), key
