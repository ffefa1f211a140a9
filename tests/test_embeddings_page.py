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


def test_table_shows_the_shipped_model_with_word_labels(page):
    if not (MODELS_DIR / "sentiment_lstm.pt").is_file():
        pytest.skip("the shipped sentiment LSTM is not built yet")
    from engine.models import load_pretrained
    model = load_pretrained("sentiment_lstm")
    index = page.model_combo.findData("sentiment_lstm")
    page.model_combo.setCurrentIndex(index)
    np.testing.assert_allclose(page.table_view.values(), model.embedding.weight.detach().numpy())
    ticks = page.table_view.plot.getAxis("left")._tickLevels[0]
    assert [label for _pos, label in ticks] == model.meta["vocab"]
    assert page.select_word("good")
    table = model.embedding.weight.detach().numpy()
    expected = nearest_words(table, model.meta["vocab"], "good", k=15)
    shown = [page.neighbours.item(i).text() for i in range(page.neighbours.count())]
    assert shown == [f"{s:+.3f}   {w}" for w, s in expected]
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
